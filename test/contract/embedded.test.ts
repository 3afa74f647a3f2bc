import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidInput, Unavailable } from '../../src/domain/errors';
import type { ActivityEvent } from '../../src/domain/types';
import { newId, timeOfId } from '../../src/lib/ulid';
import type { Storage, StoreCall, StoreCallListener } from '../../src/ports';
import { createEmbeddedStorage } from '../../src/storage/embedded';
import { SCHEMA_VERSION } from '../../src/storage/embedded/migrations';
import { accountDeletionContract } from './account-deletion.contract';
import { activityStoreContract } from './activity-store.contract';
import { badgeStoreContract } from './badge-store.contract';
import { blobStoreContract } from './blob-store.contract';
import { commentStoreContract } from './comment-store.contract';
import { createUsers, newPhoto, uniqueUsername } from './fixtures';
import { friendStoreContract } from './friend-store.contract';
import { messageDeliveryContract } from './message-delivery.contract';
import { raceContract } from './race.contract';
import { legacyMessageIdsContract, messageStoreContract } from './message-store.contract';
import { photoEditContract } from './photo-edit.contract';
import { photoStoreContract } from './photo-store.contract';
import { rateLimitStoreContract } from './rate-limit-store.contract';
import { sessionStoreContract } from './session-store.contract';
import { startChild } from './start-child';
import { storeCallContract } from './store-calls.contract';
import { blockStoreContract } from './block-store.contract';
import { reportStoreContract } from './report-store.contract';
import { userStoreContract } from './user-store.contract';

const tempDirs: string[] = [];
const opened: Storage[] = [];

function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lumina-embedded-'));
  tempDirs.push(dir);
  return dir;
}

function open(dataDir: string, timeoutMs = 3000, onCall?: StoreCallListener): Storage {
  const storage = createEmbeddedStorage({ dataDir, timeoutMs, onCall });
  opened.push(storage);
  return storage;
}

/** A second process on the same data dir, like the other PM2 worker (test/contract/embedded-worker.child.ts). */
function startWorker(dataDir: string, username: string): { ready: Promise<void>; done: Promise<string> } {
  return startChild(
    join(__dirname, 'embedded-worker.child.ts'),
    [dataDir, username],
    `worker ${username}`,
    25_000,
  );
}

afterAll(async () => {
  for (const storage of opened) await storage.close();
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

/** Every contract against the embedded backend: one SQLite file and image folder in a fresh temp dir. */
const shared = freshDir();
let storage: Storage | undefined;
const make = () => {
  storage ??= open(shared);
  return Promise.resolve(storage);
};

describe('embedded: account deletion steps, every store', () => accountDeletionContract(make));
describe('embedded: SqliteUserStore', () => userStoreContract(make));
describe('embedded: SqliteSessionStore', () => sessionStoreContract(make));
describe('embedded: SqliteBlockStore', () => blockStoreContract(make));
describe('embedded: SqliteReportStore', () => reportStoreContract(make));
describe('embedded: SqliteRateLimitStore', () => rateLimitStoreContract(make));
describe('embedded: SqliteFriendStore', () => friendStoreContract(make));
describe('embedded: SqlitePhotoStore', () => photoStoreContract(make));
describe('embedded: SqlitePhotoStore edits', () => photoEditContract(make));
describe('embedded: SqliteActivityStore', () => activityStoreContract(make));
describe('embedded: SqliteBadgeStore', () => badgeStoreContract(make));
describe('embedded: SqliteCommentStore', () => commentStoreContract(make));
describe('embedded: SqliteMessageStore', () => messageStoreContract(make));
describe('embedded: SqliteMessageStore with messages from before sequenced ids', () =>
  legacyMessageIdsContract(make, (_, m) => {
    const db = new Database(join(shared, 'lumina.sqlite'));
    try {
      db.prepare(
        `INSERT INTO messages (conversation_id, id, from_user_id, from_username, to_user_id, to_username, text, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        `CONV#${m.conversationId.low}#${m.conversationId.high}`,
        m.id,
        m.fromUserId,
        m.fromUsername,
        m.toUserId,
        m.toUsername,
        m.text,
        m.createdAt.getTime(),
      );
    } finally {
      db.close();
    }
    return Promise.resolve();
  }));
describe('embedded: LocalBlobStore', () => blobStoreContract(make));
describe('embedded: SqliteMessageStore across processes', () =>
  messageDeliveryContract(
    make,
    () => ({ STORAGE_BACKEND: 'embedded', DATA_DIR: shared, STORE_TIMEOUT_MS: '3000' }),
    { rounds: 2 },
  ));
describe('embedded: store calls', () =>
  storeCallContract((onCall) => Promise.resolve(open(freshDir(), 3000, onCall)), {
    stores: ['sqlite', 'disk'],
    reportsCapacity: false,
  }));
describe('embedded: two processes at once', () =>
  raceContract(make, () => ({ STORAGE_BACKEND: 'embedded', DATA_DIR: shared, STORE_TIMEOUT_MS: '3000' })));

describe('embedded: createEmbeddedStorage', () => {
  it('createEmbeddedStorage in an empty dir makes lumina.sqlite, images/ and records the schema version once', () => {
    const dir = freshDir();
    open(dir);
    open(dir);
    expect(existsSync(join(dir, 'lumina.sqlite'))).toBe(true);
    expect(existsSync(join(dir, 'images'))).toBe(true);
    const db = new Database(join(dir, 'lumina.sqlite'), { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.prepare('SELECT version FROM schema_migrations').pluck().all()).toEqual(
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );
    } finally {
      db.close();
    }
  });

  it('createEmbeddedStorage opened by 4 processes at once migrates once and counts every hit of all of them', async () => {
    const dir = freshDir();
    const names = Array.from({ length: 4 }, () => uniqueUsername('proc'));
    const workers = names.map((name) => startWorker(dir, name));
    await Promise.all(workers.map((w) => w.ready));
    writeFileSync(join(dir, 'go'), '');
    const results = (await Promise.all(workers.map((w) => w.done))).map(
      (out) => JSON.parse(out.trim().split('\n').at(-1)!) as { userId: number; last: number },
    );
    expect(new Set(results.map((r) => r.userId)).size).toBe(4);

    const storage = open(dir);
    for (const name of names) expect(await storage.users.findByUsername(name)).not.toBeNull();
    expect((await storage.rateLimits.increment('shared-key', 60_000)).count).toBe(4 * 50 + 1);
  }, 30_000);

  it('a write while another connection holds the write lock past the timeout throws Unavailable(sqlite)', async () => {
    const dir = freshDir();
    const calls: StoreCall[] = [];
    const storage = open(dir, 150, (call) => calls.push(call));
    const other = new Database(join(dir, 'lumina.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    try {
      const started = Date.now();
      const write = storage.users.create({
        username: uniqueUsername(),
        email: 'x@lumina.test',
        passwordHash: 'x',
      });
      await expect(write).rejects.toBeInstanceOf(Unavailable);
      await expect(write).rejects.toMatchObject({ store: 'sqlite', status: 503 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(100);
      expect(calls).toContainEqual(
        expect.objectContaining({ store: 'sqlite', operation: 'INSERT users', ok: false }),
      );
      // Reads are not blocked by a writer in WAL mode.
      await expect(storage.users.findByUsername('nobody')).resolves.toBeNull();
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('a write waiting for another connection’s write lock leaves the event loop free and lands once the lock is let go', async () => {
    const dir = freshDir();
    const storage = open(dir, 1000);
    const other = new Database(join(dir, 'lumina.sqlite'));
    other.exec('BEGIN IMMEDIATE');
    let released = false;
    try {
      // Timers every 10 ms: how late each fires is how long the event loop was held.
      let lastTick = Date.now();
      let worstLag = 0;
      const ticker = setInterval(() => {
        worstLag = Math.max(worstLag, Date.now() - lastTick - 10);
        lastTick = Date.now();
      }, 10);
      const name = uniqueUsername();
      const write = storage.users.create({ username: name, email: 'x@lumina.test', passwordHash: 'x' });
      await new Promise((resolve) => setTimeout(resolve, 400));
      other.exec('ROLLBACK');
      released = true;
      await expect(write).resolves.toMatchObject({ username: name });
      clearInterval(ticker);
      expect(worstLag).toBeLessThan(60);
      expect(await storage.users.findByUsername(name)).not.toBeNull();
    } finally {
      if (!released) other.exec('ROLLBACK');
      other.close();
    }
  });

  it('Storage.health names sqlite and disk, and ping fails with Unavailable once closed', async () => {
    const storage = open(freshDir());
    expect(storage.health.map((h) => h.name)).toEqual(['sqlite', 'disk']);
    for (const { check } of storage.health) await expect(check.ping()).resolves.toBeUndefined();
    await storage.close();
    await expect(storage.users.ping()).rejects.toBeInstanceOf(Unavailable);
    await expect(storage.close()).resolves.toBeUndefined();
  });

  it('LocalBlobStore with a key outside its folder or of an odd shape throws InvalidInput', async () => {
    const { blobs } = open(freshDir());
    const bad = [
      '../escape.jpg',
      '/etc/passwd.jpg',
      'photos/../../x.jpg',
      'photos//x.jpg',
      '.tmp/x.jpg',
      'a b.jpg',
      '',
    ];
    for (const key of bad) {
      await expect(blobs.put(key, Buffer.from('x'), 'image/jpeg'), key).rejects.toBeInstanceOf(InvalidInput);
      await expect(blobs.open(key), key).rejects.toBeInstanceOf(InvalidInput);
      await expect(blobs.delete([key]), key).rejects.toBeInstanceOf(InvalidInput);
    }
  });

  it('LocalBlobStore.put with a content type its key extension does not name throws InvalidInput', async () => {
    const { blobs } = open(freshDir());
    await expect(blobs.put('photos/a/full.jpg', Buffer.from('x'), 'image/webp')).rejects.toBeInstanceOf(
      InvalidInput,
    );
    await expect(blobs.put('photos/a/full.png', Buffer.from('x'), 'image/png')).rejects.toBeInstanceOf(
      InvalidInput,
    );
  });

  it('LocalBlobStore.delete of both images of a photo removes its folder too', async () => {
    const dir = freshDir();
    const { blobs } = open(dir);
    await blobs.put('photos/01ABC/full.jpg', Buffer.from('f'), 'image/jpeg');
    await blobs.put('photos/01ABC/thumb.jpg', Buffer.from('t'), 'image/jpeg');
    await blobs.delete(['photos/01ABC/full.jpg', 'photos/01ABC/thumb.jpg']);
    expect(existsSync(join(dir, 'images', 'photos', '01ABC'))).toBe(false);
    expect(existsSync(join(dir, 'images', 'photos'))).toBe(true);
  });
});

describe('embedded: an act and its events are one write', () => {
  const eventOf = (recipientId: number, photoId: string, actorId: number): ActivityEvent => {
    const id = newId();
    return {
      id,
      recipientId,
      kind: 'like',
      actorId,
      actorUsername: 'fan',
      photoId,
      subjectId: null,
      text: null,
      createdAt: new Date(timeOfId(id)),
    };
  };

  it('a like whose write fails (the likes insert refused) stores no event, and one whose event cannot be written stores no like', async () => {
    const dir = freshDir();
    const storage = open(dir);
    const [owner, fan] = await createUsers(storage, 2);
    const photo = await storage.photos.create(newPhoto(owner!));
    const raw = new Database(join(dir, 'lumina.sqlite'));
    try {
      raw.exec(
        "CREATE TRIGGER refuse_like BEFORE INSERT ON likes BEGIN SELECT RAISE(ABORT, 'disk full'); END",
      );
      await expect(
        storage.photos.like(photo.id, fan!.id, eventOf(owner!.id, photo.id, fan!.id)),
      ).rejects.toThrow();
      expect((await storage.activity.list(owner!.id, { limit: 10 })).items).toEqual([]);
      raw.exec('DROP TRIGGER refuse_like');
      raw.exec(
        "CREATE TRIGGER refuse_event BEFORE INSERT ON activity BEGIN SELECT RAISE(ABORT, 'disk full'); END",
      );
      await expect(
        storage.photos.like(photo.id, fan!.id, eventOf(owner!.id, photo.id, fan!.id)),
      ).rejects.toThrow();
      expect((await storage.photos.get(photo.id))?.likes).toBe(0);
      expect((await storage.photos.likedBy(fan!.id, [photo.id])).size).toBe(0);
      raw.exec('DROP TRIGGER refuse_event');
      const event = eventOf(owner!.id, photo.id, fan!.id);
      await storage.photos.like(photo.id, fan!.id, event);
      // An unlike whose event delete fails keeps the like too.
      raw.exec(
        "CREATE TRIGGER keep_event BEFORE DELETE ON activity BEGIN SELECT RAISE(ABORT, 'disk full'); END",
      );
      await expect(storage.photos.unlike(photo.id, fan!.id)).rejects.toThrow();
      expect((await storage.photos.get(photo.id))?.likes).toBe(1);
      expect((await storage.activity.list(owner!.id, { limit: 10 })).items.map((e) => e.id)).toEqual([
        event.id,
      ]);
    } finally {
      raw.close();
    }
  });
});
