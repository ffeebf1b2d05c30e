// Warehouse drivers kept between the jobs of one database (performance.md P4). A new PostgreSQL or MySQL session costs
// a connection, authentication and a cold server-side catalog cache: on PostgreSQL about 25 ms of a one-table schema
// sync that otherwise takes about 10. A driver whose job succeeded is kept for IDLE_MS and handed to the database's next
// job in this process when its engine and details are unchanged; anything else closes it. At most one job of a database
// runs at a time (sync-engine.md 8.1), so a driver is never shared. SQLite and DuckDB drivers are never kept: a kept
// DuckDB handle would hold the file's lock against the ETL that writes it, and SQLite connections cost little.
import type { DriverOptions, Engine, WarehouseDriver } from './driver.ts';
import type { CreateDriver } from './registry.ts';

/** How long a driver waits for its database's next job (as long as the drivers keep an idle connection). */
export const IDLE_MS = 60_000;

const KEPT_ENGINES: ReadonlySet<Engine> = new Set(['postgres', 'mysql']);

interface Kept {
  readonly driver: WarehouseDriver;
  readonly key: string;
  readonly timer: NodeJS.Timeout;
}

export class DriverCache {
  readonly #idleMs: number;
  /** Idle drivers by database id. */
  readonly #idle = new Map<number, Kept>();
  /** The engine and details each driver handed out was made for. */
  readonly #keys = new WeakMap<WarehouseDriver, { engine: Engine; key: string }>();
  readonly #closing = new Set<Promise<void>>();
  #stopped = false;

  constructor(idleMs = IDLE_MS) {
    this.#idleMs = idleMs;
  }

  /** The database's kept driver when it was made for this engine and these details, else a new one. */
  acquire(
    databaseId: number,
    engine: Engine,
    details: Readonly<Record<string, unknown>>,
    options: DriverOptions,
    create: CreateDriver,
  ): WarehouseDriver {
    const key = JSON.stringify([engine, details, options]);
    const kept = this.#take(databaseId);
    if (kept && kept.key === key) return kept.driver;
    if (kept) this.#close(kept.driver);
    const driver = create(engine, details, options);
    this.#keys.set(driver, { engine, key });
    return driver;
  }

  /** After the job: kept for the next one when `reusable` (the job succeeded) and the engine allows, else closed. */
  async release(databaseId: number, driver: WarehouseDriver, reusable: boolean): Promise<void> {
    const made = this.#keys.get(driver);
    if (!reusable || this.#stopped || made === undefined || !KEPT_ENGINES.has(made.engine)) {
      await driver.close();
      return;
    }
    const previous = this.#take(databaseId);
    if (previous) this.#close(previous.driver);
    const timer = setTimeout(() => {
      if (this.#idle.get(databaseId)?.driver !== driver) return;
      this.#idle.delete(databaseId);
      this.#close(driver);
    }, this.#idleMs);
    timer.unref();
    this.#idle.set(databaseId, { driver, key: made.key, timer });
  }

  /** Closes every kept driver; later releases close theirs at once. */
  async closeAll(): Promise<void> {
    this.#stopped = true;
    for (const id of [...this.#idle.keys()]) this.#close(this.#take(id)!.driver);
    await Promise.all([...this.#closing]);
  }

  /** Drivers kept right now (for tests and logs). */
  get size(): number {
    return this.#idle.size;
  }

  #take(databaseId: number): Kept | undefined {
    const kept = this.#idle.get(databaseId);
    if (!kept) return undefined;
    this.#idle.delete(databaseId);
    clearTimeout(kept.timer);
    return kept;
  }

  #close(driver: WarehouseDriver): void {
    const closing = driver.close().catch(() => undefined);
    this.#closing.add(closing);
    void closing.then(() => this.#closing.delete(closing));
  }
}
