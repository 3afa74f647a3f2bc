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
import {
  commentKey,
  ENTITY,
  legacyRequestKeyKey,
  messageKey,
  requestKeyKey,
  requestKeysPartition,
} from '../../src/storage/aws/keys';
import { TTL_ATTRIBUTE } from '../../src/storage/aws/tables';
import { createEmbeddedStorage } from '../../src/storage/embedded';
import { SqliteRequestKeys } from '../../src/storage/embedded/request-keys';
import { SqliteClient } from '../../src/storage/embedded/sqlite-client';
import { newId } from '../../src/lib/ulid';
import { AWS_TEST_TIMEOUT_MS, awsTestConfig } from '../support/aws-env';
import { createUsers, newComment, newMessage, newPhoto } from './fixtures';
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

  it("a person's key items share one partition per table, which one Query reads", async () => {
    const config = awsTestConfig();
    const client = createDynamoDbClient(config, AWS_TEST_TIMEOUT_MS);
    try {
      const storage = await make();
      const [a, b] = await createUsers(storage, 2);
      const keys = [`k-${newId()}`, `k-${newId()}`];
      for (const key of keys) await storage.messages.send(newMessage(a!, b!, key, key));
      const { items } = await new DynamoClient(client).query({
        TableName: config.dynamodb.tables.messages,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': requestKeysPartition(a!.id) },
        ConsistentRead: true,
      });
      expect(items.map((item) => item.SK).sort()).toEqual(keys.map((key) => `MESSAGE#${key}`).sort());
    } finally {
      client.destroy();
    }
  });

  it('a key item of the old shape (one partition per key) still replays what it made, inside its window', async () => {
    const config = awsTestConfig();
    const { tables } = config.dynamodb;
    const client = createDynamoDbClient(config, AWS_TEST_TIMEOUT_MS);
    try {
      const storage = await make();
      const db = new DynamoClient(client);
      const [a, b] = await createUsers(storage, 2);
      const key = `k-${newId()}`;
      // Made before the key shape changed: the records, and key items of the old shape naming them.
      const photo = await storage.photos.create(newPhoto(a!));
      const comment = await storage.comments.add(newComment(photo, a!, 'before'));
      const message = await storage.messages.send(newMessage(a!, b!, 'before'));
      const age = {
        type: ENTITY.requestKey,
        created_at: new Date().toISOString(),
        [TTL_ATTRIBUTE]: Math.floor((Date.now() + REQUEST_KEY_TTL_HOURS * HOUR_MS) / 1000),
      };
      const target = (k: { PK: string; SK: string }) => ({ target_pk: k.PK, target_sk: k.SK });
      const put = (table: string, item: Record<string, unknown>) =>
        db.batchWrite(table, [{ PutRequest: { Item: { ...item, ...age } } }]);
      await put(tables.photos, { ...legacyRequestKeyKey(a!.id, 'PHOTO', key), photo_id: photo.id });
      await put(tables.comments, {
        ...legacyRequestKeyKey(a!.id, 'COMMENT', key),
        ...target(commentKey(photo.id, comment.id)),
      });
      await put(tables.messages, {
        ...legacyRequestKeyKey(a!.id, 'MESSAGE', key),
        ...target(messageKey(message.conversationId, message.id)),
      });

      // A retry after the deploy gets the first attempt's record, and nothing new is stored.
      expect((await storage.photos.create(newPhoto(a!), key)).id).toBe(photo.id);
      expect(await storage.comments.add(newComment(photo, a!, 'again'), key)).toEqual(comment);
      expect(await storage.messages.send(newMessage(a!, b!, 'again', key))).toEqual(message);
      expect(await storage.photos.countByOwner(a!.id)).toBe(1);
      expect((await storage.comments.list(photo.id, { limit: 10 })).items).toEqual([comment]);
      expect(await storage.messages.latest(message.conversationId, 10)).toEqual([message]);
    } finally {
      client.destroy();
    }
  });
});
