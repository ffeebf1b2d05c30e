// The error handler: contract errors (HttpError) as they are, Fastify's body errors as the contract's 400 and 413,
// anything else as the 500 "Internal server error." with nothing of the error in the answer.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { HttpError, sanitize } from '../errors.ts';
import { INTERNAL_ERROR, malformedJson, sendHttpError, sendJson, tooLarge } from './replies.ts';

function contractError(error: FastifyError): HttpError | null {
  if (error instanceof HttpError) return error;
  if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return tooLarge();
  // A body that ends before its Content-Length, or a read that fails, cannot be parsed either.
  if (error.code?.startsWith('FST_ERR_CTP_') && (error.statusCode ?? 500) < 500) return malformedJson();
  return null;
}

export function errorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const answer = contractError(error);
  if (answer) return sendHttpError(reply, answer);
  // Only the waiting of a request aborts with AbortError, when its client disconnects.
  if (error.name === 'AbortError') {
    request.log.info('the client went away while its request waited');
  } else {
    // The first line of the stack is the message: log it sanitized, with the frames.
    const frames = (error.stack ?? '').split('\n').slice(1).join('\n');
    const err = { type: error.name, code: error.code, message: sanitize(error.message), stack: frames };
    request.log.error({ err }, 'request failed');
  }
  return sendJson(reply, 500, { message: INTERNAL_ERROR });
}
