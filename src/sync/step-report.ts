// What one step records in its task_history row (sync-engine.md sections 7.3 and 7.5): counts, at most 20 named
// failures with their total, and at most 100 log entries.
import { sanitize } from '../errors.ts';
import type { ErrorInfo } from './errors.ts';

export const MAX_FAILURES = 20;
export const MAX_LOGS = 100;

export interface Failure {
  readonly object: string;
  readonly code: string;
  readonly message: string;
}

export interface LogEntry {
  readonly level: 'info' | 'warn' | 'error';
  readonly at?: string;
  readonly message: string;
}

export class StepReport {
  readonly #details = new Map<string, unknown>();
  readonly #failures: Failure[] = [];
  #failuresTotal = 0;
  readonly #logs: LogEntry[] = [];
  #logsTotal = 0;

  /** Declares the step's counters (as zero) so that every key appears in the row, in this order. */
  init(keys: readonly string[]): this {
    for (const key of keys) if (!this.#details.has(key)) this.#details.set(key, 0);
    return this;
  }

  add(key: string, n = 1): void {
    this.#details.set(key, ((this.#details.get(key) as number | undefined) ?? 0) + n);
  }

  set(key: string, value: unknown): void {
    this.#details.set(key, value);
  }

  get(key: string): unknown {
    return this.#details.get(key);
  }

  failure(object: string, error: ErrorInfo): void {
    this.#failuresTotal++;
    if (this.#failures.length < MAX_FAILURES) this.#failures.push({ object, code: error.code, message: error.message });
    this.log('warn', `${object}: ${error.code}: ${error.message}`);
  }

  log(level: LogEntry['level'], message: string): void {
    this.#logsTotal++;
    if (this.#logs.length >= MAX_LOGS) return;
    this.#logs.push({ level, at: new Date().toISOString(), message: sanitize(message) });
  }

  get failuresTotal(): number {
    return this.#failuresTotal;
  }

  /** The counters and failures, in insertion order. */
  details(): Record<string, unknown> {
    return {
      ...Object.fromEntries(this.#details),
      failures: [...this.#failures],
      'failures-total': this.#failuresTotal,
    };
  }

  /** Null when nothing was logged; past 100 entries the last one says how many were dropped. */
  logs(): LogEntry[] | null {
    if (this.#logsTotal === 0) return null;
    if (this.#logsTotal <= MAX_LOGS) return [...this.#logs];
    const dropped = this.#logsTotal - (MAX_LOGS - 1);
    return [...this.#logs.slice(0, MAX_LOGS - 1), { level: 'info', message: `[truncated] ${dropped} messages` }];
  }
}
