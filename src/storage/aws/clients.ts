import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import mysql from 'mysql2/promise';
import type { Pool, PoolConnection, QueryResult } from 'mysql2/promise';
import type { AwsConfig } from '../../config';
import { AppError, Unavailable } from '../../domain/errors';

/**
 * The three SDK clients of the AWS backend, each bounded in time so that a service that is down
 * or silent becomes `Unavailable(<name>)` within a few seconds instead of a hanging request, and
 * the translation of driver failures into that error.
 */

/** Names of the backing services, as /readyz and Unavailable report them. */
export const MYSQL = 'mysql';
export const DYNAMODB = 'dynamodb';
export const S3 = 's3';

/** SDK calls give up after two attempts: one retry hides a blip, more would hide an outage. */
const MAX_ATTEMPTS = 2;

/**
 * Connecting, and sending the request until the response's headers arrive, each take at most
 * `timeoutMs` (and a breach is an error, not the SDK's default warning). `idleMs` also bounds
 * silence on the socket; S3 leaves it off because an object's body is streamed to a browser
 * that may read slowly, and pausing for it must not cut the image off.
 */
function httpHandler(timeoutMs: number, idleMs?: number): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    throwOnRequestTimeout: true,
    ...(idleMs ? { socketTimeout: idleMs } : {}),
  });
}

const endpointOf = (endpoint: string | undefined) => (endpoint ? { endpoint } : {});
/**
 * A fresh object: the SDK records where credentials came from on the object itself, and the
 * config's is frozen. Without any, the SDK's default chain (environment, profile, role) applies.
 */
const credentialsOf = ({ credentials }: AwsConfig) =>
  credentials
    ? { credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey } }
    : {};

/** The low-level client (tables are created with it); stores use documentClient() on top. */
export function createDynamoDbClient(config: AwsConfig, timeoutMs: number): DynamoDBClient {
  return new DynamoDBClient({
    region: config.region,
    ...endpointOf(config.dynamodb.endpoint),
    ...credentialsOf(config),
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: httpHandler(timeoutMs, timeoutMs),
  });
}

/** Plain JS values in and out; `undefined` attributes are dropped rather than refused. */
export function documentClient(client: DynamoDBClient): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
    unmarshallOptions: { wrapNumbers: false },
  });
}

export function createS3Client(config: AwsConfig, timeoutMs: number): S3Client {
  return new S3Client({
    region: config.region,
    ...endpointOf(config.s3.endpoint),
    ...credentialsOf(config),
    forcePathStyle: config.s3.forcePathStyle,
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: httpHandler(timeoutMs),
    // Checksums only where S3 demands them: S3-compatible servers (s3rver, MinIO) reject the
    // aws-chunked trailing checksums the SDK now adds to every upload by default.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

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
  });
  // Queued before any other command on the new connection, so it always runs first.
  pool.pool.on('connection', (connection) => {
    // A failure here means the connection is dead, and its next statement reports that.
    connection.query("SET time_zone = '+00:00'", () => undefined);
  });
  return pool;
}

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'ERR_SOCKET_CLOSED',
]);

/** mysql2 and server codes that mean "the database cannot serve us now", not "the query is wrong". */
const MYSQL_UNAVAILABLE_CODES = new Set([
  'PROTOCOL_CONNECTION_LOST',
  'PROTOCOL_SEQUENCE_TIMEOUT',
  'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR',
  'PROTOCOL_ENQUEUE_AFTER_QUIT',
  'ER_CON_COUNT_ERROR',
  'ER_TOO_MANY_USER_CONNECTIONS',
  'ER_SERVER_SHUTDOWN',
  'ER_NORMAL_SHUTDOWN',
  'ER_SHUTDOWN_COMPLETE',
  'ER_ACCESS_DENIED_ERROR',
  'ER_DBACCESS_DENIED_ERROR',
  'ER_BAD_DB_ERROR',
  'ER_HOST_IS_BLOCKED',
  'ER_LOCK_WAIT_TIMEOUT',
  'ER_QUERY_INTERRUPTED',
  'ER_OPTION_PREVENTS_STATEMENT',
]);

/** mysql2 reports a closed pool or a dead connection with a message only. */
const MYSQL_UNAVAILABLE_MESSAGES = [
  /^Pool is closed/,
  /^Queue limit reached/,
  /^No connections available/,
  /Can't add new command when connection is in closed state/,
  /^Connection lost/,
];

/** SDK error names that mean the service did not serve us now. */
const AWS_UNAVAILABLE_NAMES = new Set([
  'TimeoutError',
  'AbortError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'SlowDown',
  'CredentialsProviderError',
]);

/**
 * True for refused, reset or timed-out connections, a closed pool or dead connection, a server
 * shutting down, throttling and 5xx answers, whichever driver threw them (also when wrapped in
 * `cause` or an AggregateError, as Node's dual-stack connect does).
 */
export function isUnavailableError(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 4) return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || MYSQL_UNAVAILABLE_CODES.has(code))) return true;
  if ((err as { fatal?: unknown }).fatal === true) return true;
  if (MYSQL_UNAVAILABLE_MESSAGES.some((pattern) => pattern.test(err.message))) return true;
  if (AWS_UNAVAILABLE_NAMES.has(err.name)) return true;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  if (err instanceof AggregateError && err.errors.some((e) => isUnavailableError(e, depth + 1))) return true;
  return isUnavailableError(err.cause, depth + 1);
}

/**
 * What a store throws for `err`: AppErrors as they are, an unreachable service as
 * `Unavailable(store)` (with the driver error as its cause), anything else unchanged (a bug).
 */
export function translateError(store: string, err: unknown): unknown {
  if (err instanceof AppError) return err;
  if (isUnavailableError(err)) return Object.assign(new Unavailable(store), { cause: err });
  return err;
}

/** Runs one store operation and throws what translateError() makes of a failure. */
export async function guard<T>(store: string, operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (err) {
    throw translateError(store, err);
  }
}

/** MySQL's duplicate-key error; `key` narrows it to one unique index (by name). */
export function isDuplicateKey(err: unknown, key?: string): boolean {
  if (!(err instanceof Error) || (err as { code?: unknown }).code !== 'ER_DUP_ENTRY') return false;
  return key === undefined || err.message.includes(key);
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
 * and every failure leaves as Unavailable('mysql') or the original (non-connection) error.
 */
export class MysqlClient implements Sql {
  constructor(
    readonly pool: Pool,
    private readonly timeoutMs: number,
  ) {}

  /** One statement on any pooled connection (autocommit). Retried when InnoDB picks it as a deadlock victim. */
  query<T extends QueryResult>(sql: string, values: SqlValues = []): Promise<T> {
    return retryDeadlocks(() => this.withConnection((connection) => connection.query<T>(sql, values)));
  }

  /** Runs `work` on one connection (statements in order, same session). */
  withConnection<T>(work: (connection: Sql) => Promise<T>): Promise<T> {
    return guard(MYSQL, async () => {
      const connection = await this.acquire();
      let isBroken = false;
      const session: Sql = {
        query: async <R extends QueryResult>(sql: string, values: SqlValues = []) => {
          try {
            const [result] = await connection.query<R>({ sql, values: [...values], timeout: this.timeoutMs });
            return result;
          } catch (err) {
            if (isUnavailableError(err)) isBroken = true;
            throw err;
          }
        },
      };
      try {
        return await work(session);
      } finally {
        // A timed-out statement may still be running on the connection: never hand it out again.
        if (isBroken) connection.destroy();
        else connection.release();
      }
    });
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

  /** A pooled connection, or a timeout error once `timeoutMs` has passed waiting for one. */
  private async acquire(): Promise<PoolConnection> {
    const pending = this.pool.getConnection();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        reject(Object.assign(new Error('Timed out waiting for a MySQL connection'), { code: 'ETIMEDOUT' }));
      }, this.timeoutMs);
    });
    try {
      return await Promise.race([pending, timeout]);
    } catch (err) {
      // If the connection arrives after we gave up on it, hand it straight back.
      pending.then(
        (connection) => connection.release(),
        () => undefined,
      );
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}
