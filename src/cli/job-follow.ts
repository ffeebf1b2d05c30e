// `notify --wait`: follows the job the notification joined until it ends, from GET /api/notify/job/:id/progress (notify
// key), with a progress line on stderr: rewritten in place on a terminal, one plain line per change otherwise.
import { setTimeout as sleep } from 'node:timers/promises';
import { callApi, CliError, EXIT, failureExit, failureLine, type CliIo } from './client.ts';

const POLL_MS = 500;
const REQUEST_TIMEOUT_SECONDS = 30;
const CLEAR_LINE = '\r\x1b[2K';

interface ProgressBody {
  readonly id: number;
  readonly status: 'queued' | 'running' | 'succeeded' | 'failed';
  readonly progress: {
    readonly phase: string;
    readonly step: string;
    readonly tables_done: number | null;
    readonly tables_total: number | null;
  } | null;
}

/** `job 7 running · metadata · sync-fields · 120/500 tables`. */
export function progressLine(body: ProgressBody): string {
  const parts = [`job ${body.id} ${body.status}`];
  const p = body.progress;
  if (p !== null) {
    parts.push(p.phase, p.step);
    if (p.tables_total !== null && p.tables_done !== null) parts.push(`${p.tables_done}/${p.tables_total} tables`);
  }
  return parts.join(' · ');
}

export interface FollowRequest {
  readonly baseUrl: string;
  readonly key: { readonly header: string; readonly value: string };
  readonly jobId: number;
  readonly timeoutSeconds: number;
}

/** Resolves with the job's final status once it ended; throws a CliError with exit 3 when the time is up. */
export async function followJob(io: CliIo, request: FollowRequest): Promise<'succeeded' | 'failed'> {
  const deadline = Date.now() + request.timeoutSeconds * 1000;
  const get = (path: string) =>
    callApi({
      baseUrl: request.baseUrl,
      method: 'GET',
      path,
      key: request.key,
      timeoutSeconds: Math.min(REQUEST_TIMEOUT_SECONDS, Math.max(1, (deadline - Date.now()) / 1000)),
    });
  let shown = '';
  const show = (line: string) => {
    if (line === shown && !io.tty) return;
    io.err(io.tty ? `${CLEAR_LINE}${line}` : `${line}\n`);
    shown = line;
  };
  const clear = () => {
    if (io.tty && shown !== '') io.err(CLEAR_LINE);
  };
  try {
    for (;;) {
      const answer = await get(`/api/notify/job/${request.jobId}/progress`);
      if (answer.status !== 200) throw new CliError(failureLine(answer), failureExit(answer.status));
      const body = answer.body as ProgressBody;
      show(progressLine(body));
      if (body.status === 'succeeded' || body.status === 'failed') return body.status;
      if (Date.now() + POLL_MS > deadline) {
        throw new CliError(
          `timed out after ${request.timeoutSeconds} s waiting for job ${request.jobId}; the job goes on`,
          EXIT.timedOut,
        );
      }
      await sleep(POLL_MS);
    }
  } finally {
    clear();
  }
}

/** The sanitized failure summary of an ended job (GET /api/notify/job/:id). */
export async function jobError(request: FollowRequest): Promise<string> {
  const answer = await callApi({
    baseUrl: request.baseUrl,
    method: 'GET',
    path: `/api/notify/job/${request.jobId}`,
    key: request.key,
    timeoutSeconds: REQUEST_TIMEOUT_SECONDS,
  });
  const error = (answer.body as { error?: unknown } | null)?.error;
  return typeof error === 'string' ? error : 'Sync failed.';
}
