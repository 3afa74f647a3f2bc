import mysql from 'mysql2/promise';
import type { AwsConfig } from '../../src/config';
import { createDynamoDbClient, createMysqlPool, createS3Client } from '../../src/storage/aws/clients';
import { migrate } from '../../src/storage/aws/migrations';
import { ensureBucket, ensureTables } from '../../src/storage/aws/tables';

/**
 * Everything the AWS backend needs before it serves: the MySQL schema (versioned migrations),
 * the three DynamoDB tables and the S3 bucket. Idempotent, against real AWS and the local
 * servers alike. Used by scripts/setup-aws.ts and the contract tests' global setup.
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
    await ensureTables(client, aws.dynamodb.tables);
    log(
      `dynamodb ${aws.dynamodb.endpoint ?? aws.region}: tables ${Object.values(aws.dynamodb.tables).join(', ')} ready`,
    );
  } finally {
    client.destroy();
  }
}

async function setupS3(aws: AwsConfig, timeoutMs: number, log: (line: string) => void): Promise<void> {
  const client = createS3Client(aws, timeoutMs);
  try {
    await ensureBucket(client, aws.s3.bucket);
    log(`s3 ${aws.s3.endpoint ?? aws.region}: bucket ${aws.s3.bucket} ready`);
  } finally {
    client.destroy();
  }
}
