// Body reading and parsing (notify-api.md sections 3.2 and 3.3). Every body is read through one catch-all parser with
// the 1 MiB limit; only a JSON media type is parsed, any other body is read and discarded.
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { malformedJson, tooLarge } from './replies.ts';

export const BODY_LIMIT = 1_048_576;

/** `application/json` or `application/<anything>+json`; the media type is the part before `;`, case-insensitive. */
export function isJsonMediaType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const mediaType = header.split(';', 1)[0]!.trim().toLowerCase();
  return mediaType === 'application/json' || (mediaType.startsWith('application/') && mediaType.endsWith('+json'));
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Parses a JSON body: empty or whitespace-only is null; invalid UTF-8 or JSON throws the 400 answer. */
export function parseJsonBody(bytes: Uint8Array): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw malformedJson();
  }
  if (/^[ \t\n\r]*$/.test(text)) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw malformedJson();
  }
}

const jsonBodies = new WeakSet<IncomingMessage>();

/**
 * Installs the body handling on `app`. Fastify answers 415 itself for a Content-Type it cannot parse (an empty one,
 * say) before any parser runs, so the header is taken off the request once the route is known and the decision
 * "JSON or not" is remembered for the catch-all parser.
 */
export function installBodyHandling(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: BODY_LIMIT }, (request, body, done) => {
    try {
      done(null, jsonBodies.has(request.raw) ? parseJsonBody(body as Buffer) : null);
    } catch (error) {
      done(error as Error, undefined);
    }
  });
  app.addHook('preParsing', async (request, _reply, payload) => {
    const contentType = request.raw.headers['content-type'];
    if (contentType !== undefined) {
      if (isJsonMediaType(contentType)) jsonBodies.add(request.raw);
      delete request.raw.headers['content-type'];
    }
    return payload;
  });
  // Fastify never reads the body of a GET; the contract reads it with the same limit and ignores it.
  app.addHook('preValidation', async (request) => {
    if (request.method === 'GET') await discardBody(request);
  });
}

function discardBody(request: FastifyRequest): Promise<void> {
  const raw = request.raw;
  const length = raw.headers['content-length'];
  if (length === undefined && raw.headers['transfer-encoding'] === undefined) return Promise.resolve();
  if (Number(length) > BODY_LIMIT) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    let received = 0;
    const onData = (chunk: Buffer) => {
      received += chunk.length;
      if (received > BODY_LIMIT) {
        cleanup();
        reject(tooLarge());
      }
    };
    const onEnd = () => {
      cleanup();
      resolve();
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    const cleanup = () => {
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('error', onError);
    };
    raw.on('data', onData);
    raw.on('end', onEnd);
    raw.on('error', onError);
    raw.resume();
  });
}
