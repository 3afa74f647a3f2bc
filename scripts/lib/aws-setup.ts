import { UpdateContinuousBackupsCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PutBucketVersioningCommand, type S3Client } from '@aws-sdk/client-s3';
import mysql from 'mysql2/promise';
import type { AwsConfig } from '../../src/config';
import { createDynamoDbClient, DynamoClient } from '../../src/storage/aws/dynamo-client';
import { indexFeed } from '../../src/storage/aws/all-feed';
import { fillBadges } from '../../src/storage/aws/badge-store';
import { ALL_FEED_INDEX, OWNER_FEED_INDEX } from '../../src/storage/aws/keys';
import { indexLikers, indexLikes } from '../../src/storage/aws/likes';
import { createMysqlPool } from '../../src/storage/aws/mysql-client';
import { createS3Client } from '../../src/storage/aws/s3-client';
import { migrate } from '../../src/storage/aws/migrations';
import { indexOwnerFeed } from '../../src/storage/aws/owner-feed';
import { ensureBucket, ensureTables } from '../../src/storage/aws/tables';

/**
 * Everything the AWS backend needs before it serves: the MySQL schema (versioned migrations),
 * the three DynamoDB tables with point-in-time recovery, and the S3 bucket with versioning (the
 * backups of the aws backend: README, "Backups"). Idempotent, against real AWS and the local
 * servers alike (which know neither recovery nor versioning: that is reported, not an error).
 * Used by scripts/setup-aws.ts and the contract tests' global setup.
 */

export interface SetupOptions {
  /** Per-request timeout of the SDK clients and the MySQL pool. */
  timeoutMs?: number;
  /**
   * Also CREATE DATABASE IF NOT EXISTS (utf8mb4). Needs the CREATE privilege, so it is for the
   * local servers and tests; on RDS the database is made with the instance.
   */
  createDatabase?: boolean;
  log?: (line: string) => void;
}

export interface SetupResult {
  /** MySQL migration versions this run applied (empty when the schema was current). */
  migrations: number[];
}

export async function setupAwsResources(aws: AwsConfig, options: SetupOptions = {}): Promise<SetupResult> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const log = options.log ?? (() => undefined);
  const [migrations] = await Promise.all([
    setupMysql(aws, timeoutMs, options.createDatabase ?? false, log),
    setupDynamoDb(aws, timeoutMs, log),
    setupS3(aws, timeoutMs, log),
  ]);
  return { migrations };
}

async function setupMysql(
  aws: AwsConfig,
  timeoutMs: number,
  createDatabase: boolean,
  log: (line: string) => void,
): Promise<number[]> {
  const { host, port, user, password, database } = aws.mysql;
  if (createDatabase) {
    const connection = await mysql.createConnection({
      host,
      port,
      user,
      password,
      connectTimeout: timeoutMs,
    });
    try {
      await connection.query(
        `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
      );
    } finally {
      await connection.end();
    }
  }
  const pool = createMysqlPool({ ...aws.mysql, poolSize: 1 }, timeoutMs);
  try {
    const applied = await migrate(pool);
    log(
      applied.length > 0
        ? `mysql ${host}:${port}/${database}: applied migrations ${applied.join(', ')}`
        : `mysql ${host}:${port}/${database}: schema is current`,
    );
    return applied;
  } finally {
    await pool.end();
  }
}

async function setupDynamoDb(aws: AwsConfig, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const client = createDynamoDbClient(aws, timeoutMs);
  try {
    const tables = Object.values(aws.dynamodb.tables);
    await ensureTables(client, aws.dynamodb.tables);
    log(`dynamodb ${aws.dynamodb.endpoint ?? aws.region}: tables ${tables.join(', ')} ready`);
    const db = new DynamoClient(client);
    const indexed = await indexLikes(db, aws.dynamodb.tables.photos);
    if (indexed > 0) log(`dynamodb: ${indexed} likes indexed under their users`);
    const moved = await indexFeed(db, aws.dynamodb.tables.photos);
    if (moved > 0) log(`dynamodb: ${moved} photos moved to the All-feed index ${ALL_FEED_INDEX}`);
    const owned = await indexOwnerFeed(db, aws.dynamodb.tables.photos);
    if (owned > 0) log(`dynamodb: ${owned} photos put on the owners' index ${OWNER_FEED_INDEX}`);
    const timed = await indexLikers(db, aws.dynamodb.tables.photos);
    if (timed > 0) log(`dynamodb: ${timed} likes indexed by time for the likes list`);
    const filled = await fillBadges(db, aws.dynamodb.tables);
    if (filled > 0) log(`dynamodb: badge counters filled for ${filled} people`);
    const recovery = await enableTableRecovery(client, tables, aws.dynamodb.endpoint !== undefined);
    log(`dynamodb: point-in-time recovery ${recovery}`);
  } finally {
    client.destroy();
  }
}

async function setupS3(aws: AwsConfig, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const client = createS3Client(aws, timeoutMs);
  try {
    await ensureBucket(client, aws.s3.bucket);
    log(`s3 ${aws.s3.endpoint ?? aws.region}: bucket ${aws.s3.bucket} ready`);
    const versioning = await enableBucketVersioning(client, aws.s3.bucket, aws.s3.endpoint !== undefined);
    log(`s3: versioning ${versioning}`);
  } finally {
    client.destroy();
  }
}

export type Switch = 'enabled' | `not supported by this endpoint (${string})`;

/**
 * The local stand-ins implement neither switch (DynamoDB Local answers UnknownOperationException;
 * s3rver takes `PUT ?versioning` for a bucket creation and answers BucketAlreadyExists), so at a
 * configured endpoint a refusal is reported. Real AWS knows both operations: there any failure
 * (AccessDenied, say) stops the set-up.
 */
function unsupportedOrThrow(err: unknown, isLocal: boolean): Switch {
  if (isLocal && err instanceof Error) return `not supported by this endpoint (${err.name})`;
  throw err;
}

/** Turns on point-in-time recovery (35 days of restorable history) for every table. */
export async function enableTableRecovery(
  client: DynamoDBClient,
  tables: string[],
  isLocal: boolean,
): Promise<Switch> {
  try {
    for (const TableName of tables) {
      await client.send(
        new UpdateContinuousBackupsCommand({
          TableName,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        }),
      );
    }
    return 'enabled';
  } catch (err) {
    return unsupportedOrThrow(err, isLocal);
  }
}

/** Turns on versioning, so an overwritten or deleted image can be brought back. */
export async function enableBucketVersioning(
  client: S3Client,
  bucket: string,
  isLocal: boolean,
): Promise<Switch> {
  try {
    await client.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    return 'enabled';
  } catch (err) {
    return unsupportedOrThrow(err, isLocal);
  }
}
