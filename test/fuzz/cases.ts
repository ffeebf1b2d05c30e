// fast-check arbitraries for the fuzz suite: whole HTTP requests against every route of the service (odd methods,
// ids out of range, odd and repeated headers, every JSON type up to the body limit and just over it, malformed JSON,
// unicode and SQL in names), and raw byte streams that are not valid HTTP at all.
import fc from 'fast-check';
import { BODY_LIMIT } from '../../src/http/body.ts';
import type { RawRequest } from './raw-http.ts';

export interface Route {
  readonly method: string;
  /** With `{id}` where the route takes an id, `{text}` for any other parameter. */
  readonly path: string;
}

export interface FuzzContext {
  readonly routes: readonly Route[];
  readonly notifyKey: string;
  readonly adminKey: string;
  /** Table and schema names the warehouses have (some of them odd). */
  readonly tableNames: readonly string[];
  readonly schemaNames: readonly (string | null)[];
  /** Ids of rows that exist (databases, tables, fields, jobs). */
  readonly ids: readonly number[];
  /** The registered warehouses; DELETE with the admin key never targets them, so the run keeps its warehouses. */
  readonly protectedDatabaseIds: readonly number[];
  /** A SQLite file a generated registration may point at. */
  readonly sqliteFile: string;
}

export interface FuzzCase {
  /** A request to serialize, or raw bytes sent as they are. */
  readonly request: RawRequest | null;
  readonly raw: Buffer | null;
  /** The raw bytes end with a half-close, so that a server waiting for more bytes sees the end. */
  readonly halfClose: boolean;
  /** The client goes away this many milliseconds after sending (a waiting notify must go on without it). */
  readonly leaveAfterMs?: number;
}

/** Today's routes, used when the service publishes no OpenAPI document. */
export const FIXED_ROUTES: readonly Route[] = [
  ['GET', '/api/health'], ['GET', '/livez'], ['GET', '/readyz'], ['GET', '/'], ['GET', '/ui/{text}'],
  ['POST', '/api/notify/db/{id}'], ['POST', '/api/notify/db/{id}/new-table'],
  ['POST', '/api/notify/db/attached_datawarehouse'], ['GET', '/api/notify/job/{id}'],
  ['GET', '/api/database'], ['POST', '/api/database'], ['POST', '/api/database/validate'],
  ['GET', '/api/database/{id}'], ['PUT', '/api/database/{id}'], ['DELETE', '/api/database/{id}'],
  ['GET', '/api/database/{id}/metadata'], ['GET', '/api/database/{id}/schemas'],
  ['GET', '/api/database/{id}/schema/'], ['GET', '/api/database/{id}/schema/{text}'],
  ['POST', '/api/database/{id}/sync_schema'], ['POST', '/api/database/{id}/rescan_values'],
  ['POST', '/api/database/{id}/discard_values'],
  ['GET', '/api/table'], ['PUT', '/api/table'], ['GET', '/api/table/{id}'], ['PUT', '/api/table/{id}'],
  ['GET', '/api/table/{id}/query_metadata'], ['GET', '/api/table/{id}/fks'], ['POST', '/api/table/{id}/rescan_values'],
  ['POST', '/api/table/{id}/discard_values'], ['POST', '/api/table/{id}/sync_schema'],
  ['PUT', '/api/table/{id}/fields/order'],
  ['GET', '/api/field/{id}'], ['PUT', '/api/field/{id}'], ['GET', '/api/field/{id}/values'],
  ['POST', '/api/field/{id}/values'], ['POST', '/api/field/{id}/rescan_values'],
  ['POST', '/api/field/{id}/discard_values'], ['GET', '/api/field/{id}/summary'],
  ['GET', '/api/task'], ['GET', '/api/metrics'], ['GET', '/api/ui/databases'], ['GET', '/api/ui/jobs'],
  ['GET', '/api/ui/database/{id}/tables'], ['GET', '/api/ui/table/{id}'], ['GET', '/api/ui/job/{id}'],
].map(([method, path]) => ({ method: method!, path: path! }));

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS'] as const;

const ODD_IDS = [
  '0', '-1', '00', '007', '1e400', '9223372036854775808', '18446744073709551616', '9007199254740993', '2147483648',
  '1'.repeat(40), '9'.repeat(400), 'abc', '1.0', '%201', '%2D1', '0x10', 'attached_datawarehouse', '%EF%BC%91',
  '1%00', '%', '%ZZ', 'NaN', 'Infinity', '1;DROP%20TABLE%20metabase_table', '%27%20OR%201=1--',
];

const SUFFIXES = [
  '', '', '', '', '/', '//', '/..', '/.', '?synchronous=true', '?synchronous=%ZZ', '?a=1&a=2', '#frag', '?',
  '?limit=-1&offset=1e400', '?limit=0', '?limit=99999999999999999999&offset=-5', '?db_id=9223372036854775808',
  '?db_id=abc&status=%E2%9C%93', '?status=failed&status=success',
];

const ODD_PATHS = [
  '/', '/api', '/api/', '/api/notify', '/api/notify/', '/api/notify/db', '/api/notify/db/', '/api/notify/job',
  '/API/health', '/api/health/', '/api/health/x', '/api//health', '/api/%00', '/api/database/1/metadata/extra',
  '/api/notify/db/1/new-table/', '/api/notify/db/1/NEW-TABLE', '/api/%2e%2e/api/health', '/api/docs',
  '/api/docs/openapi.json', '/livez', '/readyz', '/ui', '/api/metrics', '/api/ui', `/api/${'a'.repeat(10_000)}`,
  `/api/notify/db/${'1'.repeat(20_000)}`, '/api/notify/db/1%2Fnew-table', '/%F0%9F%A6%84', '/api/table', '/api/field',
];

export const SQL_NAMES = [
  "'; DROP TABLE metabase_table; --", '" OR 1=1 --', "orders' --", 'orders; DELETE FROM sync_job', '\\', "'", '"',
  '%', '_', '*', 'NULL', 'null', '$1', '?', '/*', '`orders`', '[orders]', 'orders\u0000', '\u0000',
];

export const UNICODE_NAMES = [
  'ｏｒｄｅｒｓ', 'ördérs', '表', '🦄', '\u202eorders', 'Ünïcødé 表', ' orders', 'orders ', 'ORDERS', '\t', ' ',
  '\ud800', 'a\u0301', 'İ', 'ß', '\uFEFForders', 'x'.repeat(5000),
];

const ODD_KEYS = [
  'table_name', 'schema_name', 'table_id', 'scan', 'synchronous?', 'synchronous', 'name', 'engine', 'details',
  'is_full_sync', 'is_on_demand', 'description', 'display_name', 'visibility_type', 'semantic_type',
  'has_field_values', 'entity_type', 'caveats', 'points_of_interest', 'metadata_sync_schedule', 'schedules',
  'cache_field_values_schedule', 'fk_target_field_id', 'field_order', 'active', '__proto__', 'constructor',
  'Table_Name', '', 'db_id', 'id',
];

const CONTENT_TYPES: readonly (string | Buffer | null)[] = [
  null, 'application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON ; charset=latin1',
  'application/vnd.api+json', 'application/json; charset=utf-16', 'text/plain', 'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x', '', ';', 'application/', '+json', '*/*', 'application/json, text/plain',
  Buffer.from('application/json; charset=\u00e9\u8868', 'utf8'), 'text/html; charset=utf-8', 'application/xml',
];

const MALFORMED = [
  '{', '}', '{"a":1}x', "{'a':1}", 'NaN', '[1,]', '{"a":1,}', '{"a" 1}', 'tru', 'nul', '"unterminated', '01',
  '{"table_name":"x"}{"table_name":"y"}', '\u00a0{}', '//{}', '{"a":"\\x"}',
  '-', '.5', '+1', '{"a":undefined}',
];

/** Bodies that look wrong but are valid (or empty) JSON. */
const ODD_BUT_VALID = [
  '', ' ', '\n\t\r ', 'null', '[]', '""', '0', 'true', '{"a":"\\ud800"}', '{"table_name":1e99999}', '{"a":1,"a":2}',
];

const nastyString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom(...SQL_NAMES),
  fc.constantFrom(...UNICODE_NAMES),
);

const nastyNumber = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, -1, 1, 2, 5.0, 5.5, 2 ** 31, 2 ** 53, 2 ** 63, 1e308, -1e308, Number.MIN_VALUE, -0),
);

function nastyValue(ctx: FuzzContext): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom<unknown>(...ctx.tableNames, ...ctx.schemaNames, 'full', 'schema') },
    { weight: 3, arbitrary: nastyString },
    { weight: 2, arbitrary: nastyNumber },
    { weight: 1, arbitrary: fc.constantFrom(...ctx.ids, ...ctx.ids.map(String)) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(null, true, false, 'true', 'false', '5', '007', ' 5', '0', '-5') },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
}

/** An object body with the routes' keys (and others) bound to nasty values. */
function routeObject(ctx: FuzzContext): fc.Arbitrary<Record<string, unknown>> {
  return fc.dictionary(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...ODD_KEYS) }, fc.string({ maxLength: 8 })),
    nastyValue(ctx), { maxKeys: 5 });
}

/** A registration the service may accept (it then queues an initial sync of a real file). */
function registration(ctx: FuzzContext): fc.Arbitrary<Record<string, unknown>> {
  return fc.record({
    name: nastyString,
    engine: fc.constantFrom('sqlite', 'duckdb', 'postgres', 'mysql', 'SQLITE', 'h2'),
    details: fc.oneof(
      fc.constant<Record<string, unknown>>({ db: ctx.sqliteFile }),
      fc.record({ db: nastyString }),
      fc.record({
        host: fc.constantFrom('127.0.0.1', '', '::1'),
        port: fc.constantFrom(1, 0, 65536, '5432'),
        dbname: nastyString,
      }),
    ),
    is_full_sync: fc.constantFrom(false, true, 'yes', null),
  }).map((body) => ({ ...body }));
}

/** A JSON text of `size` bytes exactly: an object whose `pad` string fills it. */
export function jsonOfSize(size: number, extra: Record<string, unknown> = {}): Buffer {
  const head = JSON.stringify({ ...extra, pad: '' });
  return Buffer.from(`${head.slice(0, -2)}${'x'.repeat(size - Buffer.byteLength(head))}"}`);
}

function nested(depth: number, open: string, close: string): string {
  return open.repeat(depth) + close.repeat(depth);
}

/** Bodies as bytes, with whether they are JSON text. */
function body(ctx: FuzzContext): fc.Arbitrary<Buffer | null> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant(null) },
    { weight: 6, arbitrary: routeObject(ctx).map((value) => Buffer.from(JSON.stringify(value))) },
    { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => Buffer.from(JSON.stringify(value))) },
    { weight: 1, arbitrary: registration(ctx).map((value) => Buffer.from(JSON.stringify(value))) },
    { weight: 2, arbitrary: fc.constantFrom(...MALFORMED).map((text) => Buffer.from(text)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(
        Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
        Buffer.from('{"a":"\xc3\x28"}', 'latin1'),
        Buffer.from('\uFEFF{}'),
      ),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...ODD_BUT_VALID)
        .map((text) => Buffer.from(text)),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(1_000, 100_000).chain((depth) =>
        fc.constantFrom(
          nested(depth, '[', ']'),
          `{"table_name":${nested(depth, '[', ']')}}`,
          `{"table_id":${nested(depth, '{"a":', '}').replace(/:\}/, ':1}')}}`,
          `{"name":${nested(depth, '[', ']')},"engine":${nested(depth, '[', ']')}}`,
        ),
      ).map((text) => Buffer.from(text)),
    },
    {
      weight: 1,
      arbitrary: fc.constantFrom(BODY_LIMIT, BODY_LIMIT + 1, BODY_LIMIT - 1, 200_000).chain((size) =>
        fc.constantFrom(
          jsonOfSize(size, { table_name: 'orders' }),
          jsonOfSize(size, { name: 'Big', engine: 'sqlite', details: {} }),
          Buffer.alloc(size, 0x20),
          Buffer.from(`[${'1,'.repeat(Math.floor((size - 2) / 2))}1]`.padEnd(size, ' ')),
        ),
      ),
    },
  );
}

function authHeaders(ctx: FuzzContext, path: string): fc.Arbitrary<[string, string | Buffer][]> {
  const name = path.startsWith('/api/notify') ? 'X-METABASE-APIKEY' : 'X-API-KEY';
  const key = path.startsWith('/api/notify') ? ctx.notifyKey : ctx.adminKey;
  const other = path.startsWith('/api/notify') ? ctx.adminKey : ctx.notifyKey;
  return fc.oneof(
    { weight: 10, arbitrary: fc.constant([[name, key]] as [string, string | Buffer][]) },
    { weight: 1, arbitrary: fc.constant<[string, string | Buffer][]>([]) },
    {
      weight: 4,
      arbitrary: fc.constantFrom<[string, string | Buffer][]>(
        [[name, key], [name, key]],
        [[name, key], [name, 'wrong']],
        [[name, 'wrong'], [name, key]],
        [[name.toLowerCase(), key]],
        [[name, ` ${key} `]],
        [[name, key.toUpperCase()]],
        [[name, other]],
        [['X-METABASE-APIKEY', ctx.notifyKey], ['X-API-KEY', ctx.adminKey]],
        [[name, '']],
        [[name, Buffer.from(`${key}é表`, 'utf8')]],
        [[name, Buffer.from([0x80, 0xff, 0xfe])]],
        [[name, 'k'.repeat(2_000)]],
        [['Authorization', `Bearer ${key}`]],
        [[`${name}-X`, key]],
      ),
    },
  );
}

const headerName = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,24}$/);

function extraHeaders(): fc.Arbitrary<[string, string | Buffer][]> {
  const value = fc.oneof(
    fc.string({ maxLength: 60 }).map((text) => text.replace(/[\r\n\0]/g, ' ')),
    fc.string({ unit: 'grapheme', maxLength: 20 }).map((text) => Buffer.from(text.replace(/[\r\n\0]/g, ' '), 'utf8')),
  );
  const long = fc.constantFrom('v'.repeat(4_000), 'v'.repeat(20_000));
  return fc.oneof(
    { weight: 30, arbitrary: fc.array(fc.tuple(headerName, value), { maxLength: 4 }) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 50, max: 3_000 })
        .map((n) => Array.from({ length: n }, (_, i) => [`X-Many-${i}`, 'v'] as [string, string])),
    },
    { weight: 1, arbitrary: fc.tuple(headerName, long).map((header) => [header]) },
    {
      weight: 6,
      arbitrary: fc.constantFrom<[string, string | Buffer][]>(
        [['Expect', '100-continue']],
        [['Content-Encoding', 'gzip']],
        [['Accept', 'application/json;q=0.1, */*']],
        [['Accept-Charset', 'utf-16']],
        [['Origin', 'http://evil.example']],
        [['X-Forwarded-For', '1.2.3.4, ::1']],
        [['Cookie', 'a=b; '.repeat(500)]],
        [['Range', 'bytes=0-1']],
        [['If-None-Match', '*']],
      ),
    },
  );
}

/** A path segment from any string, lone surrogates included (as U+FFFD), byte by byte. */
function percentEncoded(text: string): string {
  return [...Buffer.from(text, 'utf8')]
    .map((byte) => String.fromCharCode(byte))
    .map((char) => (/[A-Za-z0-9._~-]/.test(char) ? char : `%${char.charCodeAt(0).toString(16).padStart(2, '0')}`))
    .join('');
}

interface Target {
  /** The method of the route the target was made from, if any. */
  readonly method: string | null;
  readonly target: string;
}

function targetOf(ctx: FuzzContext): fc.Arbitrary<Target> {
  const id = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ctx.ids.map(String)) },
    { weight: 3, arbitrary: fc.constantFrom(...ODD_IDS) },
    { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 2n ** 80n }).map(String) },
  );
  const text = fc.oneof(fc.constantFrom(...ctx.schemaNames.filter((name) => name !== null)), nastyString);
  const templated = fc
    .tuple(fc.constantFrom(...ctx.routes), id, text, fc.constantFrom(...SUFFIXES))
    .map(([route, value, name, suffix]) => ({
      method: route.method,
      target: route.path.replaceAll('{id}', value).replaceAll('{text}', percentEncoded(name)) + suffix,
    }));
  const task = fc
    .tuple(
      fc.constantFrom('/api/task', '/api/table', '/api/ui/jobs'),
      fc.constantFrom('db_id', 'status', 'limit', 'offset', 'DB_ID', 'q', 'page', 'database_id'),
      fc.oneof(fc.constantFrom(...ODD_IDS, 'success', 'failed', 'started', ''), fc.integer().map(String)),
    )
    .map(([path, key, value]) => ({ method: 'GET', target: `${path}?${key}=${value}` }));
  return fc.oneof(
    { weight: 12, arbitrary: templated },
    { weight: 2, arbitrary: fc.constantFrom(...ODD_PATHS).map((target) => ({ method: null, target })) },
    { weight: 1, arbitrary: task },
  );
}

/** One generated request (not a raw stream). */
function request(ctx: FuzzContext): fc.Arbitrary<RawRequest> {
  return targetOf(ctx).chain(({ method: routeMethod, target }) =>
    fc.record({
      method: fc.oneof(
        { weight: 6, arbitrary: fc.constant(routeMethod ?? 'GET') },
        { weight: 3, arbitrary: fc.constantFrom(...METHODS) },
      ),
      auth: authHeaders(ctx, target),
      contentType: fc.oneof(
        { weight: 6, arbitrary: fc.constant<string | Buffer | null>('application/json') },
        { weight: 4, arbitrary: fc.constantFrom(...CONTENT_TYPES) },
      ),
      extra: extraHeaders(),
      body: body(ctx),
      chunked: fc.option(fc.integer({ min: 1, max: 5 }), { freq: 8 }),
    }).map(({ method, auth, contentType, extra, body, chunked }) => {
      const headers: [string, string | Buffer][] = [...auth, ...extra];
      if (contentType !== null) headers.push(['Content-Type', contentType]);
      const names = (id: number) => new RegExp(`^/api/database/0*${id}(?![0-9])`).test(target);
      const protect = method === 'DELETE' && ctx.protectedDatabaseIds.some(names);
      return {
        method,
        target: protect ? target.replace(/^\/api\/database\/\d+/, '/api/database/999999') : target,
        headers,
        body,
        ...(chunked === null || body === null ? {} : { chunked }),
      };
    }),
  );
}

const RAW_STREAMS: readonly string[] = [
  'GARBAGE\r\n\r\n',
  'GET /api/health HTTP/9.9\r\n\r\n',
  'GET /api/health\r\n\r\n',
  '\x00\x01\x02\x03\r\n\r\n',
  'GET  /api/health HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /api/health HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n',
  'GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n folded\r\n\r\n',
  'GET /api/health HTTP/1.1\r\nHost: x\r\nBad Name: 1\r\n\r\n',
  'GET /api/health HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n',
  'POST /api/notify/db/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
  'POST /api/notify/db/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}',
  'POST /api/notify/db/1 HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n',
  'POST /api/notify/db/1 HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n',
  'POST /api/notify/db/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n',
  'POST /api/notify/db/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1048577\r\n\r\n',
  'POST /api/notify/db/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n',
  'POST /api/notify/db/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2;ext=1\r\n{}\r\n0\r\n\r\n',
  'POST /api/notify/db/1 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n{}',
  'POST /api/notify/db/1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"table',
  `GET /${'a'.repeat(20_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
  'GET http://evil.example/api/health HTTP/1.1\r\nHost: x\r\n\r\n',
  'OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n',
  'get /api/health HTTP/1.1\r\nHost: x\r\n\r\n',
  'FOO /api/health HTTP/1.1\r\nHost: x\r\n\r\n',
  'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
  'CONNECT 127.0.0.1:5432 HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /api/health HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n',
  'GET /api/health HTTP/1.0\r\n\r\n',
  'GET /api/health HTTP/1.1\r\n\r\n',
  'GET /api/health HTTP/1.1\nHost: x\n\n',
  'GET /api/health HTTP/1.1\r\nHost: x\r\n\r\nGET /api/health HTTP/1.1\r\nHost: x\r\n\r\n',
  'GET /api/health HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n',
  'POST /api/notify/db/1 HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n',
];

function rawStream(ctx: FuzzContext): fc.Arbitrary<Buffer> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc
        .constantFrom(...RAW_STREAMS)
        .map((text) => text.replaceAll('Host: x', `Host: x\r\nX-METABASE-APIKEY: ${ctx.notifyKey}`))
        .map((text) => Buffer.from(text, 'latin1')),
    },
    { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
    { weight: 1, arbitrary: fc.constant(Buffer.from('16030100a5010000a10303', 'hex')) },
  );
}

/** A notify that waits for its sync; the client sometimes leaves before the answer. */
function waiting(ctx: FuzzContext): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      id: fc.constantFrom(...ctx.protectedDatabaseIds),
      body: fc.record(
        {
          table_name: fc.constantFrom(...ctx.tableNames),
          scan: fc.constantFrom('full', 'schema'),
          'synchronous?': fc.constantFrom<unknown>(true, 'true', 1, 'yes'),
        },
        { requiredKeys: ['synchronous?'] },
      ),
      leaveAfterMs: fc.option(fc.integer({ min: 0, max: 300 }), { freq: 2 }),
    })
    .map(({ id, body, leaveAfterMs }) => ({
      request: {
        method: 'POST',
        target: `/api/notify/db/${id}`,
        headers: [['X-METABASE-APIKEY', ctx.notifyKey], ['Content-Type', 'application/json']],
        body: Buffer.from(JSON.stringify(body)),
      },
      raw: null,
      halfClose: false,
      ...(leaveAfterMs === null ? {} : { leaveAfterMs }),
    }));
}

/** Any request: valid ones included, which may queue and wait for syncs. */
export function anyCase(ctx: FuzzContext): fc.Arbitrary<FuzzCase> {
  return fc.oneof(
    { weight: 19, arbitrary: request(ctx).map((r) => ({ request: r, raw: null, halfClose: false })) },
    { weight: 1, arbitrary: rawStream(ctx).map((raw) => ({ request: null, raw, halfClose: true })) },
    { weight: 1, arbitrary: waiting(ctx) },
  );
}

/**
 * Requests that must run no warehouse statement and write nothing: every GET but a field's summary, and requests
 * rejected before any lookup can write (no key or a wrong one, a path outside every scope, malformed JSON, a body over
 * the limit, failing validation, ids that no row has).
 */
export function quietCase(ctx: FuzzContext): fc.Arbitrary<FuzzCase> {
  const anyRequest = request(ctx);
  const withoutKey = anyRequest.map((r) => ({
    ...r,
    headers: r.headers
      .filter(([name]) => !/^x-(metabase-)?api-?key$/i.test(name))
      .concat([['X-API-KEY', 'wrong'], ['X-METABASE-APIKEY', 'wrong']]),
  }));
  // GET /api/field/:id/summary is the one read that asks the warehouse (row and distinct counts).
  const gets = anyRequest.filter((r) => !r.target.includes('/summary')).map((r) => ({ ...r, method: 'GET' }));
  const post = (target: string, bodyText: Buffer, contentType = 'application/json', method = 'POST') => ({
    method,
    target,
    headers: [
      ['X-METABASE-APIKEY', ctx.notifyKey],
      ['X-API-KEY', ctx.adminKey],
      ['Content-Type', contentType],
    ] as [string, string][],
    body: bodyText,
  });
  const writing = ctx.routes.filter((route) => route.method !== 'GET');
  const target = fc
    .tuple(fc.constantFrom(...writing), fc.constantFrom(...ctx.ids.map(String)))
    .map(([route, id]) => ({
      method: route.method,
      path: route.path.replaceAll('{id}', id).replaceAll('{text}', 'x'),
    }));
  const malformed = fc
    .tuple(target, fc.constantFrom(...MALFORMED))
    .map(([t, text]) => post(t.path, Buffer.from(text), 'application/json', t.method));
  const tooLarge = fc.tuple(target, fc.constantFrom('application/json', 'text/plain')).map(([t, type]) =>
    post(t.path, jsonOfSize(BODY_LIMIT + 1, { table_name: 'orders' }), type, t.method));
  const invalid = fc
    .tuple(fc.constantFrom(...ctx.ids), fc.constantFrom<Record<string, unknown>>(
      { table_id: 0 }, { table_id: -1 }, { table_id: 'abc' }, { table_id: 5.5 }, { scan: 'FULL' }, { table_name: '' },
      { table_name: ' ' }, { schema_name: '' }, { table_name: 5 }, { table_id: [1] }, { scan: {} },
    ), fc.constantFrom('', '/new-table'))
    .map(([id, value, route]) => {
      const sent = route ? { table_name: value.table_name ?? '' } : value;
      return post(`/api/notify/db/${id}${route}`, Buffer.from(JSON.stringify(sent)));
    });
  const unknownIds = fc
    .tuple(
      fc.constantFrom('999999', '9223372036854775808', '1'.repeat(40)),
      fc.constantFrom('/api/notify/db/', '/api/database/').chain((root) =>
        fc.constantFrom(...(root === '/api/database/' ? ['/sync_schema', '/rescan_values'] : ['', '/new-table'])).map(
          (route) => [root, route] as const,
        ),
      ),
    )
    .map(([id, [root, route]]) => post(`${root}${id}${route}`, Buffer.from('{"schema_name":"main","table_name":"orders"}')));
  return fc
    .oneof(withoutKey, gets, malformed, tooLarge, invalid, unknownIds)
    .map((r) => ({ request: r, raw: null, halfClose: false }));
}
