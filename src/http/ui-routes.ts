// The admin page's static files (src/ui/): `/` is index.html, `/ui/<path>` the modules and the style sheet. Only the
// files found in src/ui at start-up are served, looked up by exact path, so no request can reach another file.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ROUTE_NOT_FOUND, sendText } from './replies.ts';

export const UI_DIR = fileURLToPath(new URL('../ui/', import.meta.url));

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

// The page loads nothing from elsewhere and runs no inline script: a name that slipped past the escaping still could
// not execute.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

interface StaticFile {
  readonly body: Buffer;
  readonly type: string;
  readonly etag: string;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

/** Every servable file of `dir` by its URL path below /ui/ (forward slashes); other extensions are left out. */
export function loadStaticFiles(dir: string): ReadonlyMap<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  for (const path of listFiles(dir)) {
    const type = CONTENT_TYPES[extname(path)];
    if (type === undefined) continue;
    const body = readFileSync(path);
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
    files.set(relative(dir, path).split(sep).join('/'), { body, type, etag });
  }
  return files;
}

// Revalidated on every load (ETag, 304): the file names carry no version, and an edited module must not be mixed
// with cached old ones.
function sendFile(request: FastifyRequest, reply: FastifyReply, file: StaticFile): FastifyReply {
  reply.headers({ ...SECURITY_HEADERS, 'cache-control': 'no-cache', etag: file.etag });
  if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
  return reply.code(200).type(file.type).send(file.body);
}

export function registerUiRoutes(app: FastifyInstance, dir = UI_DIR): void {
  const files = loadStaticFiles(dir);
  const index = files.get('index.html');
  if (index === undefined) throw new Error(`the admin page has no index.html in ${dir}`);
  app.get('/', async (request, reply) => sendFile(request, reply, index));
  app.get('/ui/*', async (request, reply) => {
    const file = files.get((request.params as { '*': string })['*']);
    return file === undefined ? sendText(reply, 404, ROUTE_NOT_FOUND) : sendFile(request, reply, file);
  });
}
