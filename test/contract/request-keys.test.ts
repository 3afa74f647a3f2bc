import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { REQUEST_KEY_TTL_HOURS } from '../../src/domain/limits';
import type { Storage } from '../../src/ports';
import { createAwsStorage } from '../../src/storage/aws';
import { createDynamoDbClient, DynamoClient } from '../../src/storage/aws/dynamo-client';
import { requestKeyKey } from '../../src/storage/aws/keys';
import { TTL_ATTRIBUTE } from '../../src/storage/aws/tables';
import { createEmbeddedStorage } from '../../src/storage/embedded';
import { SqliteRequestKeys } from '../../src/storage/embedded/request-keys';
import { SqliteClient } from '../../src/storage/embedded/sqlite-client';
import { newId } from '../../src/lib/ulid';
import { AWS_TEST_TIMEOUT_MS, awsTestConfig } from '../support/aws-env';
import { createUsers, newMessage } from './fixtures';
import { requestKeyExpiryContract } from './request-key.contract';

/*
 * Idempotency keys expire, on both backends. In a file of its own: the contract moves the clock
 * (vitest's fake Date), which pushes the process's monotonic ULID generator ahead for every test
 * that follows in the same file.
 */

const HOUR_MS = 60 * 60_000;
const dirs: string[] = [];
const opened: Storage[] = [];
const freshDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'lumina-keys-'));
  dirs.push(dir);
  return dir;
};

afterAll(async () => {
  for (const storage of opened) await storage.close().catch(() => undefined);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('embedded: request keys', () => {
  let shared: Storage | undefined;
  requestKeyExpiryContract(() => {
    shared ??= createEmbeddedStorage({ dataDir: freshDir(), timeoutMs: 3000 });
    opened.push(shared);
    return Promise.resolve(shared);
  });

  it('SqliteRequestKeys.prune deletes the rows past the window and keeps the others', async () => {
    const dir = freshDir();
    const storage = createEmbeddedStorage({ dataDir: dir, timeoutMs: 3000 });
    opened.push(storage);
    const [a, b] = await createUsers(storage, 2);
    const keyed = (text: string) => storage.messages.send(newMessage(a!, b!, text, `k-${newId()}`));
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() - (REQUEST_KEY_TTL_HOURS + 1) * HOUR_MS);
    for (let i = 0; i < 3; i++) await keyed(`old ${i}`);
    vi.useRealTimers();
    for (let i = 0; i < 2; i++) await keyed(`new ${i}`);

    const client = SqliteClient.open(join(dir, 'lumina.sqlite'), 3000);
    const raw = new Database(join(dir, 'lumina.sqlite'), { readonly: true });
    try {
      const count = () => raw.prepare('SELECT count(*) FROM request_keys').pluck().get();
      expect(count()).toBe(5);
      expect(await new SqliteRequestKeys(client).prune()).toBe(3);
      expect(count()).toBe(2);
      expect(await new SqliteRequestKeys(client).prune()).toBe(0);
    } finally {
      raw.close();
      client.close();
    }
  });
});

describe('aws: request keys', () => {
  let shared: Promise<Storage> | undefined;
  const make = () =>
    (shared ??= createAwsStorage(awsTestConfig(), { timeoutMs: AWS_TEST_TIMEOUT_MS }).then((storage) => {
      opened.push(storage);
      return storage;
    }));
  requestKeyExpiryContract(make);

  it('setup turns TTL on for every table, and a key item expires REQUEST_KEY_TTL_HOURS after its record', async () => {
    const config = awsTestConfig();
    const client = createDynamoDbClient(config, AWS_TEST_TIMEOUT_MS);
    try {
      for (const table of Object.values(config.dynamodb.tables)) {
        const { TimeToLiveDescription } = await client.send(
          new DescribeTimeToLiveCommand({ TableName: table }),
        );
        expect(TimeToLiveDescription, table).toMatchObject({
          TimeToLiveStatus: 'ENABLED',
          AttributeName: TTL_ATTRIBUTE,
        });
      }
      const storage = await make();
      const [a, b] = await createUsers(storage, 2);
      const key = `k-${newId()}`;
      const message = await storage.messages.send(newMessage(a!, b!, 'kept a day', key));
      const item = await new DynamoClient(client).get({
        TableName: config.dynamodb.tables.messages,
        Key: requestKeyKey(a!.id, 'MESSAGE', key),
      });
      expect(item?.[TTL_ATTRIBUTE]).toBe(
        Math.floor((message.createdAt.getTime() + REQUEST_KEY_TTL_HOURS * HOUR_MS) / 1000),
      );
    } finally {
      client.destroy();
    }
  });
});
