// Steps 1 and 2 of notify-api.md section 3.1 (scope, then authentication), run from onRequest: after Fastify has
// found the route, before any body byte is read. Also answers "no route" there, so an unknown path is never read.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.ts';
import { ADMIN_KEY_NOT_SET, KeyGuard, NOTIFY_KEY_NOT_SET, scopeOf } from './auth.ts';
import { ROUTE_NOT_FOUND, sendJson, sendText } from './replies.ts';

export type Gate = (request: FastifyRequest, reply: FastifyReply) => FastifyReply | null;

/** Returns the answer that ends the request at the gate, or null when it goes on to routing. */
export function createGate(config: Config): Gate {
  const guards = {
    notify: { guard: new KeyGuard('x-metabase-apikey', config.apiKey), notSet: NOTIFY_KEY_NOT_SET },
    management: { guard: new KeyGuard('x-api-key', config.adminApiKey), notSet: ADMIN_KEY_NOT_SET },
  };
  return (request, reply) => {
    const scope = scopeOf(request.raw.url ?? '');
    if (scope === 'outside') return sendText(reply, 404, ROUTE_NOT_FOUND);
    if (scope === 'notify' || scope === 'management') {
      const { guard, notSet } = guards[scope];
      const check = guard.check(request.raw.rawHeaders);
      // The "not set" body is a JSON string literal.
      if (check === 'not-set') return sendJson(reply, 403, notSet);
      if (check === 'forbidden') return sendText(reply, 403, 'Forbidden');
    }
    return request.is404 ? sendText(reply, 404, ROUTE_NOT_FOUND) : null;
  };
}
