// The OpenAPI document: valid in structure (3.1.0, every operation with responses, every path parameter declared),
// complete (every route the router holds, outside the docs' own, is a path with its methods, so a new route shows up
// by itself), bodies described by the rules that validate them, and Fastify's validation still off.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openApiPath } from '../../src/http/openapi.ts';
import { A, harness } from './harness.ts';

interface Doc {
  openapi: string;
  paths: Record<string, Record<string, { responses?: Record<string, unknown>; parameters?: { name: string; in: string }[]; requestBody?: { content: Record<string, { schema: { properties: Record<string, { description: string }>; required?: string[] } }> } }>>;
}

/** Every route of the router, as [path, method] pairs, read from Fastify's own route tree. */
function routerRoutes(tree: string): [string, string][] {
  const stack: string[] = [];
  const pairs: [string, string][] = [];
  for (const line of tree.split('\n')) {
    const at = line.indexOf('── ');
    if (at === -1) continue;
    const depth = (at - 1) / 4;
    const match = /^(.*?)(?: \(([A-Z, ]+)\))?$/.exec(line.slice(at + 3))!;
    stack[depth] = (depth === 0 ? '' : stack[depth - 1]!) + match[1]!;
    for (const method of match[2]?.split(', ') ?? []) pairs.push([stack[depth]!, method]);
  }
  return pairs;
}

describe('OpenAPI document', () => {
  test('every route is a path with its methods; the structure is valid', async (t) => {
    const h = await harness(t);
    const res = await h.inject({ method: 'GET', url: '/api/docs/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = JSON.parse(res.body) as Doc;
    assert.equal(doc.openapi, '3.1.0');

    const routes = routerRoutes(h.app.printRoutes({ commonPrefix: false }));
    assert.ok(routes.length > 30, `the router lists its routes (${routes.length})`);
    // Fastify's tree prints a wildcard route without its static prefix (`/ui/*` as `/*`): matched by its wildcard.
    const documented = (path: string, method: string) =>
      path.endsWith('*')
        ? Object.entries(doc.paths).some(([p, item]) => p.endsWith('{wildcard}') && item[method] !== undefined)
        : doc.paths[openApiPath(path)]?.[method] !== undefined;
    const missing = routes
      .filter(([path]) => !path.startsWith('/api/docs'))
      .filter(([path, method]) => !documented(path, method.toLowerCase()));
    assert.deepEqual(missing, [], 'every route of the router is in the document');
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(item)) {
        assert.ok(Object.keys(operation.responses ?? {}).length > 0, `${method} ${path} has responses`);
        const declared = (operation.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        assert.deepEqual(declared, [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]), `${method} ${path} parameters`);
      }
    }
    for (const path of ['/api/notify/db/{id}', '/api/database/{id}', '/api/field/{id}', '/api/notify/job/{id}', '/api/task', '/api/health']) {
      assert.ok(doc.paths[path], path);
    }
  });

  test('bodies and parameters carry the rules that validate them; Fastify still does not validate', async (t) => {
    const h = await harness(t);
    const doc = JSON.parse((await h.inject({ method: 'GET', url: '/api/docs/openapi.json' })).body) as Doc;
    const body = doc.paths['/api/database']!.post!.requestBody!.content['application/json']!.schema;
    assert.deepEqual(body.required, ['name', 'engine', 'details']);
    assert.equal(body.properties.engine!.description, 'enum of postgres, mysql, sqlite, duckdb');
    assert.deepEqual((body.properties.engine as unknown as { enum: string[] }).enum, ['postgres', 'mysql', 'sqlite', 'duckdb']);
    const field = doc.paths['/api/field/{id}']!.put!.requestBody!.content['application/json']!.schema;
    assert.ok(['display_name', 'description', 'semantic_type', 'visibility_type'].every((k) => k in field.properties));
    const task = doc.paths['/api/task']!.get!.parameters!.map((p) => `${p.in}:${p.name}`);
    assert.deepEqual(task, ['query:limit', 'query:offset', 'query:db_id', 'query:status']);
    // The contract's own 400 body, not Fastify's schema error.
    const bad = await h.post('/api/database', { name: 5, engine: 'oracle' }, A);
    assert.equal(bad.statusCode, 400);
    assert.deepEqual(Object.keys(JSON.parse(bad.body)), ['errors', 'specific-errors']);
  });

  test('PUT /api/database/{id}: the document lists every body key, and each is validated as documented', async (t) => {
    const h = await harness(t);
    const doc = JSON.parse((await h.inject({ method: 'GET', url: '/api/docs/openapi.json' })).body) as Doc;
    const body = doc.paths['/api/database/{id}']!.put!.requestBody!.content['application/json']!.schema;
    const wrong: Record<string, unknown> = {
      name: 5,
      engine: 'oracle',
      details: 'x',
      is_full_sync: 'yes',
      is_on_demand: 'yes',
      is_attached_dwh: 'yes',
      description: 5,
      caveats: 5,
      points_of_interest: 5,
      schedules: 'x',
      metadata_sync_schedule: 'bogus',
      cache_field_values_schedule: 'bogus',
      refingerprint: 'x',
      auto_run_queries: 'x',
      cache_ttl: -1,
      settings: 'x',
    };
    assert.deepEqual(Object.keys(body.properties).sort(), Object.keys(wrong).sort());
    const answer = await h.inject({ method: 'PUT', url: '/api/database/1', payload: wrong, headers: { 'X-API-KEY': A['X-API-KEY'] as string } });
    assert.equal(answer.statusCode, 400);
    const errors = (JSON.parse(answer.body) as { errors: Record<string, string> }).errors;
    assert.deepEqual(Object.keys(errors).sort(), Object.keys(wrong).sort(), 'each documented key is checked');
    for (const [key, message] of Object.entries(errors)) {
      assert.equal(message, body.properties[key]!.description, `${key}: the document's description is the 400's text`);
    }
  });

  test('the readable page and the document need no key', async (t) => {
    const h = await harness(t);
    const page = await h.inject({ method: 'GET', url: '/api/docs' });
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /Swagger UI/);
    const json = await h.inject({ method: 'GET', url: '/api/docs/json' });
    assert.equal(JSON.parse(json.body).openapi, '3.1.0');
  });
});
