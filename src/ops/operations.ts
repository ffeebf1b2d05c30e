// What the service adds for its operators (issue 9): metrics and the Prometheus listener, job summary lines, and the
// change webhooks (outbox rows written with each job's end, a dispatcher that delivers them).
import type { Config } from '../config.ts';
import type { AppDb } from '../db/connect.ts';
import type { JobObserver } from '../jobs/worker-pool.ts';
import type { Logger } from '../logger.ts';
import { jobSummaryObserver } from '../metrics/job-summary.ts';
import { Metrics } from '../metrics/metrics.ts';
import { startPrometheusServer, type PrometheusServer } from '../metrics/prometheus-server.ts';
import { WebhookDispatcher } from '../webhooks/dispatcher.ts';
import { writeDeliveries } from '../webhooks/outbox.ts';

export interface Operations {
  readonly metrics: Metrics;
  readonly observer: JobObserver;
  /** Starts the webhook dispatcher (when webhooks are configured). */
  start(): void;
  /** Opens the Prometheus listener (when MB_PROMETHEUS_SERVER_PORT is set). */
  listen(): Promise<void>;
  /** Closes the listener and stops the dispatcher. */
  stop(): Promise<void>;
}

export function createOperations(deps: { appDb: AppDb; config: Config; logger: Logger }): Operations {
  const { appDb, config, logger } = deps;
  const metrics = new Metrics(appDb);
  const summary = jobSummaryObserver(appDb, logger, metrics);
  const urls = config.webhookUrls;
  const dispatcher =
    urls.length > 0 && config.webhookSecret !== null
      ? new WebhookDispatcher({
          appDb,
          logger,
          secret: config.webhookSecret,
          onAttempt: (outcome) => metrics.webhookDeliveries.inc({ outcome }),
        })
      : null;
  let prometheus: PrometheusServer | null = null;
  const observer: JobObserver = {
    completing: dispatcher ? (trx, job, completion) => writeDeliveries(appDb, trx, urls, job, completion) : undefined,
    ended(job, completion, durationMs) {
      summary.ended(job, completion, durationMs);
      dispatcher?.wake();
    },
    leasesTakenOver: summary.leasesTakenOver,
  };
  return {
    metrics,
    observer,
    start() {
      dispatcher?.start();
    },
    async listen() {
      if (config.prometheusServerPort !== null && prometheus === null) {
        prometheus = await startPrometheusServer(metrics, config.host, config.prometheusServerPort, logger);
      }
    },
    async stop() {
      await prometheus?.close();
      await dispatcher?.stop();
    },
  };
}
