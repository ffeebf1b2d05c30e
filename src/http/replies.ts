// Every answer of the contract goes out through these helpers: exact content types, text without a trailing newline,
// JSON serialized here (notify-api.md sections 3.4, 3.9 and 3.10).
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import { HttpError } from '../errors.ts';

export const JSON_TYPE = 'application/json; charset=utf-8';
export const TEXT_TYPE = 'text/plain; charset=utf-8';

export const ROUTE_NOT_FOUND = 'API endpoint does not exist.';
export const NOT_FOUND = 'Not found.';
export const MALFORMED_JSON = 'Malformed JSON in request body.';
export const TOO_LARGE = 'Request body too large.';
export const INTERNAL_ERROR = 'Internal server error.';

export function sendJson(reply: FastifyReply, status: number, body: unknown): FastifyReply {
  return reply.code(status).type(JSON_TYPE).send(JSON.stringify(body));
}

/**
 * A JSON object written as it is produced, byte for byte JSON.stringify({...head, [key]: items, ...tail}): `items` are
 * the JSON texts of the array's elements, read one at a time, so that a long array is never built whole.
 */
export function sendJsonStream(
  reply: FastifyReply,
  status: number,
  head: object,
  key: string,
  items: AsyncIterable<string>,
  tail: object = {},
): FastifyReply {
  const members = (object: object) => JSON.stringify(object).slice(1, -1);
  async function* body(): AsyncGenerator<string> {
    const before = members(head);
    yield `{${before}${before === '' ? '' : ','}${JSON.stringify(key)}:[`;
    let first = true;
    for await (const item of items) {
      yield first ? item : `,${item}`;
      first = false;
    }
    const after = members(tail);
    yield `]${after === '' ? '' : ','}${after}}`;
  }
  return reply.code(status).type(JSON_TYPE).send(Readable.from(body()));
}

/** A HEAD answer carries no body (section 3.1); on the wire Node drops it anyway, so say so explicitly. */
export function sendText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return reply.code(status).type(TEXT_TYPE).send(reply.request.method === 'HEAD' ? '' : text);
}

export function sendHttpError(reply: FastifyReply, error: HttpError): FastifyReply {
  return error.contentType === 'json'
    ? sendJson(reply, error.status, error.body)
    : sendText(reply, error.status, String(error.body));
}

export const notFound = (): HttpError => new HttpError(404, NOT_FOUND, 'text');
export const malformedJson = (): HttpError => new HttpError(400, MALFORMED_JSON, 'text');
export const tooLarge = (): HttpError => new HttpError(413, TOO_LARGE, 'text');
