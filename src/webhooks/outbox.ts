// The change webhooks' durable outbox (migration 003): one webhook_delivery row per configured URL for every job that
// changed something, inserted in the transaction that records the job's end, so a delivery is never lost to a crash.
import { randomUUID } from 'node:crypto';
import type { Transaction } from 'kysely';
import type { AppDb } from '../db/connect.ts';
import type { AppSchema } from '../db/schema.ts';
import type { Completion, JobView } from '../jobs/queue.ts';
import type { Changeset } from '../jobs/types.ts';

export const WEBHOOK_EVENT = 'catalog.changed';

/** The JSON body every receiver gets (also stored, so a retry sends the same bytes). */
export interface WebhookPayload {
  readonly delivery_id: string;
  readonly event: typeof WEBHOOK_EVENT;
  readonly job_id: number;
  readonly database_id: number;
  readonly status: 'succeeded' | 'failed';
  readonly occurred_at: string;
  readonly changes: Changeset;
}

/** Whether any list of the changeset is non-empty. */
export function hasChanges(changes: Changeset | null | undefined): changes is Changeset {
  if (!changes) return false;
  return [changes.tables, changes.fields].some((group) => Object.values(group).some((list) => list.length > 0));
}

/** Inserts one pending delivery per URL when the job changed the catalog; nothing for a change-less job. */
export async function writeDeliveries(
  appDb: AppDb,
  trx: Transaction<AppSchema>,
  urls: readonly string[],
  job: JobView,
  completion: Completion,
): Promise<void> {
  const changes = completion.result?.changes;
  if (urls.length === 0 || !hasChanges(changes)) return;
  const occurredAt = new Date().toISOString();
  await trx
    .insertInto('webhook_delivery')
    .values(
      urls.map((url) => {
        const deliveryId = randomUUID();
        const payload: WebhookPayload = {
          delivery_id: deliveryId,
          event: WEBHOOK_EVENT,
          job_id: job.id,
          database_id: job.databaseId,
          status: completion.state,
          occurred_at: occurredAt,
          changes,
        };
        return { delivery_id: deliveryId, job_id: job.id, url, payload: JSON.stringify(payload), next_attempt_at: appDb.now() };
      }),
    )
    .execute();
}

/** A delivery as GET /api/notify/job/:id reports it; the target is the URL's origin only (paths often hold tokens). */
export interface DeliveryStatus {
  readonly delivery_id: string;
  readonly target: string;
  readonly state: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly last_status: number | null;
  readonly last_error: string | null;
  readonly next_attempt_at: string | null;
  readonly delivered_at: string | null;
}

export async function jobDeliveries(appDb: AppDb, jobId: number): Promise<DeliveryStatus[]> {
  const rows = await appDb.db
    .selectFrom('webhook_delivery')
    .select(['delivery_id', 'url', 'state', 'attempts', 'last_status', 'last_error', 'next_attempt_at', 'delivered_at'])
    .where('job_id', '=', jobId)
    .orderBy('id')
    .execute();
  return rows.map((row) => ({
    delivery_id: row.delivery_id,
    target: new URL(row.url).origin,
    state: row.state,
    attempts: row.attempts,
    last_status: row.last_status,
    last_error: row.last_error,
    next_attempt_at: row.state === 'pending' ? row.next_attempt_at : null,
    delivered_at: row.delivered_at,
  }));
}
