// The Prometheus metrics of one application instance (issue 9): its own prom-client registry, never the global one,
// so that tests can build many apps in one process. Per-request work is one counter increment; the job gauges are
// read from sync_job with one grouped query when scraped.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AppDb } from '../db/connect.ts';

/** Seconds: a one-table sync takes milliseconds, a whole warehouse of 10,000 tables minutes. */
const DURATION_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

interface RequestCount {
  readonly labels: Record<'method' | 'route' | 'status', string>;
  n: number;
}

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly jobsFinished: Counter<'state'>;
  readonly jobDuration: Histogram<'state'>;
  readonly phaseDuration: Histogram<'phase' | 'status'>;
  readonly warehouseQueries: Counter<'engine'>;
  readonly warehouseErrors: Counter<'engine'>;
  readonly catalogRowsWritten: Counter<'phase'>;
  readonly leaseTakeovers: Counter;
  readonly webhookDeliveries: Counter<'outcome'>;
  /** Route patterns as labels, without their parameter patterns (`/api/notify/db/:id`). */
  readonly #routeLabels = new Map<string, string>();
  /**
   * Answered requests by method, status and pattern, copied into the counter when scraped: one map lookup per request
   * (prom-client hashes the labels on every inc, about 1.2 µs).
   */
  readonly #requestCounts = new Map<string | undefined, Map<string, Map<number, RequestCount>>>();

  constructor(appDb: AppDb, options: { defaultMetrics?: boolean } = {}) {
    const registers = [this.registry];
    const requestCounts = this.#requestCounts;
    this.httpRequests = new Counter({
      name: 'catalog_sync_http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers,
      collect() {
        this.reset();
        for (const byMethod of requestCounts.values()) {
          for (const byStatus of byMethod.values()) for (const { labels, n } of byStatus.values()) this.inc(labels, n);
        }
      },
    });
    this.jobsFinished = new Counter({
      name: 'catalog_sync_jobs_finished_total',
      help: 'Sync jobs of this instance that ended, by state',
      labelNames: ['state'],
      registers,
    });
    this.jobDuration = new Histogram({
      name: 'catalog_sync_job_duration_seconds',
      help: 'Run time of the sync jobs of this instance, from claim to recorded end',
      labelNames: ['state'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.phaseDuration = new Histogram({
      name: 'catalog_sync_job_phase_duration_seconds',
      help: 'Run time of job phases (metadata, analyze, field-values), from their task_history operation rows',
      labelNames: ['phase', 'status'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.warehouseQueries = new Counter({
      name: 'catalog_sync_warehouse_queries_total',
      help: 'Queries sent to warehouses by sync jobs, by engine',
      labelNames: ['engine'],
      registers,
    });
    this.warehouseErrors = new Counter({
      name: 'catalog_sync_warehouse_errors_total',
      help: 'Failed sync steps and failed connection tests, by engine',
      labelNames: ['engine'],
      registers,
    });
    this.catalogRowsWritten = new Counter({
      name: 'catalog_sync_catalog_rows_written_total',
      help: 'Catalog rows that sync steps created, changed, retired or deleted, by phase',
      labelNames: ['phase'],
      registers,
    });
    this.leaseTakeovers = new Counter({
      name: 'catalog_sync_lease_takeovers_total',
      help: 'Running jobs whose lease expired and that this instance handed back to the queue',
      registers,
    });
    this.webhookDeliveries = new Counter({
      name: 'catalog_sync_webhook_deliveries_total',
      help: 'Change webhook delivery attempts, by outcome (delivered, retry, failed)',
      labelNames: ['outcome'],
      registers,
    });
    const jobs = new Gauge({
      name: 'catalog_sync_jobs',
      help: 'Queued and running sync jobs, by database (read from sync_job when scraped)',
      labelNames: ['database_id', 'state'],
      registers,
      async collect() {
        const rows = await appDb.db
          .selectFrom('sync_job')
          .select(['database_id', 'state', (eb) => eb.fn.countAll<number>().as('n')])
          .where('state', 'in', ['queued', 'running'])
          .groupBy(['database_id', 'state'])
          .execute();
        this.reset();
        for (const row of rows) this.set({ database_id: String(row.database_id), state: row.state }, Number(row.n));
      },
    });
    void jobs;
    const stats = appDb.poolStats;
    if (stats) {
      new Gauge({
        name: 'catalog_sync_app_db_pool_connections',
        help: 'Application database pool: connections by state (busy, idle), clients waiting, and the maximum',
        labelNames: ['state'],
        registers,
        collect() {
          const s = stats();
          this.set({ state: 'busy' }, s.total - s.idle);
          this.set({ state: 'idle' }, s.idle);
          this.set({ state: 'waiting' }, s.waiting);
          this.set({ state: 'max' }, s.max);
        },
      });
    }
    // process_* and nodejs_* series, event-loop lag included (monitorEventLoopDelay).
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
  }

  /** Counts one answered request. */
  countRequest(method: string, pattern: string | undefined, status: number): void {
    let byMethod = this.#requestCounts.get(pattern);
    if (byMethod === undefined) this.#requestCounts.set(pattern, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    const entry = byStatus.get(status);
    if (entry !== undefined) entry.n++;
    else byStatus.set(status, { labels: { method, route: this.routeLabel(pattern), status: String(status) }, n: 1 });
  }

  /** The route label of a Fastify route pattern; `unmatched` for requests that reached no route. */
  routeLabel(pattern: string | undefined): string {
    if (pattern === undefined) return 'unmatched';
    let label = this.#routeLabels.get(pattern);
    if (label === undefined) {
      label = pattern.replace(/\(.*?\)(?=\/|$)/g, '');
      this.#routeLabels.set(pattern, label);
    }
    return label;
  }

  /** The exposition text and its content type. */
  async exposition(): Promise<{ contentType: string; text: string }> {
    return { contentType: this.registry.contentType, text: await this.registry.metrics() };
  }
}
