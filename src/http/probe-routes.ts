// Liveness and readiness probes (curation-notes.md section 4): public, no key read. /livez answers while the process
// serves HTTP; /readyz also asks the application database, with a short timeout so a stuck pool cannot hang a probe.
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { AppDb } from '../db/connect.ts';
import { sendJson } from './replies.ts';

const READY_QUERY_TIMEOUT_MS = 2000;

async function appDbAnswers(appDb: AppDb): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), READY_QUERY_TIMEOUT_MS);
  });
  const query = sql`select 1`.execute(appDb.db).then(
    () => true,
    () => false,
  );
  try {
    return await Promise.race([query, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function registerProbeRoutes(app: FastifyInstance, appDb: AppDb, isReady: () => boolean): void {
  app.get('/livez', async (_request, reply) => sendJson(reply, 200, { status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (!isReady()) return sendJson(reply, 503, { status: 'unavailable', reason: 'migrations have not run yet' });
    if (!(await appDbAnswers(appDb))) {
      return sendJson(reply, 503, { status: 'unavailable', reason: 'the application database does not answer' });
    }
    return sendJson(reply, 200, { status: 'ok' });
  });
}
