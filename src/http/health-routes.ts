// GET /api/health (notify-api.md section 6.0): public, reads no key header.
import type { FastifyInstance } from 'fastify';
import { sendJson } from './replies.ts';

export function registerHealthRoutes(app: FastifyInstance, isReady: () => boolean): void {
  app.get('/api/health', async (_request, reply) =>
    isReady() ? sendJson(reply, 200, { status: 'ok' }) : sendJson(reply, 503, { status: 'initializing' }),
  );
}
