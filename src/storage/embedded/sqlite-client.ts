import Database from 'better-sqlite3';
import { Conflict, Unavailable } from '../../domain/errors';
import { boundedMs } from '../../lib/deadline';
import type { StoreCallListener } from '../../ports';
import { sqlOperation, timedSync } from '../store-calls';
import { isBusy, SQLITE, translateSqliteError } from './errors';
import { migrate } from './migrations';

/*
 * Statements bind a row limit as `LIMIT +?`, never `LIMIT ?`. SQLite reads a bare bound LIMIT as
 * a constant of the query plan and marks the statement to be prepared again whenever that
 * parameter is bound, which is every run; the unary plus makes it an ordinary expression. (On the
 * chat poll's query the difference was 12 µs against 5 µs a run.) ESLint enforces it.
 */

const isConflict = (err: unknown): boolean => err instanceof Conflict;

/** The steps in which the busy timeout follows a request's deadline. */
const BUSY_STEP_MS = 50;

type Params<P> = P extends unknown[] ? P : [P];

/**
 * A prepared statement of the client: each run is reported as one store call and whatever the
 * driver throws leaves translated (errors.ts), so no store can forget either.
 */
export class SqlStatement<P extends unknown[], R> {
  readonly operation: string;

  constructor(
    private readonly client: SqliteClient,
    private readonly raw: Database.Statement<P, R>,
    sql: string,
  ) {
    this.operation = sqlOperation(sql);
  }

  /** Return the first column's value instead of the row (better-sqlite3's pluck). */
  pluck(): this {
    this.raw.pluck();
    return this;
  }

  run(...params: P): Database.RunResult {
    return this.client.call(this.operation, () => this.raw.run(...params));
  }

  get(...params: P): R | undefined {
    return this.client.call(this.operation, () => this.raw.get(...params));
  }

  all(...params: P): R[] {
    return this.client.call(this.operation, () => this.raw.all(...params));
  }
}

type TransactionBody = (...args: never[]) => unknown;

/** A transaction of the client: BEGIN (IMMEDIATE or DEFERRED), the body, COMMIT, translated like a statement. */
export interface SqlTransaction<F extends TransactionBody> {
  /** Takes the write lock at once: for bodies that write. */
  immediate(...args: Parameters<F>): ReturnType<F>;
  /** A read snapshot: for bodies that only read. */
  deferred(...args: Parameters<F>): ReturnType<F>;
}

/**
 * The SQLite connection of the embedded backend: the one place that runs statements, reports
 * each run (ports.ts StoreCall) and translates driver errors.
 */
export class SqliteClient {
  /** The busy timeout set on the connection now (fitBusyTimeout). */
  private busyMs: number;

  private constructor(
    private readonly db: Database.Database,
    private readonly timeoutMs: number,
    private readonly onCall: StoreCallListener | undefined,
  ) {
    this.busyMs = timeoutMs;
  }

  /**
   * Opens (creating if needed) the file, sets the connection up and brings the schema up to
   * date (migrations.ts). `timeoutMs` is the busy timeout: how long a write waits for the other
   * worker's lock before Unavailable.
   */
  static open(file: string, timeoutMs: number, onCall?: StoreCallListener): SqliteClient {
    const db = new Database(file, { timeout: timeoutMs });
    // Switching a new file to WAL while another process does the same can answer SQLITE_BUSY at
    // once, without waiting on the busy handler; so the set-up is retried until the timeout.
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        db.pragma('journal_mode = WAL');
        db.pragma('synchronous = NORMAL');
        db.pragma('foreign_keys = ON');
        migrate(db);
        return new SqliteClient(db, timeoutMs, onCall);
      } catch (err) {
        if (isBusy(err) && Date.now() < deadline) {
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
          continue;
        }
        db.close();
        throw translateSqliteError(err);
      }
    }
  }

  prepare<P extends unknown[] | object = unknown[], R = unknown>(sql: string): SqlStatement<Params<P>, R> {
    const raw = this.db.prepare<Params<P>, R>(sql) as Database.Statement<Params<P>, R>;
    return new SqlStatement(this, raw, sql);
  }

  transaction<F extends TransactionBody>(body: F): SqlTransaction<F> {
    const tx = this.db.transaction(body as unknown as (...args: unknown[]) => ReturnType<F>);
    return {
      immediate: (...args) => {
        this.fitBusyTimeout();
        return this.translated(() => tx.immediate(...args));
      },
      deferred: (...args) => this.translated(() => tx.deferred(...args)),
    };
  }

  /** ping() for every store on this file: `SELECT 1`; any failure (a closed file, a lock) is Unavailable. */
  pinger(): () => Promise<void> {
    const select = this.prepare('SELECT 1');
    return () => {
      try {
        select.get();
        return Promise.resolve();
      } catch (err) {
        return Promise.reject(Object.assign(new Unavailable(SQLITE), { cause: err }));
      }
    };
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** One reported and translated call; used by SqlStatement. */
  call<T>(operation: string, work: () => T): T {
    this.fitBusyTimeout();
    return timedSync(this.onCall, { store: SQLITE, operation, isAnswer: isConflict }, () =>
      this.translated(work),
    );
  }

  /**
   * A write waits for the other worker's lock at most what is left of the request's deadline
   * (lib/deadline.ts), so a request of several writes waits the timeout once in all. Moved in
   * 50 ms steps, so most calls (a young request) change nothing; reads never wait in WAL mode.
   */
  private fitBusyTimeout(): void {
    const left = boundedMs(this.timeoutMs);
    const wanted =
      left >= this.timeoutMs - BUSY_STEP_MS ? this.timeoutMs : Math.floor(left / BUSY_STEP_MS) * BUSY_STEP_MS;
    if (wanted === this.busyMs) return;
    this.db.pragma(`busy_timeout = ${wanted}`);
    this.busyMs = wanted;
  }

  private translated<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw translateSqliteError(err);
    }
  }
}

/**
 * Runs one synchronous unit of work of a store and hands back its result as a promise. Errors are
 * already translated by the client; `onError` may turn a specific one into a more specific
 * domain error (which key of several clashed).
 */
export function run<T>(work: () => T, onError?: (err: unknown) => unknown): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    const specific = onError?.(err);
    return Promise.reject(toError(specific ?? err));
  }
}

const toError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));
