/**
 * `npx tsx bench/sdk-cost.ts`: the DynamoDB client's own CPU per call (this process only; DynamoDB
 * Local runs in its own process), for the calls the feeds and the poll make: a Query of 50
 * photo items, a Query that finds nothing, a GetItem. Against a throwaway DynamoDB Local on
 * 127.0.0.1, bounded in count. Settings: SDK_COST_CALLS (300).
 */
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import { loadConfig } from '../src/config';
import { createDynamoDbClient, DynamoClient } from '../src/storage/aws/dynamo-client';
import { ensureInstalled, startDynamoDb, type LocalServer } from '../scripts/lib/local-services';

const CALLS = Number(process.env.SDK_COST_CALLS ?? 300);

async function main(): Promise<void> {
  const binaries = await ensureInstalled(() => undefined);
  const servers: LocalServer[] = [await startDynamoDb(binaries)];
  try {
    const env = {
      STORAGE_BACKEND: 'aws',
      MYSQL_HOST: '127.0.0.1',
      MYSQL_USER: 'x',
      MYSQL_PASSWORD: 'x',
      MYSQL_DATABASE: 'x',
      DYNAMODB_ENDPOINT: `http://127.0.0.1:${servers[0]!.port}`,
      S3_ENDPOINT: 'http://127.0.0.1:1',
      S3_BUCKET: 'bench',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
    };
    const config = loadConfig(env);
    if (config.storage.backend !== 'aws') throw new Error('aws');
    const low = createDynamoDbClient(config.storage.aws, 5000);
    await low.send(
      new CreateTableCommand({
        TableName: 'bench_photos',
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
    const db = new DynamoClient(low);
    const items = Array.from({ length: 50 }, (_, i) => ({
      PK: 'FEED',
      SK: `PHOTO#01JX${String(i).padStart(22, '0')}`,
      type: 'photo',
      GSI1PK: 'ALL#2026-12',
      GSI1SK: `01JX${String(i).padStart(22, '0')}`,
      id: `01JX${String(i).padStart(22, '0')}`,
      user_id: 1000 + i,
      username: `bench_friend${i}`,
      topic: 'travel',
      caption: `harbour lights by the morning, market quiet #${i}`,
      created_at: new Date().toISOString(),
      width: 1600,
      height: 1200,
      likes: i,
      comment_count: 3,
      full_key: `photos/1/01JX${i}/full.jpg`,
      medium_key: `photos/1/01JX${i}/medium.jpg`,
      thumb_key: `photos/1/01JX${i}/thumb.jpg`,
      content_type: 'image/jpeg',
      terms: ['harbour', 'lights', 'morning', 'market', 'quiet', 'travel', 'ha', 'li', 'mo', 'ma', 'qu'],
    }));
    await db.batchWrite(
      'bench_photos',
      items.map((Item) => ({ PutRequest: { Item } })),
    );
    const cases: [string, () => Promise<unknown>][] = [
      [
        'Query 50 items',
        () =>
          db.query({
            TableName: 'bench_photos',
            KeyConditionExpression: 'PK = :p',
            ExpressionAttributeValues: { ':p': 'FEED' },
          }),
      ],
      [
        'Query nothing',
        () =>
          db.query({
            TableName: 'bench_photos',
            KeyConditionExpression: 'PK = :p',
            ExpressionAttributeValues: { ':p': 'NONE' },
          }),
      ],
      ['GetItem', () => db.get({ TableName: 'bench_photos', Key: { PK: 'FEED', SK: items[3]!.SK } })],
    ];
    const only = process.env.SDK_COST_ONLY;
    for (const [name, call] of cases.filter(([n]) => !only || n.startsWith(only))) {
      for (let i = 0; i < 50; i++) await call();
      const cpu = process.cpuUsage();
      const started = performance.now();
      for (let i = 0; i < CALLS; i++) await call();
      const used = process.cpuUsage(cpu);
      process.stdout.write(
        `${name.padEnd(16)} CPU ${((used.user + used.system) / 1000 / CALLS).toFixed(3)} ms/call (user ${(used.user / 1000 / CALLS).toFixed(3)}, sys ${(used.system / 1000 / CALLS).toFixed(3)}), wall ${((performance.now() - started) / CALLS).toFixed(2)} ms/call\n`,
      );
    }
    low.destroy();
  } finally {
    for (const s of servers) await s.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${String(err instanceof Error ? err.stack : err)}\n`);
    process.exit(1);
  },
);
