// Delivers the outbox (at least once): a loop claims due pending rows under a short lease (one UPDATE, FOR UPDATE
// SKIP LOCKED on PostgreSQL, so several instances never send one row at the same time), POSTs each signed body with a
// timeout, and records delivered, or the next attempt after an exponential backoff, or failed after the last attempt.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { ExpressionBuilder, Selectable } from 'kysely';
import type { AppDb } from '../db/connect.ts';
import type { AppSchema, WebhookDeliveryRow } from '../db/schema.ts';
import { sanitize } from '../errors.ts';
import { nowPlusSeconds } from '../jobs/clock.ts';
import type { Logger } from '../logger.ts';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signBody } from './signature.ts';

export interface DispatcherOptions {
  readonly appDb: AppDb;
  readonly logger: Logger;
  readonly secret: string;
  /** Called with the outcome of every attempt (metrics). */
  readonly onAttempt?: (outcome: 'delivered' | 'retry' | 'failed') => void;
  readonly instanceId?: string;
  /** Backoff: the first retry after this, doubled per attempt up to maxDelayMs (default 1 s to 1 h). */
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Attempts before a delivery is given up as failed (default 20: about 14 hours of retries). */
  readonly maxAttempts?: number;
  readonly requestTimeoutMs?: number;
  readonly pollMs?: number;
}

type Delivery = Selectable<WebhookDeliveryRow>;

const BATCH = 10;
/** A claim outlives the request timeout by far; a crashed sender's rows are claimed again after it. */
const LEASE_SECONDS = 60;

/** Milliseconds before attempt `attempts + 1`, with up to 10 % jitter so that receivers are not hit in lockstep. */
export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  const delay = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(delay * (1 + Math.random() * 0.1));
}

export class WebhookDispatcher {
  readonly #appDb: AppDb;
  readonly #logger: Logger;
  readonly #secret: string;
  readonly #onAttempt: NonNullable<DispatcherOptions['onAttempt']>;
  readonly #owner: string;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxAttempts: number;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  readonly #inFlight = new AbortController();
  #running = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(options: DispatcherOptions) {
    this.#appDb = options.appDb;
    this.#logger = options.logger;
    this.#secret = options.secret;
    this.#onAttempt = options.onAttempt ?? (() => undefined);
    this.#owner = options.instanceId ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.#baseDelayMs = options.baseDelayMs ?? 1000;
    this.#maxDelayMs = options.maxDelayMs ?? 3_600_000;
    this.#maxAttempts = options.maxAttempts ?? 20;
    this.#timeoutMs = options.requestTimeoutMs ?? 10_000;
    this.#pollMs = options.pollMs ?? 1000;
  }

  start(): void {
    if (this.#loop) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /** A job wrote deliveries: look at once instead of at the next poll. */
  wake(): void {
    this.#wake?.();
  }

  /** Stops claiming; requests in flight are aborted and their rows released for the next run, uncounted. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#inFlight.abort();
    this.wake();
    await this.#loop;
  }

  async #run(): Promise<void> {
    while (this.#running) {
      let claimed = 0;
      try {
        const rows = await this.#claim();
        claimed = rows.length;
        await Promise.all(rows.map((row) => this.#deliver(row)));
      } catch (error) {
        this.#logger.error({ err: sanitize(error instanceof Error ? error.message : String(error)) }, 'webhook dispatch failed');
      }
      if (claimed < BATCH && this.#running) await this.#sleep();
    }
  }

  #sleep(): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, this.#pollMs);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = () => {
        this.#wake = null;
        done();
      };
    });
  }

  async #claim(): Promise<Delivery[]> {
    const appDb = this.#appDb;
    const free = (eb: ExpressionBuilder<AppSchema, 'webhook_delivery'>) =>
      eb.or([eb('lease_expires_at', 'is', null), eb('lease_expires_at', '<', appDb.now())]);
    const due = appDb.db
      .selectFrom('webhook_delivery')
      .select('id')
      .where('state', '=', 'pending')
      .where('next_attempt_at', '<=', appDb.now())
      .where(free)
      .orderBy('next_attempt_at')
      .orderBy('id')
      .limit(BATCH)
      .$if(appDb.kind === 'postgres', (qb) => qb.forUpdate().skipLocked());
    return await appDb.db
      .updateTable('webhook_delivery')
      .set({ lease_owner: this.#owner, lease_expires_at: nowPlusSeconds(appDb, LEASE_SECONDS) })
      .where('id', 'in', due)
      .where('state', '=', 'pending')
      .where(free)
      .returningAll()
      .execute();
  }

  async #deliver(row: Delivery): Promise<void> {
    const failure = await this.#post(row);
    const appDb = this.#appDb;
    const mine = appDb.db.updateTable('webhook_delivery').where('id', '=', row.id).where('lease_owner', '=', this.#owner);
    const release = { lease_owner: null, lease_expires_at: null };
    if (failure === 'stopped') {
      await mine.set(release).execute();
      return;
    }
    const attempts = row.attempts + 1;
    const log = { delivery_id: row.delivery_id, job_id: row.job_id, target: new URL(row.url).origin, attempts };
    if (failure === null) {
      await mine.set({ ...release, state: 'delivered', attempts, delivered_at: appDb.now(), last_error: null }).execute();
      this.#onAttempt('delivered');
      this.#logger.info(log, 'webhook delivered');
      return;
    }
    const status = { last_status: failure.status, last_error: failure.error };
    if (attempts >= this.#maxAttempts) {
      await mine.set({ ...release, ...status, state: 'failed', attempts }).execute();
      this.#onAttempt('failed');
      this.#logger.error({ ...log, error: failure.error }, 'webhook delivery given up');
      return;
    }
    const delayMs = backoffMs(attempts, this.#baseDelayMs, this.#maxDelayMs);
    await mine.set({ ...release, ...status, attempts, next_attempt_at: nowPlusSeconds(appDb, delayMs / 1000) }).execute();
    this.#onAttempt('retry');
    this.#logger.warn({ ...log, error: failure.error, retry_in_ms: delayMs }, 'webhook delivery failed; will retry');
  }

  /** null when the receiver answered 2xx; the reason otherwise, or 'stopped' when the service is stopping. */
  async #post(row: Delivery): Promise<{ status: number | null; error: string } | null | 'stopped'> {
    const signal = AbortSignal.any([this.#inFlight.signal, AbortSignal.timeout(this.#timeoutMs)]);
    try {
      const response = await fetch(row.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'catalog-sync',
          [SIGNATURE_HEADER]: signBody(this.#secret, row.payload),
          [DELIVERY_HEADER]: row.delivery_id,
        },
        body: row.payload,
        redirect: 'manual',
        signal,
      });
      await response.body?.cancel().catch(() => undefined);
      if (response.status >= 200 && response.status <= 299) return null;
      return { status: response.status, error: `HTTP ${response.status}` };
    } catch (error) {
      if (this.#inFlight.signal.aborted) return 'stopped';
      if (signal.aborted) return { status: null, error: `no answer within ${this.#timeoutMs / 1000} s` };
      const cause = (error as { cause?: unknown }).cause;
      const reason = cause instanceof Error ? cause.message : error instanceof Error ? error.message : String(error);
      return { status: null, error: sanitize(reason, [this.#secret]) };
    }
  }
}
