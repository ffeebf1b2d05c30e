// How the sync engine classifies what went wrong (sync-engine.md sections 8.2, 8.7 and 9.2).
import { DriverError } from '../drivers/driver.ts';
import { sanitize } from '../errors.ts';
import { JobDeadlineExceeded, JobInterrupted } from '../jobs/types.ts';

/** The `{code, message}` of task_details: sanitized, one line, no stack. */
export interface ErrorInfo {
  readonly code: string;
  readonly message: string;
}

export function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof JobDeadlineExceeded) return { code: 'TIMEOUT', message: 'the job deadline passed' };
  if (error instanceof DriverError) return { code: error.code, message: sanitize(error.message) };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'INTERNAL_ERROR', message: sanitize(message) };
}

/** A DriverError that abandons the job: the warehouse cannot be reached or refuses the credentials. */
export function abandonsJob(error: unknown): error is DriverError {
  return error instanceof DriverError && error.abandonsJob;
}

/**
 * Stops the work at a batch boundary when the job's signal was aborted: a JobInterrupted (lease lost, shutdown)
 * propagates as it is; any other reason is the job deadline.
 */
export function throwIfAborted(signal: AbortSignal): void {
  if (!signal.aborted) return;
  throw signal.reason instanceof JobInterrupted ? signal.reason : new JobDeadlineExceeded('job deadline exceeded');
}

/** Rethrows what must never be handled as an object-level failure: interruption and the deadline. */
export function rethrowIfFatal(error: unknown, signal: AbortSignal): void {
  if (error instanceof JobInterrupted || error instanceof JobDeadlineExceeded) throw error;
  throwIfAborted(signal);
}
