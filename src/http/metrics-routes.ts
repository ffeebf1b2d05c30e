// GET /api/metrics (admin key): the instance's Prometheus metrics in the text exposition format; and the hook that
// counts every answered request by method, route pattern and status.
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../metrics/metrics.ts';

export function registerMetricsRoutes(app: FastifyInstance, metrics: Metrics): void {
  app.addHook('onResponse', (request, reply, done) => {
    metrics.countRequest(request.method, request.routeOptions.url, reply.statusCode);
    done();
  });
  app.get('/api/metrics', async (_request, reply) => {
    const { contentType, text } = await metrics.exposition();
    return reply.code(200).header('content-type', contentType).send(text);
  });
}
