import { performance } from 'node:perf_hooks';
import mysql from 'mysql2/promise';
import type { PoolConnection } from 'mysql2';
import type { Pool, QueryResult } from 'mysql2/promise';
import type { AwsConfig } from '../../config';
import { boundedMs } from '../../lib/deadline';
import type { StoreCallListener } from '../../ports';
import { sqlOperation, timed } from '../store-calls';
import { isDuplicateKey, isUnavailableError, MYSQL, translateMysqlError } from './errors';

/**
 * A mysql2 pool whose connects and queries are bounded by `timeoutMs`. Dates are UTC both ways:
 * the driver reads and writes DATETIME as UTC, and each connection's session time zone is UTC so
 * NOW() agrees with it.
 */
export function createMysqlPool(config: AwsConfig['mysql'], timeoutMs: number): Pool {
  const pool = mysql.createPool({
    host: config.host,
    port: config.port,
    user: config.user,
    password: config.password,
    database: config.database,
    connectionLimit: config.poolSize,
    maxIdle: config.poolSize,
    idleTimeout: 60_000,
    waitForConnections: true,
    // Requests queue for a free connection only so long: see MysqlClient.acquire.
    queueLimit: config.poolSize * 50,
    connectTimeout: timeoutMs,
    enableKeepAlive: true,
    keepAliveInitialDelay: 10_000,
    charset: 'utf8mb4_unicode_ci',
    timezone: 'Z',
    dateStrings: false,
    supportBigNumbers: true,
    bigNumberStrings: false,
    multipleStatements: false,
    // mysql2's promise API otherwise captures a stack trace for every statement, to splice it into
    // a failure's stack: a measurable share of a request's CPU. Failures still carry mysql2's own
    // stack and are logged with the request id.
    trace: false,
  });
  // Queued before any other command on the new connection, so it always runs first.
  pool.pool.on('connection', (connection) => {
    // A failure here means the connection is dead, and its next statement reports that.
    connection.query("SET time_zone = '+00:00'", () => undefined);
  });
  return pool;
}

const DEADLOCK_ATTEMPTS = 4;

/** Re-runs `attempt` while InnoDB rolls it back as a deadlock victim (which undid all of it). */
async function retryDeadlocks<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const isDeadlock = err instanceof Error && (err as { code?: unknown }).code === 'ER_LOCK_DEADLOCK';
      if (!isDeadlock || i >= DEADLOCK_ATTEMPTS) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * i));
    }
  }
}

/** One statement's parameters. */
export type SqlValues = readonly unknown[];

/** What a store can run statements on: the pool, or one connection inside a transaction. */
export interface Sql {
  query<T extends QueryResult>(sql: string, values?: SqlValues): Promise<T>;
}

/**
 * The pool as the MySQL stores use it. Every statement carries the timeout; waiting for a free
 * connection is bounded too; a connection that timed out or failed is destroyed, never reused;
 * every statement is reported (ports.ts StoreCall); and every failure leaves translated once,
 * here (errors.ts translateMysqlError): Unavailable('mysql'), a Conflict for a duplicate key,
 * or the original error (a bug).
 */
export class MysqlClient implements Sql {
  constructor(
    readonly pool: Pool,
    private readonly timeoutMs: number,
    private readonly onCall?: StoreCallListener,
  ) {}

  /** One statement on any pooled connection (autocommit). Retried when InnoDB picks it as a deadlock victim. */
  query<T extends QueryResult>(sql: string, values: SqlValues = []): Promise<T> {
    return retryDeadlocks(() => this.withConnection((connection) => connection.query<T>(sql, values)));
  }

  /** Runs `work` on one connection (statements in order, same session). */
  async withConnection<T>(work: (connection: Sql) => Promise<T>): Promise<T> {
    try {
      const connection = await this.acquire();
      let isBroken = false;
      const session: Sql = {
        query: <R extends QueryResult>(sql: string, values: SqlValues = []) =>
          timed(
            this.onCall,
            { store: MYSQL, operation: sqlOperation(sql), isAnswer: isDuplicateKey },
            async () => {
              // Within what is left of the request's deadline (lib/deadline.ts).
              const timeout = this.timeLeft();
              try {
                // The callback API under mysql2/promise: its promise wrapper builds an event
                // emitter per acquired connection and a promise per statement, for nothing here.
                return await new Promise<R>((resolve, reject) => {
                  connection.query<R>({ sql, values: [...values], timeout }, (err, result) =>
                    err ? reject(err) : resolve(result),
                  );
                });
              } catch (err) {
                if (isUnavailableError(err)) isBroken = true;
                throw err;
              }
            },
          ),
      };
      try {
        return await work(session);
      } finally {
        // A timed-out statement may still be running on the connection: never hand it out again.
        if (isBroken) connection.destroy();
        else connection.release();
      }
    } catch (err) {
      throw translateMysqlError(err);
    }
  }

  /**
   * Runs `work` in a transaction on one connection: committed if it resolves, rolled back if it
   * throws. A transaction InnoDB rolls back as a deadlock victim is run again from the start, so
   * `work` must do nothing but run its statements.
   */
  transaction<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    return retryDeadlocks(() => this.transactionOnce(work));
  }

  private transactionOnce<T>(work: (tx: Sql) => Promise<T>): Promise<T> {
    return this.withConnection(async (connection) => {
      await connection.query('START TRANSACTION');
      let result: T;
      try {
        result = await work(connection);
      } catch (err) {
        await connection.query('ROLLBACK').catch(() => undefined);
        throw err;
      }
      await connection.query('COMMIT');
      return result;
    });
  }

  ping(): Promise<void> {
    return this.withConnection(async (connection) => {
      await connection.query('SELECT 1');
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }

  /**
   * The timeout of the next statement: `timeoutMs`, or what is left of the request's deadline.
   * mysql2 reads 0 as "no timeout", so a deadline already passed is an error here and now.
   */
  private timeLeft(): number {
    const ms = boundedMs(this.timeoutMs);
    if (ms < 1)
      throw Object.assign(new Error('The request ran out of time for MySQL'), { code: 'ETIMEDOUT' });
    return ms;
  }

  /** A pooled connection, or a timeout error once `timeoutMs` has passed waiting for one. */
  private async acquire(): Promise<PoolConnection> {
    const started = performance.now();
    const pending = new Promise<PoolConnection>((resolve, reject) => {
      this.pool.pool.getConnection((err, connection) => (err ? reject(err) : resolve(connection)));
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(Object.assign(new Error('Timed out waiting for a MySQL connection'), { code: 'ETIMEDOUT' }));
      }, boundedMs(this.timeoutMs));
    });
    try {
      return await Promise.race([pending, timeout]);
    } catch (err) {
      // If the connection arrives after we gave up on it, hand it straight back.
      pending.then(
        (connection) => connection.release(),
        () => undefined,
      );
      // No statement ran, but the store failed: one call, named after what failed.
      this.onCall?.({ store: MYSQL, operation: 'CONNECT', ms: performance.now() - started, ok: false });
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
