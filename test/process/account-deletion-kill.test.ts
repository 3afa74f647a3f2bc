import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep } from '../../scripts/lib/processes';
import { loadConfig, withSessionSecret, type Config } from '../../src/config';
import { imageKeysOf, type Photo, type UserId } from '../../src/domain/types';
import { newId } from '../../src/lib/ulid';
import type { Storage } from '../../src/ports';
import { createStorage } from '../../src/storage';
import { freshAwsEnv } from '../support/aws-env';
import { everyRecord, isRequestKey, type StoredRecord } from '../support/stores';
import { Client, startServer, type ServerProcess } from '../support/server-process';

const SECRET = 'deletion-kill-secret-0123456789abcdef';
const PASSWORD = 'a long password';
const OWN_PHOTOS = 200;
const COMMENTS = 300;
const OTHERS = 4;
/** Of each kind (photo, comment, message), how many of the person's requests carry an Idempotency-Key. */
const KEYED = 5;
/** A tiny stand-in for each image size: the census counts objects, not pixels. */
const BYTES = Buffer.from('not really a jpeg');

/**
 * SIGKILL the worker in the middle of an account deletion (a person with 200 photos, 300
 * comments and likes spread over other people's photos, friends, requests, a block, a report,
 * an avatar, two conversations, and idempotency keys of photos, comments and messages), start it
 * again, and count: nothing of the person may be left in any table, index item or object, the
 * conversations stay with the other people without the name, and every remaining photo's like
 * and comment counters equal its rows. Each backend gets
 * stores of its own (a fresh data folder; on aws fresh tables and bucket).
 */
describe.each(['embedded', 'aws'] as const)('a worker killed during an account deletion (%s)', (backend) => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function environment(): Promise<Record<string, string>> {
    const dataDir = mkdtempSync(join(tmpdir(), 'lumina-deletion-'));
    dirs.push(dataDir);
    const env: Record<string, string> = {
      DATA_DIR: dataDir,
      SESSION_SECRET: SECRET,
      NODE_ENV: 'test',
      RATE_LIMIT_COMMENT_MAX: '10000',
      RATE_LIMIT_LIKE_MAX: '10000',
      RATE_LIMIT_MESSAGE_MAX: '10000',
      RATE_LIMIT_SIGNUP_MAX: '10000',
    };
    if (backend === 'embedded') return env;
    return { ...env, ...(await freshAwsEnv()) };
  }

  const configOf = (env: Record<string, string>): Config => withSessionSecret(loadConfig(env), () => SECRET);

  async function signUp(server: ServerProcess, prefix: string) {
    const client = new Client(server.url);
    const res = await client.call('POST', '/api/auth/signup', {
      username: `${prefix}${randomBytes(4).toString('hex')}`,
      password: PASSWORD,
    });
    expect(res.status).toBe(201);
    return { client, user: res.body as { id: UserId; username: string } };
  }

  /** Photos written straight to the stores, each with its three image objects; the first `keyed` with a key. */
  async function seedPhotos(
    storage: Storage,
    owner: { id: UserId; username: string },
    count: number,
    keyed = 0,
  ) {
    const photos: Photo[] = [];
    for (let i = 0; i < count; i++) {
      const id = newId();
      const keys = {
        full: `photos/${id}/full.jpg`,
        medium: `photos/${id}/medium.jpg`,
        thumb: `photos/${id}/thumb.jpg`,
      };
      await Promise.all(imageKeysOf({ keys }).map((key) => storage.blobs.put(key, BYTES, 'image/jpeg')));
      photos.push(
        await storage.photos.create(
          {
            id,
            userId: owner.id,
            username: owner.username,
            topic: i % 2 ? 'beach' : null,
            caption: `photo ${i} by ${owner.username} at sunset`,
            alt: null,
            createdAt: new Date(),
            width: 640,
            height: 480,
            keys,
            contentType: 'image/jpeg',
          },
          i < keyed ? `upload-${id}` : undefined,
        ),
      );
    }
    return photos;
  }

  it('the next start finishes the deletion: nothing of the person is left, the counters are right', async () => {
    const env = await environment();
    let server = await startServer(env);
    const storage = await createStorage(configOf(env));
    try {
      const me = await signUp(server, 'doomed');
      const others = [];
      for (let i = 0; i < OTHERS; i++) others.push(await signUp(server, `other${i}`));
      const [a, b, c, d] = others as [(typeof others)[number], ...(typeof others)[number][]];
      const x = me.user.id;

      // The person's own photos; the others' photos they comment on and like.
      const mine = await seedPhotos(storage, me.user, OWN_PHOTOS, KEYED);
      const theirs = (await Promise.all(others.map((o) => seedPhotos(storage, o.user, 5)))).flat();
      const call = async (
        client: Client,
        method: string,
        path: string,
        body?: unknown,
        requestKey?: string,
      ) => {
        const res = await client.call(
          method,
          path,
          body,
          requestKey ? { 'Idempotency-Key': requestKey } : {},
        );
        expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
        return res.body as { id: number };
      };
      const work: (() => Promise<unknown>)[] = [];
      for (let i = 0; i < COMMENTS; i++) {
        const photo = theirs[i % theirs.length]!;
        const key = i < KEYED ? `comment-${i}-${newId()}` : undefined;
        work.push(() =>
          call(me.client, 'POST', `/api/photos/${photo.id}/comments`, { text: `comment ${i}` }, key),
        );
      }
      for (const photo of theirs) work.push(() => call(me.client, 'POST', `/api/photos/${photo.id}/like`));
      // Others on the person's photos, and on their own (those must stay, counted right).
      for (const photo of mine.slice(0, 40)) {
        work.push(() => call(a.client, 'POST', `/api/photos/${photo.id}/like`));
        work.push(() => call(b!.client, 'POST', `/api/photos/${photo.id}/comments`, { text: 'nice' }));
      }
      for (const photo of theirs.slice(0, 10)) {
        work.push(() => call(c!.client, 'POST', `/api/photos/${photo.id}/like`));
        work.push(() => call(d!.client, 'POST', `/api/photos/${photo.id}/comments`, { text: 'mine stays' }));
      }
      for (let i = 0; i < work.length; i += 8) await Promise.all(work.slice(i, i + 8).map((w) => w()));

      // Friends with a and b, a request from c, a block of d, a report, an avatar, two conversations.
      for (const friend of [a, b!]) {
        const request = await call(me.client, 'POST', '/api/friends/request', {
          username: friend.user.username,
        });
        await call(friend.client, 'POST', '/api/friends/respond', {
          request_id: request.id,
          action: 'accept',
        });
      }
      await call(c!.client, 'POST', '/api/friends/request', { username: me.user.username });
      await call(me.client, 'POST', '/api/blocks', { username: d!.user.username });
      await call(me.client, 'POST', '/api/reports', {
        target_type: 'photo',
        target_id: theirs[0]!.id,
        reason: 'spam',
      });
      await call(c!.client, 'POST', '/api/reports', {
        target_type: 'user',
        target_id: String(x),
        reason: 'spam',
      });
      // The person's first KEYED messages carry a key, and so do all of a's (those stay).
      for (let i = 0; i < 6; i++) {
        const key = (who: string) => `message-${who}-${i}-${newId()}`;
        await call(
          me.client,
          'POST',
          '/api/messages',
          { to_user_id: a.user.id, text: `to a ${i}` },
          i < KEYED ? key('me') : undefined,
        );
        await call(a.client, 'POST', '/api/messages', { to_user_id: x, text: `from a ${i}` }, key('a'));
        await call(me.client, 'POST', '/api/messages', { to_user_id: b!.user.id, text: `to b ${i}` });
      }
      const avatarId = newId();
      await storage.blobs.put(`avatars/${x}/${avatarId}/large.jpg`, BYTES, 'image/jpeg');
      await storage.blobs.put(`avatars/${x}/${avatarId}/small.jpg`, BYTES, 'image/jpeg');
      expect(await storage.users.replaceAvatar(x, null, avatarId)).toBe(true);

      const home = { config: configOf(env), dataDir: env.DATA_DIR! };
      const seeded = await everyRecord(home);
      const before = leftovers(seeded, x, me.user.username, mine);
      expect(before.length, 'the seeding left nothing to delete').toBeGreaterThan(1000);
      // The person's keys (photos, comments, messages) are among what must go; a's stay.
      expect(keysOf(seeded, x)).toHaveLength(3 * KEYED);
      expect(keysOf(seeded, a.user.id)).toHaveLength(6);

      // The deletion starts; the worker dies once some of the photos are gone and some are not.
      const started = Date.now();
      const answer = me.client.call('DELETE', '/api/users/me', { password: PASSWORD }).catch(() => null);
      let left = OWN_PHOTOS;
      for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
        left = await storage.photos.countByOwner(x);
        if (left < OWN_PHOTOS * 0.8) break;
        await sleep(2);
      }
      server.process.kill('SIGKILL');
      const killedAfter = Date.now() - started;
      await answer;
      await server.stop();
      expect(left, 'the kill came before any photo was deleted').toBeLessThan(OWN_PHOTOS);
      expect(await storage.photos.countByOwner(x), 'the deletion finished before the kill').toBeGreaterThan(
        0,
      );
      expect((await storage.users.findById(x))?.state).toBe('deleting');

      server = await startServer(env);
      const resumed = Date.now();
      for (const deadline = Date.now() + 120_000; Date.now() < deadline;) {
        if (!(await storage.users.findById(x))) break;
        await sleep(100);
      }
      const finishedAfter = Date.now() - resumed;
      expect(await storage.users.findById(x), 'the next start did not finish the deletion').toBeNull();

      const records = await everyRecord(home);
      expect(leftovers(records, x, me.user.username, mine)).toEqual([]);
      expect(keysOf(records, x)).toEqual([]);
      expect(keysOf(records, a.user.id)).toHaveLength(6);
      expect(counterMismatches(records)).toEqual([]);
      // The conversations stay with a and b, without the person's name.
      const kept = records.filter(
        ({ where, record }) => record.type === 'message' || where === 'sqlite messages',
      );
      expect(kept.length).toBe(18);
      // The others' own things are all there.
      const othersComments = records.filter(
        ({ where, record }) =>
          (where === 'sqlite comments' || record.type === 'comment') && record.text === 'mine stays',
      ).length;
      expect(othersComments).toBe(10);
      const again = await signUp(server, 'x');
      expect(again.user.id).not.toBe(x);
      console.log(
        `${backend}: killed ${killedAfter} ms into the deletion with ${left} of ${OWN_PHOTOS} photos left; ` +
          `the restart finished it in ${finishedAfter} ms; ${before.length} records of the person before, 0 after; ` +
          `${records.length} records in the stores`,
      );
    } finally {
      await server.stop();
      await storage.close();
    }
  }, 300_000);
});

/** The person's idempotency keys: SQLite rows by user id, DynamoDB items under REQUEST#<id> (keys.ts). */
function keysOf(records: StoredRecord[], id: UserId): StoredRecord[] {
  const partition = new RegExp(`^REQUEST#${id}(#|$)`);
  return records.filter(
    (r) => isRequestKey(r) && (r.record.user_id === id || partition.test(String(r.record.PK))),
  );
}

/** A number-valued field that names the person. */
const PERSON_FIELDS = [
  'id',
  'user_id',
  'requester_id',
  'receiver_id',
  'blocker_id',
  'blocked_id',
  'reporter_id',
  'recipient_id',
  'actor_id',
  'moderator_id',
];

/**
 * Every stored record that is still the person's: one naming their id in a person field or a
 * key, their name anywhere, one of their photos' ids anywhere, an object of theirs. Messages
 * and the other people's inbox entries name them by id on purpose (the conversation stays), but
 * must not carry the name. Users rows are matched by id; moderation log rows are the moderators'.
 */
function leftovers(records: StoredRecord[], x: UserId, username: string, photos: Photo[]): string[] {
  const photoIds = new Set(photos.map((p) => p.id));
  const keyNamesX = new RegExp(`(^|#|:|/)${x}(#|$|/)`);
  const lower = username.toLowerCase();
  return records.flatMap(({ where, record }) => {
    const text = JSON.stringify(record);
    const line = `${where}: ${text.slice(0, 300)}`;
    if (text.toLowerCase().includes(lower)) return [line];
    if ([...text.matchAll(/[0-9A-HJKMNP-TV-Z]{26}/g)].some((m) => photoIds.has(m[0]))) return [line];
    if (where === 'object') return keyNamesX.test(String(record.key)) ? [line] : [];
    if (where.endsWith('moderation_actions')) return [];
    const isConversation =
      record.type === 'message' ||
      record.type === 'conversation_head' ||
      where.endsWith(' messages') ||
      where.endsWith(' conversation_heads');
    if (isConversation) return [];
    const isOthersInbox =
      (record.type === 'inbox' && record.PK !== `INBOX#${x}`) ||
      (where.endsWith(' inbox') && record.user_id !== x);
    if (isOthersInbox) return [];
    if (where.endsWith(' users') && record.id !== x) return [];
    if (where.endsWith(' reports') && record.reporter_id !== x) return [];
    const named = PERSON_FIELDS.filter((f) => f !== 'id' || where.endsWith(' users')).some(
      (f) => Number(record[f]) === x,
    );
    const keyed = ['PK', 'SK', 'GSI1PK', 'GSI1SK', 'key', 'rl_key'].some(
      (k) => typeof record[k] === 'string' && keyNamesX.test(record[k]),
    );
    return named || keyed ? [line] : [];
  });
}

/** Photos whose like or comment counter differs from their rows, on either backend. */
function counterMismatches(records: StoredRecord[]): string[] {
  const likes = new Map<string, number>();
  const comments = new Map<string, number>();
  const photos: { id: string; likes: number; comments: number }[] = [];
  const add = (map: Map<string, number>, id: string) => map.set(id, (map.get(id) ?? 0) + 1);
  for (const { where, record } of records) {
    if (where.endsWith(' photos')) {
      photos.push({
        id: String(record.id),
        likes: Number(record.likes),
        comments: Number(record.comment_count),
      });
    } else if (where.endsWith(' likes')) add(likes, String(record.photo_id));
    else if (where.endsWith(' comments') && !where.startsWith('dynamodb'))
      add(comments, String(record.photo_id));
    else if (record.type === 'photo') {
      photos.push({
        id: String(record.id),
        likes: Number(record.likes ?? 0),
        comments: Number(record.comment_count ?? 0),
      });
    } else if (record.type === 'like') add(likes, String(record.photo_id));
    else if (record.type === 'comment') add(comments, String(record.photo_id));
  }
  return photos.flatMap((p) => {
    const rows = { likes: likes.get(p.id) ?? 0, comments: comments.get(p.id) ?? 0 };
    return p.likes === rows.likes && p.comments === rows.comments
      ? []
      : [`${p.id}: counters ${p.likes}/${p.comments}, rows ${rows.likes}/${rows.comments}`];
  });
}
