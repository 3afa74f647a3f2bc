import { setTimeout as sleep } from 'node:timers/promises';
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

/*
 * Waiting for the other worker's write lock. better-sqlite3 is synchronous: while SQLite's busy
 * handler waits, the worker's whole event loop waits with it. So one attempt waits only
 * BUSY_WAIT_MS there (enough for the other worker's ordinary writes, which take a millisecond or
 * two), and a unit of work that found the lock still held and had applied no write yet is run
 * again asynchronously, with growing pauses, until its request's deadline (lib/deadline.ts; the
 * store timeout outside a request); then it fails with Unavailable(sqlite). While any unit of
 * this process is waiting so, the lock is known to be held and other attempts do not wait in the
 * busy handler at all, so a long-held lock costs the event loop next to nothing.
 */
const BUSY_WAIT_MS = 20;
const RETRY_FIRST_PAUSE_MS = 5;
const RETRY_LAST_PAUSE_MS = 100;

/**
 * Statements of this process that changed the file outside a transaction, plus committed
 * transactions that wrote: run() compares it before and after a unit's attempt to know whether
 * the attempt applied a write (a synchronous attempt runs nothing else in between).
 */
let writesApplied = 0;

/** The client whose lock wait an Unavailable error stands for (a busy lock, worth retrying). */
const busyErrors = new WeakMap<object, SqliteClient>();

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
    return this.client.call(this.operation, this.raw.readonly, () => this.raw.run(...params));
  }

  get(...params: P): R | undefined {
    return this.client.call(this.operation, this.raw.readonly, () => this.raw.get(...params));
  }

  all(...params: P): R[] {
    return this.client.call(this.operation, this.raw.readonly, () => this.raw.all(...params));
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
  /** The busy timeout set on the connection now (fitBusyWait). */
  private busyMs = -1;
  /** Units of work of this process waiting (asynchronously) for the lock to come free. */
  private waiting = 0;
  /** Whether the transaction running now has written (its writes count once it commits). */
  private transactionWrote = false;

  private constructor(
    private readonly db: Database.Database,
    private readonly timeoutMs: number,
    private readonly onCall: StoreCallListener | undefined,
  ) {
    this.fitBusyWait();
  }

  /**
   * Opens (creating if needed) the file, sets the connection up and brings the schema up to
   * date (migrations.ts). `timeoutMs` is how long a unit of work waits in all for the other
   * worker's lock before Unavailable (outside a request; inside one, the request's deadline).
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
    // A nested transaction (a savepoint) counts with the outermost one, which alone commits.
    const counted = (run: () => ReturnType<F>): ReturnType<F> => {
      if (this.db.inTransaction) return this.translated(run);
      this.transactionWrote = false;
      try {
        const result = this.translated(run);
        if (this.transactionWrote) writesApplied += 1;
        return result;
      } finally {
        this.transactionWrote = false;
      }
    };
    return {
      immediate: (...args) => counted(() => tx.immediate(...args)),
      deferred: (...args) => counted(() => tx.deferred(...args)),
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

  /** One reported and translated call; used by SqlStatement. `isReadonly`: the statement changes nothing. */
  call<T>(operation: string, isReadonly: boolean, work: () => T): T {
    const result = timedSync(this.onCall, { store: SQLITE, operation, isAnswer: isConflict }, () =>
      this.translated(work),
    );
    if (!isReadonly) {
      if (this.db.inTransaction) this.transactionWrote = true;
      else writesApplied += 1;
    }
    return result;
  }

  /**
   * Runs `work` (a unit whose last attempt failed with `failure`, the lock held, and applied no
   * write) again after growing pauses until the request's deadline, while it keeps finding the
   * lock held and applies nothing; then rejects with the last failure.
   */
  async retryWhileBusy<T>(work: () => T, failure: unknown): Promise<T> {
    const until = Date.now() + boundedMs(this.timeoutMs);
    this.waiting += 1;
    this.fitBusyWait();
    try {
      for (let pause = RETRY_FIRST_PAUSE_MS; ; pause = Math.min(2 * pause, RETRY_LAST_PAUSE_MS)) {
        const left = until - Date.now();
        if (left <= 0) throw failure;
        // Jittered, so the waiting units of both workers do not all try at the same moment.
        await sleep(Math.min(left, pause * (0.5 + Math.random() / 2)));
        const before = writesApplied;
        try {
          return work();
        } catch (err) {
          if (busyErrors.get(err as object) !== this || writesApplied !== before) throw err;
          failure = err;
        }
      }
    } finally {
      this.waiting -= 1;
      this.fitBusyWait();
    }
  }

  /** BUSY_WAIT_MS in SQLite's busy handler, or none while a unit of this process already waits for the lock. */
  private fitBusyWait(): void {
    const wanted = this.waiting > 0 ? 0 : BUSY_WAIT_MS;
    if (wanted === this.busyMs || !this.db.open) return;
    this.db.pragma(`busy_timeout = ${wanted}`);
    this.busyMs = wanted;
  }

  private translated<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      const translated = translateSqliteError(err);
      if (isBusy(err) && typeof translated === 'object' && translated !== null)
        busyErrors.set(translated, this);
      throw translated;
    }
  }
}

/**
 * Runs one synchronous unit of work of a store and hands back its result as a promise. Errors are
 * already translated by the client; `onError` may turn a specific one into a more specific
 * domain error (which key of several clashed). A unit that found the other worker's write lock
 * held before it applied any write is tried again, asynchronously, until the request's deadline
 * (see BUSY_WAIT_MS above): the event loop goes on serving meanwhile.
 */
export function run<T>(work: () => T, onError?: (err: unknown) => unknown): Promise<T> {
  const fail = (err: unknown): Promise<never> => Promise.reject(toError(onError?.(err) ?? err));
  const before = writesApplied;
  try {
    return Promise.resolve(work());
  } catch (err) {
    const client = busyErrors.get(err as object);
    if (client === undefined || writesApplied !== before) return fail(err);
    return client.retryWhileBusy(work, err).catch(fail);
  }
}

const toError = (value: unknown): Error => (value instanceof Error ? value : new Error(String(value)));
