import { createServer, type Server, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import mysql from 'mysql2/promise';
import { ulid } from 'ulid';
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AwsConfig } from '../../src/config';
import { requestEventId } from '../../src/domain/activity';
import { Unavailable } from '../../src/domain/errors';
import type { Storage, StoreCall, StoreCallListener } from '../../src/ports';
import { createAwsStorage } from '../../src/storage/aws';
import { createDynamoDbClient, DynamoClient } from '../../src/storage/aws/dynamo-client';
import { FRIEND_IDS_TTL_MS } from '../../src/storage/aws/friend-store';
import { HIDDEN_REFRESH_MS } from '../../src/storage/aws/hidden-people';
import { indexFeed } from '../../src/storage/aws/all-feed';
import {
  ALL_FEED_INDEX,
  ALL_FEED_PARTITION,
  activityReadKey,
  allFeedBucket,
  badgesFilledMarkerKey,
  badgesKey,
  feedMarkerKey,
  GSI1,
  likedKey,
  likeIndexMarkerKey,
  likeKey,
  likerIndexMarkerKey,
  likerKey,
  OWNER_FEED_INDEX,
  ownerFeedMarkerKey,
  photoKey,
} from '../../src/storage/aws/keys';
import { fillBadges, type DynamoBadgeStore } from '../../src/storage/aws/badge-store';
import { indexLikers, indexLikes } from '../../src/storage/aws/likes';
import { indexOwnerFeed } from '../../src/storage/aws/owner-feed';
import { toPhotoItem } from '../../src/storage/aws/photo-item';
import { ensureTables, tableDefinitions } from '../../src/storage/aws/tables';
import { createMysqlPool } from '../../src/storage/aws/mysql-client';
import { migrate, MIGRATIONS } from '../../src/storage/aws/migrations';
import {
  conversationIdOf,
  type ActivityEvent,
  type PageRequest,
  type Photo,
  type User,
} from '../../src/domain/types';
import { newId, timeOfId } from '../../src/lib/ulid';
import { startDynamoDbFaults, type DynamoDbFaults } from '../support/dynamodb-faults';
import { AWS_TEST_TIMEOUT_MS, awsConfigOf, awsTestConfig, freshAwsEnv, ownMariaDb } from '../support/aws-env';
import { accountDeletionContract } from './account-deletion.contract';
import { activityStoreContract } from './activity-store.contract';
import { badgeStoreContract } from './badge-store.contract';
import { blobStoreContract } from './blob-store.contract';
import { commentStoreContract } from './comment-store.contract';
import {
  createUser,
  createUsers,
  newEvent,
  newMessage,
  newPhoto,
  randomToken,
  uniqueWord,
  walkPages,
} from './fixtures';
import { friendStoreContract } from './friend-store.contract';
import { messageDeliveryContract } from './message-delivery.contract';
import { legacyMessageIdsContract, messageStoreContract } from './message-store.contract';
import { photoEditContract } from './photo-edit.contract';
import { photoStoreContract } from './photo-store.contract';
import { raceContract } from './race.contract';
import { rateLimitStoreContract } from './rate-limit-store.contract';
import { sessionStoreContract } from './session-store.contract';
import { storeCallContract } from './store-calls.contract';
import { blockStoreContract } from './block-store.contract';
import { reportStoreContract } from './report-store.contract';
import { userStoreContract } from './user-store.contract';

/**
 * Every contract against the AWS backend: MariaDB, DynamoDB Local and s3rver on loopback,
 * started by the contract project's global setup (test/support/services-setup.ts).
 */

const opened: Storage[] = [];
const idsOf = (photos: Photo[]) => photos.map((p) => p.id);

async function open(
  config: AwsConfig = awsTestConfig(),
  timeoutMs = AWS_TEST_TIMEOUT_MS,
  onCall?: StoreCallListener,
): Promise<Storage> {
  const storage = await createAwsStorage(config, { timeoutMs, onCall });
  opened.push(storage);
  return storage;
}

afterAll(async () => {
  for (const storage of opened) await storage.close().catch(() => undefined);
});

let shared: Promise<Storage> | undefined;
const make = () => (shared ??= open());

describe('aws: account deletion steps, every store', () => accountDeletionContract(make));
describe('aws: MysqlUserStore', () => userStoreContract(make));
describe('aws: MysqlSessionStore', () => sessionStoreContract(make));
describe('aws: MysqlBlockStore', () => blockStoreContract(make));
describe('aws: MysqlReportStore', () => reportStoreContract(make));
describe('aws: MysqlRateLimitStore', () => rateLimitStoreContract(make));
describe('aws: MysqlFriendStore', () => friendStoreContract(make));
describe('aws: DynamoPhotoStore', () => photoStoreContract(make));
describe('aws: DynamoPhotoStore edits', () => photoEditContract(make));
describe('aws: DynamoActivityStore', () => activityStoreContract(make));
describe('aws: DynamoBadgeStore', () => badgeStoreContract(make));
describe('aws: DynamoCommentStore', () => commentStoreContract(make));
describe('aws: DynamoMessageStore', () => messageStoreContract(make));
describe('aws: DynamoMessageStore with messages from before sequenced ids', () =>
  legacyMessageIdsContract(make, async (_, m) => {
    const config = awsTestConfig();
    const client = new DynamoDBClient({
      region: config.region,
      endpoint: config.dynamodb.endpoint,
      credentials: { ...config.credentials! },
    });
    try {
      // The item as the old code wrote it: MSG#<ms13>#<id>, with no conversation HEAD.
      await client.send(
        new PutItemCommand({
          TableName: config.dynamodb.tables.messages,
          Item: {
            PK: { S: `CONV#${m.conversationId.low}#${m.conversationId.high}` },
            SK: { S: `MSG#${String(m.createdAt.getTime()).padStart(13, '0')}#${m.id}` },
            type: { S: 'message' },
            id: { S: m.id },
            from_user_id: { N: String(m.fromUserId) },
            from_username: { S: m.fromUsername },
            to_user_id: { N: String(m.toUserId) },
            to_username: { S: m.toUsername },
            text: { S: m.text },
            created_at: { S: m.createdAt.toISOString() },
          },
        }),
      );
    } finally {
      client.destroy();
    }
  }));
describe('aws: S3BlobStore', () => blobStoreContract(make));
describe('aws: DynamoMessageStore across processes', () =>
  messageDeliveryContract(
    make,
    () => ({ ...inject('awsEnv'), STORE_TIMEOUT_MS: String(AWS_TEST_TIMEOUT_MS) }),
    { rounds: 1 },
  ));
describe('aws: store calls', () =>
  storeCallContract((onCall) => open(awsTestConfig(), AWS_TEST_TIMEOUT_MS, onCall), {
    stores: ['mysql', 'dynamodb', 's3'],
    reportsCapacity: true,
  }));
describe('aws: two processes at once', () =>
  raceContract(make, () => ({ ...inject('awsEnv'), STORE_TIMEOUT_MS: String(AWS_TEST_TIMEOUT_MS) })));

/** A MySQL connection as the test user, without a database selected. */
async function adminConnection(config: AwsConfig) {
  const { host, port, user, password } = config.mysql;
  return mysql.createConnection({ host, port, user, password });
}

describe('aws: migrate', () => {
  it('migrate on an empty database run by 4 pools at once applies each version exactly once', async () => {
    const config = awsTestConfig();
    const database = `lumina_test_m${randomToken(8)}`;
    const admin = await adminConnection(config);
    await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const pools = Array.from({ length: 4 }, () => createMysqlPool({ ...config.mysql, database }, 10_000));
    try {
      const applied = await Promise.all(pools.map((pool) => migrate(pool)));
      const all = applied.flat().sort((a, b) => a - b);
      expect(all).toEqual(MIGRATIONS.map((_, i) => i + 1));
      expect(await migrate(pools[0]!)).toEqual([]);
      const [rows] = await admin.query(
        `SELECT version FROM \`${database}\`.schema_migrations ORDER BY version`,
      );
      expect((rows as { version: number }[]).map((r) => r.version)).toEqual(all);
    } finally {
      await Promise.all(pools.map((pool) => pool.end()));
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.end();
    }
  });

  it('migrate after a crash between the statements and their version records runs them again and records them', async () => {
    const config = awsTestConfig();
    const database = `lumina_test_m${randomToken(8)}`;
    const admin = await adminConnection(config);
    await admin.query(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    const pool = createMysqlPool({ ...config.mysql, database }, 10_000);
    try {
      await migrate(pool);
      // Every statement from version 5 on ran (ALTER TABLE ... ADD COLUMN among them), but the
      // process died before any of their versions was recorded.
      await admin.query(`DELETE FROM \`${database}\`.schema_migrations WHERE version >= 5`);
      const versions = MIGRATIONS.map((_, i) => i + 1);
      expect(await migrate(pool)).toEqual(versions.slice(4));
      const [rows] = await admin.query(
        `SELECT version FROM \`${database}\`.schema_migrations ORDER BY version`,
      );
      expect((rows as { version: number }[]).map((r) => r.version)).toEqual(versions);
      const [columns] = await admin.query(
        `SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
          WHERE TABLE_SCHEMA = ? AND TABLE_NAME = 'users' AND COLUMN_NAME IN ('bio', 'state', 'is_moderator')`,
        [database],
      );
      expect((columns as { name: string }[]).map((c) => c.name).sort()).toEqual([
        'bio',
        'is_moderator',
        'state',
      ]);
    } finally {
      await pool.end();
      await admin.query(`DROP DATABASE IF EXISTS \`${database}\``);
      await admin.end();
    }
  });
});

/** A TCP server on loopback that accepts connections and never answers: the worst kind of outage. */
async function silentServer(): Promise<{ port: number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A loopback port that nothing listens on. */
async function closedPort(): Promise<number> {
  const server = await silentServer();
  await server.close();
  return server.port;
}

function pointedAt(config: AwsConfig, port: number): AwsConfig {
  const endpoint = `http://127.0.0.1:${port}`;
  return {
    ...config,
    mysql: { ...config.mysql, port },
    dynamodb: { ...config.dynamodb, endpoint },
    s3: { ...config.s3, endpoint },
  };
}

/** Resolves to the error `promise` rejects with, and how long that took. */
async function failure(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
  throw new Error('expected the call to fail');
}

describe('aws: unreachable services', () => {
  const timeoutMs = 1000;

  it.each([
    ['refuses connections', async () => ({ port: await closedPort(), close: () => Promise.resolve() })],
    ['accepts connections and never answers', silentServer],
  ])(
    'createAwsStorage against a server that %s starts, and every store throws Unavailable naming its service within the timeout',
    async (_, listen) => {
      const server = await listen();
      try {
        const reported: StoreCall[] = [];
        const storage = await open(pointedAt(awsTestConfig(), server.port), timeoutMs, (call) =>
          reported.push(call),
        );
        const owner = { id: 1, username: 'nobody' };
        const calls: [string, () => Promise<unknown>][] = [
          ['mysql', () => storage.users.findById(1)],
          ['mysql', () => storage.sessions.get('sid')],
          ['mysql', () => storage.rateLimits.increment('k', 1000)],
          ['mysql', () => storage.friends.friendIds(1)],
          ['dynamodb', () => storage.photos.create(newPhoto(owner))],
          ['dynamodb', () => storage.messages.unreadTotal(1)],
          ['s3', () => storage.blobs.open('photos/x/full.jpg')],
        ];
        for (const [store, call] of calls) {
          const { error, ms } = await failure(call());
          expect(error, store).toBeInstanceOf(Unavailable);
          expect(error, store).toMatchObject({ store, status: 503 });
          // Two SDK attempts at most, each bounded by the timeout, plus slack for a busy machine.
          expect(ms, store).toBeLessThan(3 * timeoutMs + 1500);
          expect(reported, store).toContainEqual(expect.objectContaining({ store, ok: false }));
        }
        for (const { name, check } of storage.health) {
          await expect(check.ping(), name).rejects.toMatchObject({ store: name });
        }
      } finally {
        await server.close();
      }
    },
  );
});

describe('aws: MariaDB outage', () => {
  it('MySQL stores during a MariaDB outage throw Unavailable(mysql) quickly, and work again once it is back', async () => {
    // A MariaDB of this test's own: stopping the shared one would fail the tests running beside it.
    const mariadb = await ownMariaDb();
    const storage = await open(awsConfigOf(await freshAwsEnv(mariadb.env)), 2000);
    const user = await createUser(storage);
    await mariadb.server.stop();
    try {
      const { error, ms } = await failure(storage.users.findById(user.id));
      expect(error).toBeInstanceOf(Unavailable);
      expect(error).toMatchObject({ store: 'mysql' });
      expect(ms).toBeLessThan(5000);
      await expect(storage.sessions.get('sid')).rejects.toMatchObject({ store: 'mysql' });
      await expect(storage.health.find((h) => h.name === 'mysql')!.check.ping()).rejects.toBeInstanceOf(
        Unavailable,
      );
    } finally {
      await mariadb.server.start();
    }
    try {
      // The pool drops the dead connections and makes new ones: no restart of the app needed.
      expect(await storage.users.findById(user.id)).toEqual(user);
      await expect(storage.users.ping()).resolves.toBeUndefined();
    } finally {
      await mariadb.close();
    }
  }, 90_000);
});

describe('aws: DynamoDB retry paths, with the contention answers DynamoDB Local never gives', () => {
  let faults: DynamoDbFaults;
  let storage: Storage;
  beforeAll(async () => {
    const config = awsTestConfig();
    faults = await startDynamoDbFaults(config.dynamodb.endpoint ?? '');
    storage = await open({ ...config, dynamodb: { ...config.dynamodb, endpoint: faults.endpoint } });
  });
  afterAll(() => faults.close());
  afterEach(() => {
    for (const operation of ['TransactWriteItems', 'BatchWriteItem', 'BatchGetItem'] as const)
      faults.fail(operation, 0);
  });

  it('PhotoStore.like by 30 users at once while 20 of the transactions are cancelled for TransactionConflict counts exactly 30', async () => {
    const owner = await createUser(storage);
    const fans = await createUsers(storage, 30);
    const photo = await storage.photos.create(newPhoto(owner));
    const before = faults.count('TransactWriteItems');
    faults.fail('TransactWriteItems', 20);
    const results = await Promise.all(fans.map((fan) => storage.photos.like(photo.id, fan.id)));
    const after = faults.count('TransactWriteItems');
    expect(after.faked - before.faked).toBe(20);
    expect(after.calls - before.calls).toBe(50);
    expect(results.every((r) => r?.liked === true)).toBe(true);
    expect((await storage.photos.get(photo.id))?.likes).toBe(30);
    const liked = await Promise.all(fans.map((fan) => storage.photos.likedBy(fan.id, [photo.id])));
    expect(liked.every((set) => set.has(photo.id))).toBe(true);
  });

  it('PhotoStore.like whose transaction conflicts on every attempt throws Unavailable(dynamodb) and stores no like', async () => {
    const [owner, fan] = await createUsers(storage, 2);
    const photo = await storage.photos.create(newPhoto(owner!));
    faults.fail('TransactWriteItems', 1000);
    await expect(storage.photos.like(photo.id, fan!.id)).rejects.toMatchObject({
      store: 'dynamodb',
      status: 503,
    });
    faults.fail('TransactWriteItems', 0);
    expect((await storage.photos.get(photo.id))?.likes).toBe(0);
    expect((await storage.photos.likedBy(fan!.id, [photo.id])).size).toBe(0);
  });

  it('PhotoStore.like with its event whose transaction fails on every attempt writes neither; a friend request whose event cannot be written is rolled back', async () => {
    const [owner, fan] = await createUsers(storage, 2);
    const photo = await storage.photos.create(newPhoto(owner!));
    const id = newId();
    const event: ActivityEvent = {
      id,
      recipientId: owner!.id,
      kind: 'like',
      actorId: fan!.id,
      actorUsername: fan!.username,
      photoId: photo.id,
      subjectId: null,
      text: null,
      createdAt: new Date(timeOfId(id)),
    };
    faults.fail('TransactWriteItems', 1000);
    await expect(storage.photos.like(photo.id, fan!.id, event)).rejects.toMatchObject({ status: 503 });
    faults.fail('TransactWriteItems', 0);
    expect((await storage.activity.list(owner!.id, { limit: 10 })).items).toEqual([]);
    expect((await storage.photos.get(photo.id))?.likes).toBe(0);

    // The request's event is written with its recipient's badge counters, in one transaction.
    faults.fail('TransactWriteItems', 1000);
    await expect(
      storage.friends.create(fan!.id, owner!.id, (r) => ({
        ...event,
        kind: 'friend_request',
        subjectId: String(r.id),
      })),
    ).rejects.toMatchObject({ status: 503 });
    faults.fail('TransactWriteItems', 0);
    expect(await storage.friends.findBetween(fan!.id, owner!.id)).toBeNull();
    expect((await storage.activity.list(owner!.id, { limit: 10 })).items).toEqual([]);
  });

  it('MessageStore.send by two users 50 each at once while 5 transactions in a row are cancelled for TransactionConflict stores all 100 exactly once, in order', async () => {
    const [a, b] = await createUsers(storage, 2);
    const drafts = Array.from({ length: 50 }, (_, i) => [
      newMessage(a!, b!, `a${i}`),
      newMessage(b!, a!, `b${i}`),
    ]).flat();
    const before = faults.count('TransactWriteItems');
    // Sends of one conversation take turns in a process, so these 5 fall on one send's attempts.
    faults.fail('TransactWriteItems', 5);
    const sent = await Promise.all(drafts.map((m) => storage.messages.send(m)));
    expect(faults.count('TransactWriteItems').faked - before.faked).toBe(5);
    const stored = await storage.messages.latest(conversationIdOf(a!.id, b!.id), 200);
    expect(stored.map((m) => m.id)).toEqual(sent.map((m) => m.id).sort());
    expect(stored.map((m) => m.text).sort()).toEqual(drafts.map((m) => m.text).sort());
    for (let i = 1; i < stored.length; i++)
      expect(stored[i]!.createdAt >= stored[i - 1]!.createdAt).toBe(true);
  });

  it('PhotoStore.delete whose term deletes come back unprocessed twice still removes every term', async () => {
    const owner = await createUser(storage);
    const words = Array.from({ length: 6 }, () => uniqueWord());
    const photo = await storage.photos.create(newPhoto(owner, { caption: words.join(' ') }));
    for (const word of words) {
      expect(idsOf((await storage.photos.search([word], undefined, { limit: 5 })).items)).toEqual([photo.id]);
    }
    const before = faults.count('BatchWriteItem');
    faults.fail('BatchWriteItem', 2);
    expect(await storage.photos.delete(photo.id)).toMatchObject({ id: photo.id });
    expect(faults.count('BatchWriteItem').faked - before.faked).toBe(2);
    // The delete's last step, as PhotoService.delete ends: its record goes too.
    await storage.photos.finishDelete(photo.id);
    const client = new DynamoDBClient({
      region: awsTestConfig().region,
      endpoint: awsTestConfig().dynamodb.endpoint,
      credentials: { ...awsTestConfig().credentials! },
    });
    try {
      // Read the table itself: a term item left behind would match nothing, but it would stay.
      const { Items } = await client.send(
        new ScanCommand({
          TableName: awsTestConfig().dynamodb.tables.photos,
          FilterExpression: 'contains(#pk, :id) OR contains(#sk, :id)',
          ExpressionAttributeNames: { '#pk': 'PK', '#sk': 'SK' },
          ExpressionAttributeValues: { ':id': { S: photo.id } },
        }),
      );
      expect(Items ?? []).toEqual([]);
    } finally {
      client.destroy();
    }
  });

  it('PhotoStore.search whose batch read comes back unprocessed twice returns the whole page', async () => {
    const owner = await createUser(storage);
    const word = uniqueWord();
    const created: Photo[] = [];
    for (let i = 0; i < 5; i++) created.push(await storage.photos.create(newPhoto(owner, { caption: word })));
    const before = faults.count('BatchGetItem');
    faults.fail('BatchGetItem', 2);
    const page = await storage.photos.search([word], undefined, { limit: 10 });
    expect(faults.count('BatchGetItem').faked - before.faked).toBe(2);
    expect(page.items).toEqual([...created].reverse());
  });

  it('PhotoStore.search whose batch reads stay unprocessed throws Unavailable(dynamodb)', async () => {
    const owner = await createUser(storage);
    const word = uniqueWord();
    await storage.photos.create(newPhoto(owner, { caption: word }));
    faults.fail('BatchGetItem', 1000);
    await expect(storage.photos.search([word], undefined, { limit: 10 })).rejects.toMatchObject({
      store: 'dynamodb',
      status: 503,
    });
  });
});

describe('aws: likes under their users', () => {
  it('likes stored before the user-side index are read by their photo keys, then by one Query once indexLikes ran; an unlike meanwhile stays undone', async () => {
    const config = awsConfigOf(await freshAwsEnv());
    const table = config.dynamodb.tables.photos;
    const raw = new DynamoClient(createDynamoDbClient(config, AWS_TEST_TIMEOUT_MS));
    const before = await open(config);
    const fan = await createUser(before);
    const [p1, p2, p3] = [newPhoto(fan), newPhoto(fan), newPhoto(fan)];
    for (const photo of [p1, p2, p3]) await before.photos.create(photo);
    await before.photos.like(p1.id, fan.id);
    await before.photos.like(p2.id, fan.id);
    // As a site from before the index: no user-side items and no marker; then p2 is unliked
    // the old way (only its photo-side item goes).
    await raw.delete({ TableName: table, Key: likedKey(fan.id, p1.id) });
    await raw.delete({ TableName: table, Key: likedKey(fan.id, p2.id) });
    await raw.delete({ TableName: table, Key: likeIndexMarkerKey() });
    await raw.delete({ TableName: table, Key: likeKey(p2.id, fan.id) });

    const ids = [p1.id, p2.id, p3.id];
    const oldWorker = await open(config);
    expect([...(await oldWorker.photos.likedBy(fan.id, ids))]).toEqual([p1.id]);

    expect(await indexLikes(raw, table)).toBe(1);
    expect(await indexLikes(raw, table)).toBe(0);
    const calls: StoreCall[] = [];
    const newWorker = await open(config, AWS_TEST_TIMEOUT_MS, (call) => calls.push(call));
    expect([...(await newWorker.photos.likedBy(fan.id, ids))]).toEqual([p1.id]);
    const operations = calls.filter((c) => c.store === 'dynamodb').map((c) => c.operation);
    expect(operations).toContain('Query');
    expect(operations).not.toContain('BatchGetItem');

    // Deleting the photo takes both items of each of its likes.
    await newWorker.photos.delete(p1.id);
    expect(
      await raw.get({ TableName: table, Key: likedKey(fan.id, p1.id), ConsistentRead: true }),
    ).toBeNull();
    expect(await raw.get({ TableName: table, Key: likeKey(p1.id, fan.id), ConsistentRead: true })).toBeNull();
  });
});

describe('aws: undoing an act deletes its events by key', () => {
  it('unlike, comment delete and a cancelled request read no index (no Query at all) and leave no event, even of an event no index could find', async () => {
    const calls: StoreCall[] = [];
    const storage = await open(awsTestConfig(), AWS_TEST_TIMEOUT_MS, (call) => calls.push(call));
    const [owner, fan] = await createUsers(storage, 2);
    const photo = await storage.photos.create(newPhoto(owner!));
    const eventOf = (id: string, kind: ActivityEvent['kind'], subjectId: string | null): ActivityEvent => ({
      id,
      recipientId: owner!.id,
      kind,
      actorId: fan!.id,
      actorUsername: fan!.username,
      photoId: kind === 'friend_request' ? null : photo.id,
      subjectId,
      text: null,
      createdAt: new Date(timeOfId(id)),
    });
    await storage.photos.like(photo.id, fan!.id, eventOf(newId(), 'like', null));
    const commentId = newId();
    const comment = {
      id: commentId,
      photoId: photo.id,
      userId: fan!.id,
      username: fan!.username,
      text: 'hi',
      createdAt: new Date(timeOfId(commentId)),
    };
    await storage.comments.add(comment, undefined, [eventOf(commentId, 'comment', commentId)]);
    const request = await storage.friends.create(fan!.id, owner!.id, (r) =>
      eventOf(requestEventId(r.id, r.createdAt), 'friend_request', String(r.id)),
    );
    expect((await storage.activity.list(owner!.id, { limit: 10 })).items).toHaveLength(3);
    calls.length = 0;
    await storage.photos.unlike(photo.id, fan!.id);
    await storage.comments.delete(photo.id, commentId);
    await storage.friends.remove(request.id, 'pending');
    const dynamo = calls.filter((c) => c.store === 'dynamodb').map((c) => c.operation);
    expect(dynamo).not.toContain('Query');
    // The unlike, the comment's delete, and the request's event with its recipient's badge counters.
    expect(dynamo.filter((op) => op === 'TransactWriteItems')).toHaveLength(3);
    expect((await storage.activity.list(owner!.id, { limit: 10 })).items).toEqual([]);
  });
});

describe('aws: badge counters of older data', () => {
  it('fillBadges gives everyone with inbox entries or an old read mark exact counters, once; a first read or a fill racing sends gives the same', async () => {
    const config = awsConfigOf(await freshAwsEnv());
    const tables = config.dynamodb.tables;
    const raw = new DynamoClient(createDynamoDbClient(config, AWS_TEST_TIMEOUT_MS));
    const storage = await open(config);
    const [a, b, c, d, e] = await createUsers(storage, 5);
    for (let i = 0; i < 3; i++) await storage.messages.send(newMessage(a!, b!, `a${i}`));
    for (let i = 0; i < 2; i++) await storage.messages.send(newMessage(c!, b!, `c${i}`));
    await storage.messages.send(newMessage(b!, a!, 'b0'));
    await storage.messages.send(newMessage(a!, e!, 'e0'));
    const events = Array.from({ length: 4 }, () => newEvent(b!.id, 'like', { photoId: newId() }));
    await storage.activity.add(events);
    // As stored before the counters existed: no counters, the read mark in its own item, and no
    // marker (the set-up of this fresh table wrote it, finding nobody).
    await raw.delete({ TableName: tables.photos, Key: badgesFilledMarkerKey() });
    const people = [a!, b!, c!, d!, e!];
    for (const p of people) await raw.delete({ TableName: tables.photos, Key: badgesKey(p.id) });
    await raw.update({
      TableName: tables.photos,
      Key: activityReadKey(b!.id),
      UpdateExpression: 'SET #type = :type, last_id = :id',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':type': 'activity_read', ':id': events[1]!.id },
    });

    // A first read before the fill fills that person's counters from the entries and the old mark.
    expect(await storage.badges.unread(e!.id, 100)).toEqual({ messages: 1, activity: 0 });
    expect(await fillBadges(raw, tables)).toBe(3);
    expect(await fillBadges(raw, tables)).toBe(0);
    expect(await storage.badges.unread(b!.id, 100)).toEqual({ messages: 5, activity: 2 });
    expect(await storage.badges.unread(a!.id, 100)).toEqual({ messages: 1, activity: 0 });
    expect(await storage.badges.unread(c!.id, 100)).toEqual({ messages: 0, activity: 0 });
    expect(await storage.badges.unread(d!.id, 100)).toEqual({ messages: 0, activity: 0 });
    expect(await storage.activity.readMark(b!.id)).toBe(events[1]!.id);
  });
});

describe('aws: badge counters filled while messages come and go', () => {
  it('DynamoBadgeStore.backfill racing sends and reads of the conversations ends on the sum of the entries, round after round', async () => {
    const config = awsTestConfig();
    const raw = new DynamoClient(createDynamoDbClient(config, AWS_TEST_TIMEOUT_MS));
    const storage = await open(config);
    const counters = storage.badges as DynamoBadgeStore;
    const [reader, a, c] = await createUsers(storage, 3);
    // A send and a read of one message leave the unread total as it was: a fill must still see them.
    const talk = async (from: User) => {
      for (let i = 0; i < 4; i++) {
        await storage.messages.send(newMessage(from, reader!, `m${i}`));
        await storage.messages.markRead(reader!.id, from.id);
      }
    };
    for (let round = 0; round < 8; round++) {
      await storage.messages.send(newMessage(a!, reader!, 'left unread'));
      await raw.delete({ TableName: config.dynamodb.tables.photos, Key: badgesKey(reader!.id) });
      await Promise.all([
        talk(a!),
        talk(c!),
        ...[0, 3, 6].map(async (ms) => {
          await sleep(ms);
          await counters.backfill(reader!.id);
        }),
      ]);
      const entries = await storage.messages.conversations(reader!.id, 100);
      expect((await storage.badges.unread(reader!.id, 100)).messages).toBe(
        entries.reduce((n, x) => n + x.unread, 0),
      );
    }
  });
});

describe('aws: badge counters and account deletion', () => {
  it('ActivityStore.removeAllFor, the deletion step after MessageStore.forgetUser, deletes the counters item and the old read mark', async () => {
    const config = awsTestConfig();
    const raw = new DynamoClient(createDynamoDbClient(config, AWS_TEST_TIMEOUT_MS));
    const storage = await open(config);
    const [gone, kept] = await createUsers(storage, 2);
    await storage.messages.send(newMessage(kept!, gone!, 'hello'));
    await storage.activity.add([newEvent(gone!.id, 'like')]);
    await storage.activity.markRead(gone!.id, newId());
    const key = { TableName: config.dynamodb.tables.photos, Key: badgesKey(gone!.id), ConsistentRead: true };
    expect(await raw.get(key)).not.toBeNull();
    while ((await storage.messages.forgetUser(gone!.id, 10)) > 0);
    await storage.activity.removeAllFor(gone!.id);
    expect(await raw.get(key)).toBeNull();
    expect(await raw.get({ ...key, Key: activityReadKey(gone!.id) })).toBeNull();
  });
});

describe('aws: likes by time', () => {
  it('likes stored before the likes list read them by time are missing from it until indexLikers ran, then listed newest first; an unlike meanwhile stays undone', async () => {
    const config = awsConfigOf(await freshAwsEnv());
    const table = config.dynamodb.tables.photos;
    const raw = new DynamoClient(createDynamoDbClient(config, AWS_TEST_TIMEOUT_MS));
    const storage = await open(config);
    const owner = await createUser(storage);
    const fans = (await createUsers(storage, 3)).sort((a, b) => a.id - b.id);
    const photo = await storage.photos.create(newPhoto(owner));
    for (const fan of fans) await storage.photos.like(photo.id, fan.id);
    // As a site from before: no LIKER# items and no marker; then the second fan unlikes the old way.
    const likers = await storage.photos.likers(photo.id, { limit: 50 });
    for (const l of likers.items) {
      await raw.delete({ TableName: table, Key: likerKey(photo.id, l.likedAt.getTime(), l.userId) });
    }
    await raw.delete({ TableName: table, Key: likerIndexMarkerKey() });
    await raw.delete({ TableName: table, Key: likeKey(photo.id, fans[1]!.id) });
    expect((await storage.photos.likers(photo.id, { limit: 50 })).items).toEqual([]);

    expect(await indexLikers(raw, table)).toBe(2);
    expect(await indexLikers(raw, table)).toBe(0);
    const after = await storage.photos.likers(photo.id, { limit: 50 });
    expect(after.items.map((l) => l.userId)).toEqual([fans[2]!.id, fans[0]!.id]);
    expect(after.items.map((l) => l.likedAt.getTime())).toEqual(
      likers.items.filter((l) => l.userId !== fans[1]!.id).map((l) => l.likedAt.getTime()),
    );
  });
});

describe.each([
  ['as the SDK sends it again (same ClientRequestToken)', false],
  ['even sent again without its ClientRequestToken', true],
])(
  'aws: a DynamoDB write that landed but whose answer was lost (a timeout) is not applied twice, %s',
  (_, isWithoutToken) => {
    let faults: DynamoDbFaults;
    let storage: Storage;
    beforeAll(async () => {
      const config = awsTestConfig();
      faults = await startDynamoDbFaults(config.dynamodb.endpoint ?? '');
      faults.dropClientRequestTokens(isWithoutToken);
      storage = await open({ ...config, dynamodb: { ...config.dynamodb, endpoint: faults.endpoint } });
    });
    afterAll(() => faults.close());
    afterEach(() => faults.loseAnswer('TransactWriteItems', 0));

    /** Runs `write` with the answer of its next TransactWrite lost after DynamoDB Local applied it. */
    async function withLostAnswer<T>(write: () => Promise<T>): Promise<T> {
      const before = faults.count('TransactWriteItems');
      faults.loseAnswer('TransactWriteItems', 1);
      const result = await write();
      const after = faults.count('TransactWriteItems');
      expect(after.faked - before.faked).toBe(1);
      expect(after.calls - before.calls).toBeGreaterThanOrEqual(2);
      return result;
    }

    it('MessageStore.send: the message is stored once and the send answers it', async () => {
      const [a, b] = await createUsers(storage, 2);
      const conversation = conversationIdOf(a!.id, b!.id);
      const first = await storage.messages.send({
        conversationId: conversation,
        fromUserId: a!.id,
        fromUsername: a!.username,
        toUserId: b!.id,
        toUsername: b!.username,
        text: 'before',
      });
      const sent = await withLostAnswer(() =>
        storage.messages.send({
          conversationId: conversation,
          fromUserId: a!.id,
          fromUsername: a!.username,
          toUserId: b!.id,
          toUsername: b!.username,
          text: 'landed once',
        }),
      );
      expect(await storage.messages.latest(conversation, 10)).toEqual([first, sent]);
      expect(await storage.messages.unreadTotal(b!.id)).toBe(2);
    });

    it('CommentStore.add: the comment is stored and counted once, and the add answers it', async () => {
      const owner = await createUser(storage);
      const photo = await storage.photos.create(newPhoto(owner));
      const id = newId();
      const comment = {
        id,
        photoId: photo.id,
        userId: owner.id,
        username: owner.username,
        text: 'landed once',
        createdAt: new Date(timeOfId(id)),
      };
      expect(await withLostAnswer(() => storage.comments.add(comment))).toEqual(comment);
      expect((await storage.comments.list(photo.id, { limit: 10 })).items).toEqual([comment]);
      expect((await storage.photos.get(photo.id))?.commentCount).toBe(1);
    });

    it('PhotoStore.create and like: the photo is stored once and the like counted once', async () => {
      const owner = await createUser(storage);
      const fan = await createUser(storage);
      const photo = await withLostAnswer(() => storage.photos.create(newPhoto(owner)));
      expect(idsOf((await storage.photos.listByOwners([owner.id], { limit: 10 })).items)).toEqual([photo.id]);
      expect(await withLostAnswer(() => storage.photos.like(photo.id, fan.id))).toEqual({
        likes: 1,
        liked: true,
      });
      expect((await storage.photos.get(photo.id))?.likes).toBe(1);
    });
  },
);

describe('aws: friend ids kept per worker', () => {
  it('MysqlFriendStore.friendIds answers again within FRIEND_IDS_TTL_MS without MySQL, and another worker sees a change within it', async () => {
    const calls: StoreCall[] = [];
    const worker = await open(awsTestConfig(), AWS_TEST_TIMEOUT_MS, (call) => calls.push(call));
    const other = await open();
    const [a, b] = await createUsers(worker, 2);
    const request = await worker.friends.create(a!.id, b!.id);
    await worker.friends.accept(request.id);
    expect(await worker.friends.friendIds(a!.id)).toEqual([b!.id]);
    calls.length = 0;
    expect(await worker.friends.friendIds(a!.id)).toEqual([b!.id]);
    expect(calls).toEqual([]);

    // Unfriended through the other worker: this one may answer its copy, for FRIEND_IDS_TTL_MS at most.
    const removedAt = Date.now();
    await other.friends.remove(request.id, 'accepted');
    expect(await other.friends.friendIds(a!.id)).toEqual([]);
    for (;;) {
      const ids = await worker.friends.friendIds(a!.id);
      if (ids.length === 0) break;
      expect(Date.now() - removedAt).toBeLessThan(FRIEND_IDS_TTL_MS);
      await sleep(250);
    }
  });
});

describe('aws: who is hidden, kept per worker', () => {
  it('a suspension through one worker leaves the sender out of the badges there at once, and within HIDDEN_REFRESH_MS on another', async () => {
    const worker = await open();
    const other = await open();
    const [me, them] = await createUsers(worker, 2);
    await worker.messages.send(newMessage(them!, me!, 'hello'));
    expect(await other.badges.unread(me!.id, 100)).toEqual({ messages: 1, activity: 0 });

    const suspendedAt = Date.now();
    await worker.users.setState(them!.id, 'suspended');
    expect(await worker.badges.unread(me!.id, 100)).toEqual({ messages: 0, activity: 0 });
    for (;;) {
      const { messages } = await other.badges.unread(me!.id, 100);
      if (messages === 0) break;
      expect(Date.now() - suspendedAt).toBeLessThan(HIDDEN_REFRESH_MS + 1000);
      await sleep(250);
    }
    await worker.users.setState(them!.id, 'active');
    expect(await worker.badges.unread(me!.id, 100)).toEqual({ messages: 1, activity: 0 });
  });

  it('a change of who is hidden costs a recount only to those with something unread from them; everyone else reads one GetItem, as before', async () => {
    const calls: StoreCall[] = [];
    const worker = await open(awsTestConfig(), AWS_TEST_TIMEOUT_MS, (call) => calls.push(call));
    const [calm, busy, them, stranger] = await createUsers(worker, 4);
    await worker.activity.add([newEvent(busy!.id, 'like', { actorId: them!.id })]);
    await worker.messages.send(newMessage(them!, busy!, 'hello'));
    const dynamoCallsOf = async (userId: number) => {
      calls.length = 0;
      const unread = await worker.badges.unread(userId, 100);
      return { unread, operations: calls.filter((c) => c.store === 'dynamodb').map((c) => c.operation) };
    };
    const kept = (messages: number, activity: number) => ({
      unread: { messages, activity },
      operations: ['GetItem'],
    });
    /** Reads the badges until they stand kept (the first read after a change may recount). */
    const settle = async (userId: number) => {
      await dynamoCallsOf(userId);
      return dynamoCallsOf(userId);
    };
    // Someone hidden who concerns nobody here: the first read learns whose the unread are.
    await worker.users.setState(stranger!.id, 'suspended');
    expect(await settle(calm!.id)).toEqual(kept(0, 0));
    expect(await settle(busy!.id)).toEqual(kept(1, 1));

    // Another unrelated change of the set: no recount for either.
    await worker.users.setState(stranger!.id, 'active');
    expect(await dynamoCallsOf(calm!.id)).toEqual(kept(0, 0));
    expect(await dynamoCallsOf(busy!.id)).toEqual(kept(1, 1));

    // The person their unread are from: one recount of each, then kept again.
    await worker.users.setState(them!.id, 'suspended');
    expect(await dynamoCallsOf(calm!.id)).toEqual(kept(0, 0));
    const recount = await dynamoCallsOf(busy!.id);
    expect(recount.unread).toEqual({ messages: 0, activity: 0 });
    expect(recount.operations.filter((op) => op === 'Query')).toHaveLength(2);
    expect(await dynamoCallsOf(busy!.id)).toEqual(kept(0, 0));
    // Suspended again while suspended: the same set, no recount.
    await worker.users.setState(them!.id, 'suspended');
    expect(await dynamoCallsOf(busy!.id)).toEqual(kept(0, 0));
    await worker.users.setState(stranger!.id, 'suspended');
    expect(await dynamoCallsOf(busy!.id)).toEqual(kept(0, 0));
    await worker.users.setState(them!.id, 'active');
    expect(await settle(busy!.id)).toEqual(kept(1, 1));
  });
});

describe('aws: the All feed moved to ALL_FEED_INDEX', () => {
  it('photos stored before the index are listed through GSI1 until indexFeed ran, then through the index, without search terms; indexFeed is idempotent', async () => {
    const config = awsConfigOf(await freshAwsEnv());
    const table = config.dynamodb.tables.photos;
    const raw = new DynamoClient(createDynamoDbClient(config, AWS_TEST_TIMEOUT_MS));
    const before = await open(config);
    const owner = await createUser(before);
    const old = [newPhoto(owner, { caption: 'harbour one' }), newPhoto(owner, { caption: 'harbour two' })];
    for (const photo of old) await before.photos.create(photo);
    // As a site from before the index: photos on GSI1 only, and a marker that names no index.
    for (const photo of old) {
      await raw.update({
        TableName: table,
        Key: photoKey(photo.id),
        UpdateExpression: 'SET GSI1PK = :bucket, GSI1SK = :id REMOVE feed_bucket',
        ExpressionAttributeValues: { ':bucket': allFeedBucket(photo.id), ':id': photo.id },
      });
    }
    await raw.update({ TableName: table, Key: feedMarkerKey(), UpdateExpression: 'REMOVE feed_index' });

    const oldWorker = await open(config);
    const all = async (s: Storage) => (await s.photos.listAll({ limit: 10 })).items;
    expect(await all(oldWorker)).toEqual(
      [...old].reverse().map((p) => expect.objectContaining({ id: p.id })),
    );
    // Written while the feed still reads GSI1: on both indexes.
    const meanwhile = newPhoto(owner, { caption: 'harbour three' });
    await oldWorker.photos.create(meanwhile);
    const stored = [...old, meanwhile];
    const expected = await Promise.all([...stored].reverse().map((p) => oldWorker.photos.get(p.id)));
    expect(await all(oldWorker)).toEqual(expected);

    expect(await indexFeed(raw, table, { settleMs: 0 })).toBe(2);
    expect(await indexFeed(raw, table, { settleMs: 0 })).toBe(0);
    const newWorker = await open(config);
    // A worker's first upload after the move, before it ever listed the feed: on the index only.
    const later = newPhoto(owner, { caption: 'harbour four' });
    await newWorker.photos.create(later);
    const laterItem = await raw.get({ TableName: table, Key: photoKey(later.id), ConsistentRead: true });
    expect(laterItem).toMatchObject({ feed_bucket: ALL_FEED_PARTITION });
    expect(laterItem).not.toHaveProperty('GSI1PK');
    await newWorker.photos.delete(later.id);
    expect(await all(newWorker)).toEqual(expected);
    const bucket = allFeedBucket(meanwhile.id);
    const onGsi1 = await raw.query({
      TableName: table,
      IndexName: GSI1,
      KeyConditionExpression: 'GSI1PK = :bucket',
      ExpressionAttributeValues: { ':bucket': bucket },
    });
    expect(onGsi1.items).toEqual([]);
    const onIndex = await raw.query({
      TableName: table,
      IndexName: ALL_FEED_INDEX,
      KeyConditionExpression: 'feed_bucket = :bucket',
      ExpressionAttributeValues: { ':bucket': ALL_FEED_PARTITION },
    });
    expect(onIndex.items.map((item) => item.id).sort()).toEqual(stored.map((p) => p.id).sort());
    for (const item of onIndex.items) expect(item).not.toHaveProperty('terms');
    // Search still finds them (it reads the terms from META).
    const found = await newWorker.photos.search(['harbour'], undefined, { limit: 10 });
    expect(found.items.map((p) => p.id)).toEqual(expected.map((p) => p!.id));
  });
});

describe('aws: Home in two waves', () => {
  it('PhotoStore.listByOwners of 40 owners sends every owner query before any answers, then the likes, and reads no photo item twice', async () => {
    const calls: { operation: string; start: number; end: number; readUnits: number }[] = [];
    const storage = await open(awsTestConfig(), AWS_TEST_TIMEOUT_MS, (call) => {
      const end = performance.now();
      if (call.store === 'dynamodb')
        calls.push({ operation: call.operation, start: end - call.ms, end, readUnits: call.readUnits ?? 0 });
    });
    const owners = await createUsers(storage, 40);
    for (const owner of owners) await storage.photos.create(newPhoto(owner));
    const home = () =>
      storage.photos.listByOwners(
        owners.map((o) => o.id),
        { limit: 50 },
        owners[0]!.id,
      );
    await home(); // the worker's first reads of the index markers are not part of a page's cost
    calls.length = 0;
    const page = await home();
    const made = [...calls];
    expect(page.items).toHaveLength(40);
    expect(page.items).toEqual(await Promise.all(page.items.map((p) => storage.photos.get(p.id))));
    const queries = made.slice(0, 40);
    expect(queries.map((c) => c.operation)).toEqual(Array(40).fill('Query'));
    // One wave: the last owner query started before the first one ended.
    expect(Math.max(...queries.map((c) => c.start))).toBeLessThan(Math.min(...queries.map((c) => c.end)));
    // Then the viewer's likes, and nothing else: the photos came with the owner queries.
    expect(made.slice(40).map((c) => c.operation)).toEqual(['Query']);
    expect(made[40]!.start).toBeGreaterThanOrEqual(Math.max(...queries.map((c) => c.end)));
    // Each owner query reads one small index item (half a unit, eventually consistent), the likes one more.
    expect(made.reduce((sum, c) => sum + c.readUnits, 0)).toBeLessThanOrEqual(40 * 0.5 + 1);
  });
});

describe('aws: Home with owners who post at different rates', () => {
  /** Sequential waves of calls: a call that starts after an earlier one ended opens a new one. */
  function wavesOf(calls: { start: number; end: number }[]): number {
    let waves = 0;
    let waveEnd = -Infinity;
    for (const call of [...calls].sort((a, b) => a.start - b.start)) {
      if (call.start >= waveEnd) {
        waves++;
        waveEnd = call.end;
      } else waveEnd = Math.min(waveEnd, call.end);
    }
    return waves;
  }

  /**
   * A viewer and `plan.length` friends; friend i posts a photo at each of `plan[i]` (seconds into
   * the past hour), `strangers` at theirs; the viewer likes the photos at `likes`. Returns Home's
   * expected photo ids, newest first, and a Home reader counting the DynamoDB waves of each page.
   */
  async function homeOf(plan: number[][], strangers: number[], likes: number[]) {
    const calls: { start: number; end: number }[] = [];
    const storage = await open(awsTestConfig(), AWS_TEST_TIMEOUT_MS, (call) => {
      const end = performance.now();
      if (call.store === 'dynamodb') calls.push({ start: end - call.ms, end });
    });
    const [viewer, stranger, ...friends] = await createUsers(storage, plan.length + 2);
    const base = Date.now() - 3_600_000;
    const at = new Map<number, string>();
    const post = async (owner: User, second: number) => {
      const id = ulid(base + Math.round(second * 1000));
      at.set(second, id);
      await storage.photos.create(newPhoto(owner, { id }));
    };
    for (const [i, seconds] of plan.entries()) for (const s of seconds) await post(friends[i]!, s);
    for (const s of strangers) await post(stranger!, s);
    for (const s of likes) await storage.photos.like(at.get(s)!, viewer!.id);
    const owners = [viewer!.id, ...friends.map((f) => f.id)];
    const home = async (page: PageRequest) => {
      calls.length = 0;
      const result = await storage.photos.listByOwners(owners, page, viewer!.id);
      return { ...result, waves: wavesOf(calls) };
    };
    await home({ limit: 1 }); // this worker's first reads of the index markers
    const expected = plan
      .flat()
      .sort((a, b) => b - a)
      .map((s) => at.get(s)!);
    const liked = new Set(likes.map((s) => at.get(s)!));
    return { home, expected, liked };
  }

  const range = (from: number, count: number, step = 1) =>
    Array.from({ length: count }, (_, i) => from + i * step);

  it('PhotoStore.listByOwners where one friend posted most of the latest photos reads that friend further beside the likes: 2 waves, the same page', async () => {
    // Friend 0: the 30 newest photos; friends 1-10: 10 each, spread over the time before.
    const plan = [range(200, 30), ...range(1, 10).map((f) => range(f, 10, 10))];
    const { home, expected, liked } = await homeOf(plan, [], [205, 81, 62]);
    const page = await home({ limit: 50 });
    expect(page.items.map((p) => p.id)).toEqual(expected.slice(0, 50));
    expect(page.next).toBe(expected[49]);
    expect(page.liked).toEqual(new Set([...liked].filter((id) => expected.slice(0, 50).includes(id))));
    expect(page.waves).toBe(2);
    const rest = await home({ limit: 50, before: page.next! });
    expect(rest.items.map((p) => p.id)).toEqual(expected.slice(50, 100));
    expect(rest.next).toBe(expected[99]);
  });

  it('PhotoStore.listByOwners where the first reads hold less than a page (one friend posting much, the others little) reads on for the rest and its likes in 2 waves, and pages through every photo once', async () => {
    const plan = [range(100, 100), ...range(1, 10).map((f) => range(f, 3, 10))];
    const { home, expected, liked } = await homeOf(plan, [], [180, 5, 150]);
    const page = await home({ limit: 50 });
    expect(page.items.map((p) => p.id)).toEqual(expected.slice(0, 50));
    expect(page.liked).toEqual(new Set([...liked].filter((id) => expected.slice(0, 50).includes(id))));
    expect(page.waves).toBe(2);
    const likedSeen = new Set<string>();
    const pages = await walkPages(async (before) => {
      const next = await home({ limit: 7, ...(before ? { before } : {}) });
      for (const id of next.liked ?? []) likedSeen.add(id);
      return next;
    });
    expect(pages.flatMap((p) => p.items.map((i) => i.id))).toEqual(expected);
    expect(likedSeen).toEqual(liked);
  });

  it("PhotoStore.listByOwners whose page reaches below more than a page of the viewer's other likes reads the rest of its likes in a third wave, and answers the same", async () => {
    // Friend 0 posted 100 photos, friend 1 the 2 newest; between friend 0's photos, a stranger's
    // 60 that the viewer liked, below the photos the first wave reads: the page's oldest photo
    // (152, liked) lies below the newest 51 of those likes.
    const plan = [range(100, 100), [300, 301]];
    const strangers = range(152.05, 60, 0.1);
    const { home, expected, liked } = await homeOf(plan, strangers, [...strangers, 155, 152, 199]);
    const page = await home({ limit: 50 });
    expect(page.items.map((p) => p.id)).toEqual(expected.slice(0, 50));
    expect(page.liked).toEqual(new Set([...liked].filter((id) => expected.slice(0, 50).includes(id))));
    expect(page.liked?.size).toBe(3);
    expect(page.waves).toBe(3);
  });
});

describe('aws: Home moved to OWNER_FEED_INDEX', () => {
  it("photos stored before the index are listed through the owners' index and META until indexOwnerFeed ran, then from the index alone, without search terms; indexOwnerFeed is idempotent", async () => {
    const config = awsConfigOf(await freshAwsEnv());
    const table = config.dynamodb.tables.photos;
    const raw = new DynamoClient(createDynamoDbClient(config, AWS_TEST_TIMEOUT_MS));
    const before = await open(config);
    const [owner, friend] = await createUsers(before, 2);
    const old = [newPhoto(owner!, { caption: 'pier one' }), newPhoto(friend!, { caption: 'pier two' })];
    for (const photo of old) await before.photos.create(photo);
    await before.photos.like(old[0]!.id, friend!.id);
    // As a site from before the index: photos without `feed_owner`, and no marker.
    for (const photo of old) {
      await raw.update({ TableName: table, Key: photoKey(photo.id), UpdateExpression: 'REMOVE feed_owner' });
    }
    await raw.delete({ TableName: table, Key: ownerFeedMarkerKey() });
    const owners = [owner!.id, friend!.id];
    const expected = {
      items: await Promise.all([...old].reverse().map((p) => before.photos.get(p.id))),
      next: null,
      liked: new Set([old[0]!.id]),
    };

    const oldCalls: StoreCall[] = [];
    const oldWorker = await open(config, AWS_TEST_TIMEOUT_MS, (call) => oldCalls.push(call));
    expect(await oldWorker.photos.listByOwners(owners, { limit: 10 }, friend!.id)).toEqual(expected);
    expect(oldCalls.map((c) => c.operation)).toContain('BatchGetItem');

    expect(await indexOwnerFeed(raw, table)).toBe(2);
    expect(await indexOwnerFeed(raw, table)).toBe(0);
    // A photo an older worker wrote after that run: the next run puts it on the index too.
    await raw.update({ TableName: table, Key: photoKey(old[1]!.id), UpdateExpression: 'REMOVE feed_owner' });
    expect(await indexOwnerFeed(raw, table)).toBe(1);
    const calls: StoreCall[] = [];
    const newWorker = await open(config, AWS_TEST_TIMEOUT_MS, (call) => calls.push(call));
    expect(await newWorker.photos.listByOwners(owners, { limit: 10 }, friend!.id)).toEqual(expected);
    expect(calls.map((c) => c.operation)).not.toContain('BatchGetItem');
    // A photo written after the move, and one deleted: the index follows both.
    const later = newPhoto(owner!, { caption: 'pier three' });
    await newWorker.photos.create(later);
    await newWorker.photos.delete(old[0]!.id);
    expect(idsOf((await newWorker.photos.listByOwners(owners, { limit: 10 })).items)).toEqual([
      later.id,
      old[1]!.id,
    ]);
    const onIndex = await raw.query({
      TableName: table,
      IndexName: OWNER_FEED_INDEX,
      KeyConditionExpression: 'feed_owner = :owner',
      ExpressionAttributeValues: { ':owner': owner!.id },
    });
    expect(onIndex.items.map((item) => item.id)).toEqual([later.id]);
    for (const item of onIndex.items) expect(item).not.toHaveProperty('terms');
  });
});

describe('aws: the All feed in one index Query', () => {
  it('PhotoStore.listAll of a site with one photo a month for a year reads a page in one Query, and pages on with the cursor', async () => {
    const calls: StoreCall[] = [];
    const storage = await open(awsConfigOf(await freshAwsEnv()), AWS_TEST_TIMEOUT_MS, (c) => calls.push(c));
    const owner = await createUser(storage);
    const month = 31 * 24 * 60 * 60_000;
    const now = Date.now();
    const photos = Array.from({ length: 12 }, (_, m) => newPhoto(owner, { id: ulid(now - m * month) }));
    for (const photo of photos) await storage.photos.create(photo);
    await storage.photos.listAll({ limit: 50 }); // this worker's first read of the FEED#ALL marker
    calls.length = 0;
    const page = await storage.photos.listAll({ limit: 50 });
    expect(page.items.map((p) => p.id)).toEqual(photos.map((p) => p.id));
    expect(page.next).toBeNull();
    expect(calls.filter((c) => c.store === 'dynamodb').map((c) => c.operation)).toEqual(['Query']);
    const first = await storage.photos.listAll({ limit: 5 });
    const second = await storage.photos.listAll({ limit: 5, before: first.next! });
    expect([...first.items, ...second.items].map((p) => p.id)).toEqual(photos.slice(0, 10).map((p) => p.id));
  });
});

describe('aws: set-up of a photos table from before OwnerFeed', () => {
  it('ensureTables adds OwnerFeed to a photos table that has GSI1 and AllFeed only, and indexFeed and indexOwnerFeed move its photos there', async () => {
    const base = awsTestConfig();
    const token = randomToken(8);
    const tables = {
      photos: `lumina_u${token}_photos`,
      comments: `lumina_u${token}_comments`,
      messages: `lumina_u${token}_messages`,
    };
    const config: AwsConfig = { ...base, dynamodb: { ...base.dynamodb, tables } };
    const client = createDynamoDbClient(config, 10_000);
    const raw = new DynamoClient(client);
    try {
      // The photos table as the previous version made it, holding a photo of that version.
      const [photosTable] = tableDefinitions(tables);
      await client.send(
        new CreateTableCommand({
          ...photosTable!,
          AttributeDefinitions: photosTable!.AttributeDefinitions!.filter((a) =>
            /^(PK|SK|GSI1PK|GSI1SK|feed_bucket|id)$/.test(a.AttributeName!),
          ),
          // One index to add: on a DynamoDB Local holding the whole suite's tables, adding one
          // takes about a minute (AllFeed's own addition was tested this way before OwnerFeed).
          GlobalSecondaryIndexes: photosTable!.GlobalSecondaryIndexes!.filter(
            (i) => i.IndexName === GSI1 || i.IndexName === ALL_FEED_INDEX,
          ),
        }),
      );
      const owner = await createUser(await make());
      const photo = newPhoto(owner, { caption: 'from before' });
      const { feed_owner: _owner, ...oldItem } = toPhotoItem(photo, ['before'], true);
      await raw.transact({ photo: { Put: { TableName: tables.photos, Item: oldItem } } });
      await raw.update({
        TableName: tables.photos,
        Key: feedMarkerKey(),
        UpdateExpression: 'SET first_bucket = :bucket',
        ExpressionAttributeValues: { ':bucket': allFeedBucket(photo.id) },
      });

      await ensureTables(client, tables);
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tables.photos }));
      expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual(
        [ALL_FEED_INDEX, GSI1, OWNER_FEED_INDEX].sort(),
      );
      // It has its `feed_bucket` already (the "All feed moved" test covers photos without).
      expect(await indexFeed(raw, tables.photos, { settleMs: 0 })).toBe(0);
      expect(await indexOwnerFeed(raw, tables.photos)).toBe(1);
      const calls: StoreCall[] = [];
      const storage = await open(config, AWS_TEST_TIMEOUT_MS, (call) => calls.push(call));
      const stored = { ...photo, editedAt: null, likes: 0, commentCount: 0 };
      expect((await storage.photos.listAll({ limit: 10 })).items).toEqual([stored]);
      expect((await storage.photos.listByOwners([owner.id], { limit: 10 })).items).toEqual([stored]);
      expect(calls.map((c) => c.operation)).not.toContain('BatchGetItem');
    } finally {
      for (const TableName of Object.values(tables)) {
        await client.send(new DeleteTableCommand({ TableName })).catch(() => undefined);
      }
      client.destroy();
    }
    // Creating three tables and adding an index on DynamoDB Local takes seconds of its CPU, which
    // the rest of the contract suite shares on a two-core machine: alone this runs in about 2 s,
    // after the rest of this file about 65 s (DynamoDB Local's index build slows with its tables).
  }, 120_000);
});
