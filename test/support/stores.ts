import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import Database from 'better-sqlite3';
import mysql from 'mysql2/promise';
import type { TestApp } from './app';

/**
 * What a test app's backend holds, read straight from its files and servers rather than through
 * the ports, so a test can show that a write left nothing behind, on either backend: every row,
 * item or object that mentions an id, and every stored object key.
 */

function filesUnder(dir: string): string[] {
  try {
    return readdirSync(dir).flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? filesUnder(path) : [path];
    });
  } catch {
    return [];
  }
}

function awsOf(t: StoreHome) {
  if (t.config.storage.backend !== 'aws') throw new Error('not an aws test app');
  const aws = t.config.storage.aws;
  const common = {
    region: aws.region,
    // A copy: the config is frozen, and the SDK marks the credentials object it is given.
    ...(aws.credentials ? { credentials: { ...aws.credentials } } : {}),
  };
  return { aws, common };
}

/** Keys of every stored object (images): files under DATA_DIR/images, or the bucket's keys. */
export async function storedObjectKeys(t: StoreHome): Promise<string[]> {
  if (t.config.storage.backend === 'embedded') {
    const root = join(t.dataDir, 'images');
    return filesUnder(root)
      .map((file) => relative(root, file))
      .filter((key) => !key.startsWith('.tmp'));
  }
  const { aws, common } = awsOf(t);
  const s3 = new S3Client({ ...common, endpoint: aws.s3.endpoint, forcePathStyle: aws.s3.forcePathStyle });
  try {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: aws.s3.bucket, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).flatMap((o) => (o.Key ? [o.Key] : [])));
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  } finally {
    s3.destroy();
  }
}

/** One stored row (SQLite or MySQL table), item (DynamoDB table) or object key, and where it is. */
export interface StoredRecord {
  /** `sqlite <table>`, `mysql <table>`, `dynamodb <table>` or `object`. */
  where: string;
  record: Record<string, unknown>;
}

/** Where a test's stores are: a TestApp, or the config and data folder of a server process. */
export type StoreHome = Pick<TestApp, 'config' | 'dataDir'>;

/** Whether the record is an idempotency key's (SQLite request_keys row, DynamoDB request_key item). */
export const isRequestKey = ({ where, record }: StoredRecord): boolean =>
  where === 'sqlite request_keys' || (where.startsWith('dynamodb ') && record.type === 'request_key');

/**
 * Every row, item and object key of the backend, read straight from its files and servers.
 * Made for the small worlds of tests: it reads all.
 */
export async function everyRecord(t: StoreHome): Promise<StoredRecord[]> {
  const found: StoredRecord[] = [];
  if (t.config.storage.backend === 'embedded') {
    const db = new Database(join(t.dataDir, 'lumina.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const tables = db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
        .pluck()
        .all() as string[];
      for (const table of tables) {
        for (const row of db.prepare(`SELECT * FROM "${table}"`).all()) {
          found.push({ where: `sqlite ${table}`, record: row as Record<string, unknown> });
        }
      }
    } finally {
      db.close();
    }
  } else {
    const { aws, common } = awsOf(t);
    const { host, port, user, password, database } = aws.mysql;
    const connection = await mysql.createConnection({ host, port, user, password, database });
    try {
      const [tables] = await connection.query<mysql.RowDataPacket[]>('SHOW TABLES');
      for (const name of tables.map((r) => String(Object.values(r)[0]))) {
        const [rows] = await connection.query<mysql.RowDataPacket[]>(`SELECT * FROM \`${name}\``);
        for (const row of rows) found.push({ where: `mysql ${name}`, record: { ...row } });
      }
    } finally {
      await connection.end();
    }
    const dynamodb = new DynamoDBClient({ ...common, endpoint: aws.dynamodb.endpoint });
    try {
      for (const table of Object.values(aws.dynamodb.tables)) {
        for await (const page of paginateScan({ client: dynamodb }, { TableName: table })) {
          for (const item of page.Items ?? [])
            found.push({ where: `dynamodb ${table}`, record: unmarshall(item) });
        }
      }
    } finally {
      dynamodb.destroy();
    }
  }
  for (const key of await storedObjectKeys(t)) found.push({ where: 'object', record: { key } });
  return found;
}

/**
 * Every row (SQLite or MySQL table), item (DynamoDB table) and object key that mentions
 * `needle`, as `where: content` lines. Made for the small worlds of test apps: it reads all.
 */
export async function recordsMentioning(t: StoreHome, needle: string): Promise<string[]> {
  return (await everyRecord(t)).flatMap(({ where, record }) => {
    const text = where === 'object' ? String(record.key) : JSON.stringify(record);
    return text.includes(needle) ? [`${where}: ${text}`] : [];
  });
}
