/**
 * `npx tsx bench/call-cost.ts`: what one store call costs this process in CPU (user + system;
 * the servers run in their own processes), the driver alone beside the way Lumina makes it, for
 * the calls the feeds and the chat poll make. It is the floor under the aws backend's CPU per
 * request: docs/capacity.md reads the poll's from it.
 *
 * - MySQL: a primary-key SELECT through mysql2's pool alone, and through MysqlClient (timeout,
 *   deadline, error translation, the store-call report).
 * - DynamoDB: a GetItem, a Query that finds nothing and a Query of 50 photo items, through the
 *   SDK's client alone, and through DynamoClient (dynamo-http.ts, unmarshalled items); and a
 *   Query of 9 items, a Home page's share of one owner's photos.
 *
 * Against throwaway MariaDB, DynamoDB Local and s3rver on 127.0.0.1 (startLocalAws), bounded in
 * count. Settings: CALL_COST_CALLS (2000 per case), CALL_COST_CONCURRENCY (1,10: calls in
 * flight at once, one run each), CALL_COST_ONLY (cases whose name starts with it).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateTableCommand, GetItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { loadConfig } from '../src/config';
import { createDynamoDbClient, DynamoClient } from '../src/storage/aws/dynamo-client';
import { createMysqlPool, MysqlClient } from '../src/storage/aws/mysql-client';
import { FEED_ATTRIBUTES, toPhotoItem } from '../src/storage/aws/photo-item';
import { newId } from '../src/lib/ulid';
import { startLocalAws } from '../scripts/lib/local-services';
import { BENCH_NAMES } from './lib/processes';

const CALLS = Number(process.env.CALL_COST_CALLS ?? 2000);
const CONCURRENCY = (process.env.CALL_COST_CONCURRENCY ?? '1,10').split(',').map(Number);
const ONLY = process.env.CALL_COST_ONLY ?? '';
/** Calls before each measured run: the JIT and the connections settle. */
const WARMUP = 1000;
const TABLE = 'call_cost';

if (!Number.isInteger(CALLS) || CALLS < 1 || CALLS > 100_000) throw new Error('CALL_COST_CALLS: 1 to 100000');
if (CONCURRENCY.some((c) => !Number.isInteger(c) || c < 1 || c > 50))
  throw new Error('CALL_COST_CONCURRENCY: a list of 1 to 50');

/**
 * Photo `i` as a feed index holds it: the store's own META item (toPhotoItem) cut to what the
 * indexes project (FEED_ATTRIBUTES, no search terms), under one partition so a Query can page it.
 */
function feedItem(i: number): Record<string, unknown> {
  const id = newId();
  const userId = 1000 + i;
  const meta = toPhotoItem(
    {
      id,
      userId,
      username: `bench_friend${i}`,
      topic: 'travel',
      caption: `harbour lights by the morning, market quiet #${i}`,
      alt: null,
      createdAt: new Date(),
      width: 1600,
      height: 1200,
      keys: {
        full: `photos/${userId}/${id}/full.jpg`,
        medium: `photos/${userId}/${id}/medium.jpg`,
        thumb: `photos/${userId}/${id}/thumb.jpg`,
      },
      contentType: 'image/jpeg',
    },
    [],
    false,
  );
  const projected = FEED_ATTRIBUTES.filter((name) => name in meta).map((name) => [name, meta[name]]);
  return { PK: 'FEED', SK: `PHOTO#${id}`, id, ...Object.fromEntries(projected) };
}

/** CPU and wall time per call of `call`, with `concurrency` calls in flight. */
async function measure(call: () => Promise<unknown>, concurrency: number): Promise<string> {
  const loop = async (count: number) => {
    let left = count;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) await call();
      }),
    );
  };
  await loop(WARMUP);
  const cpu = process.cpuUsage();
  const started = performance.now();
  await loop(CALLS);
  const used = process.cpuUsage(cpu);
  const us = (n: number) => (n / CALLS).toFixed(1).padStart(6);
  const wall = (((performance.now() - started) * 1000) / CALLS).toFixed(0).padStart(5);
  return `CPU ${us(used.user + used.system)} µs/call (system ${us(used.system)}), wall ${wall} µs/call`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'lumina-call-cost-'));
  const aws = await startLocalAws(dir, BENCH_NAMES, () => undefined);
  try {
    const config = loadConfig({ ...aws.env, NODE_ENV: 'production' });
    if (config.storage.backend !== 'aws') throw new Error('the services environment does not select aws');
    const { mysql: mysqlConfig } = config.storage.aws;
    const pool = createMysqlPool(mysqlConfig, 5000);
    const mysql = new MysqlClient(pool, 5000);
    await mysql.query('CREATE TABLE call_cost (id INT PRIMARY KEY, username VARCHAR(40), state VARCHAR(16))');
    await mysql.query("INSERT INTO call_cost VALUES (1, 'bench_friend1', 'active')");
    const sdk = createDynamoDbClient(config.storage.aws, 5000);
    const dynamo = new DynamoClient(sdk);
    await sdk.send(
      new CreateTableCommand({
        TableName: TABLE,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'PK', AttributeType: 'S' },
          { AttributeName: 'SK', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'PK', KeyType: 'HASH' },
          { AttributeName: 'SK', KeyType: 'RANGE' },
        ],
      }),
    );
    const items = Array.from({ length: 50 }, (_, i) => feedItem(i));
    await dynamo.batchWrite(
      TABLE,
      items.map((Item) => ({ PutRequest: { Item } })),
    );

    const select = 'SELECT id, username, state FROM call_cost WHERE id = ?';
    const feed = { TableName: TABLE, KeyConditionExpression: 'PK = :p' };
    const key = { PK: 'FEED', SK: String(items[3]!.SK) };
    const cases: [string, () => Promise<unknown>][] = [
      [
        'MySQL SELECT, mysql2 alone',
        () =>
          new Promise((resolve, reject) => {
            pool.pool.query(select, [1], (err, rows) => (err ? reject(err) : resolve(rows)));
          }),
      ],
      ['MySQL SELECT, MysqlClient', () => mysql.query(select, [1])],
      [
        'DynamoDB GetItem, SDK alone',
        () => sdk.send(new GetItemCommand({ TableName: TABLE, Key: marshall(key) })),
      ],
      ['DynamoDB GetItem, DynamoClient', () => dynamo.get({ TableName: TABLE, Key: key })],
      [
        'DynamoDB Query nothing, SDK alone',
        () => sdk.send(new QueryCommand({ ...feed, ExpressionAttributeValues: marshall({ ':p': 'NONE' }) })),
      ],
      [
        'DynamoDB Query nothing, DynamoClient',
        () => dynamo.query({ ...feed, ExpressionAttributeValues: { ':p': 'NONE' } }),
      ],
      [
        'DynamoDB Query 9 items, DynamoClient',
        () => dynamo.query({ ...feed, ExpressionAttributeValues: { ':p': 'FEED' }, Limit: 9 }),
      ],
      [
        'DynamoDB Query 50 items, SDK alone',
        () => sdk.send(new QueryCommand({ ...feed, ExpressionAttributeValues: marshall({ ':p': 'FEED' }) })),
      ],
      [
        'DynamoDB Query 50 items, DynamoClient',
        () => dynamo.query({ ...feed, ExpressionAttributeValues: { ':p': 'FEED' } }),
      ],
    ];
    const chosen = cases.filter(([n]) => n.startsWith(ONLY));
    // One unmeasured pass first, so the first case does not pay for warming the process up.
    for (const [, call] of chosen) await measure(call, Math.max(...CONCURRENCY));
    for (const concurrency of CONCURRENCY) {
      process.stdout.write(`\n${concurrency} call(s) in flight, ${CALLS} calls per case\n`);
      for (const [name, call] of chosen) {
        process.stdout.write(`${name.padEnd(40)} ${await measure(call, concurrency)}\n`);
      }
    }
    dynamo.destroy();
    sdk.destroy();
    await mysql.close();
  } finally {
    await aws.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${String(err instanceof Error ? err.stack : err)}\n`);
    process.exit(1);
  },
);
