// The admin page's static files: `/` and `/ui/<file>` without a key, content types, revalidation headers, the
// content security policy, and no way out of src/ui (raw request targets sent over a real socket, unnormalised).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { harness } from './harness.ts';

/** GET with the request target exactly as given (no URL normalisation on the way). */
function rawGet(port: number, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.setTimeout(5000, () => req.destroy(new Error('timeout')));
    req.end();
  });
}

test('the page and its modules are served without a key, with their content types and revalidation', async (t) => {
  const h = await harness(t);
  const page = await h.inject({ method: 'GET', url: '/' });
  assert.equal(page.statusCode, 200);
  assert.equal(page.headers['content-type'], 'text/html; charset=utf-8');
  assert.match(page.body, /<script type="module" src="\/ui\/app\.js"><\/script>/);
  assert.equal(page.headers['cache-control'], 'no-cache');
  assert.match(String(page.headers['content-security-policy']), /script-src 'self';/);
  assert.equal(page.headers['x-content-type-options'], 'nosniff');
  const etag = String(page.headers.etag);
  assert.match(etag, /^"[A-Za-z0-9_-]{27}"$/);
  const again = await h.inject({ method: 'GET', url: '/', headers: { 'if-none-match': etag } });
  assert.equal(again.statusCode, 304);
  assert.equal(again.body, '');

  for (const [url, type] of [
    ['/ui/app.js', 'text/javascript; charset=utf-8'],
    ['/ui/views/job.js', 'text/javascript; charset=utf-8'],
    ['/ui/style.css', 'text/css; charset=utf-8'],
    ['/ui/favicon.svg', 'image/svg+xml'],
    ['/ui/index.html', 'text/html; charset=utf-8'],
  ]) {
    const res = await h.inject({ method: 'GET', url: url! });
    assert.equal(res.statusCode, 200, url);
    assert.equal(res.headers['content-type'], type, url);
    assert.ok(res.body.length > 0, url);
  }
});

test('nothing outside src/ui is reachable: traversal, encoded dots, folders and unknown files are 404', async (t) => {
  const h = await harness(t);
  await h.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = h.app.server.address() as AddressInfo;
  for (const path of [
    '/ui/../package.json',
    '/ui/../../package.json',
    '/ui/%2e%2e/package.json',
    '/ui/%2e%2e%2fpackage.json',
    '/ui/..%5c..%5cpackage.json',
    '/ui/views/../../http/ui-routes.ts',
    '/ui/../http/ui-routes.ts',
    '/ui/',
    '/ui/views',
    '/ui/views/',
    '/ui/nothing.js',
    '/ui//app.js',
    '/ui/app.js%00.png',
    '/index.html',
  ]) {
    const res = await rawGet(port, path);
    assert.equal(res.status, 404, path);
    assert.equal(res.body, 'API endpoint does not exist.', path);
  }
  // A path that leaves /ui for the management API still meets the key gate.
  assert.equal((await rawGet(port, '/api/ui/../database')).status, 403);
  assert.equal((await rawGet(port, '/ui/app.js')).status, 200);
});

test('only GET: other methods on the page are 404', async (t) => {
  const h = await harness(t);
  for (const method of ['POST', 'PUT', 'DELETE'] as const) {
    assert.equal((await h.inject({ method, url: '/' })).statusCode, 404, method);
    assert.equal((await h.inject({ method, url: '/ui/app.js' })).statusCode, 404, method);
  }
});
