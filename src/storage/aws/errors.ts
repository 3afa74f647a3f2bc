import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { AppError, Unavailable } from '../../domain/errors';
import { uniqueClash } from '../clash';

/**
 * What the AWS backend's clients (mysql-client.ts, dynamo-client.ts, s3-client.ts) make of a
 * driver failure, each once, at its boundary: an unreachable or overloaded service becomes
 * `Unavailable(<name>)`, a refused DynamoDB condition a typed error the client itself handles,
 * anything else stays as it is (a bug, answered 500).
 */

/** Names of the backing services, as /readyz and Unavailable report them. */
export const MYSQL = 'mysql';
export const DYNAMODB = 'dynamodb';
export const S3 = 's3';

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

export const isDuplicateKey = (err: unknown): boolean =>
  err instanceof Error && (err as { code?: unknown }).code === 'ER_DUP_ENTRY';

/** translateError() for MySQL, which also makes a duplicate key a Conflict naming the key in its cause. */
export function translateMysqlError(err: unknown): unknown {
  if (isDuplicateKey(err)) return uniqueClash(err);
  return translateError(MYSQL, err);
}

/** A DynamoDB write whose ConditionExpression did not hold. */
export class ConditionFailed extends Error {
  constructor(options?: ErrorOptions) {
    super('The condition of the write did not hold.', options);
    this.name = 'ConditionFailed';
  }
}

/** Why one item of a cancelled transaction failed, and the item as it was (when it asked for it). */
export interface CancellationReason {
  code: string;
  /** With `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'` on that item: its attributes, as plain values. */
  item?: Record<string, unknown>;
}

/** A TransactWriteItems that DynamoDB cancelled: the reason of each item, in order. */
export class TransactionCancelled extends Error {
  constructor(
    readonly reasons: CancellationReason[],
    options?: ErrorOptions,
  ) {
    super(`The transaction was cancelled: ${reasons.map((r) => r.code).join(', ')}.`, options);
    this.name = 'TransactionCancelled';
  }
}

/** translateError() for DynamoDB, which also types a refused condition and a cancelled transaction. */
export function translateDynamoError(err: unknown): unknown {
  if (!(err instanceof Error)) return err;
  if (err.name === 'ConditionalCheckFailedException') return new ConditionFailed({ cause: err });
  if (err.name === 'TransactionCanceledException') {
    // The document client leaves errors in DynamoDB's typed form (`{ N: '5' }`).
    const reasons =
      (err as { CancellationReasons?: { Code?: string; Item?: Record<string, AttributeValue> }[] })
        .CancellationReasons ?? [];
    return new TransactionCancelled(
      reasons.map((r) => ({ code: r.Code ?? 'None', ...(r.Item ? { item: unmarshall(r.Item) } : {}) })),
      { cause: err },
    );
  }
  return translateError(DYNAMODB, err);
}

/** A DynamoDB answer rather than a failure: a condition that did not hold. */
export const isRefusedCondition = (err: unknown): boolean =>
  err instanceof ConditionFailed ||
  (err instanceof TransactionCancelled && err.reasons.some((r) => r.code === 'ConditionalCheckFailed'));
