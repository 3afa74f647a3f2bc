import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { beforeAll } from 'vitest';
import type { Storage } from '../../src/ports';
import type {
  ActivityEvent,
  ActivityKind,
  Comment,
  NewMessage,
  NewPhoto,
  Page,
  Photo,
  User,
} from '../../src/domain/types';
import { conversationIdOf } from '../../src/domain/types';
import { newId, timeOfId } from '../../src/lib/ulid';

/**
 * Shared by every contract suite. The AWS suites run against one database that outlives a run,
 * so every test makes its own data with names nobody else will ever pick, and never assumes a store is empty.
 */

/** How a contract gets its backend. Called once per suite; the caller owns the Storage and closes it. */
export type MakeStorage = () => Promise<Storage>;

/** Calls `make` once before the suite's tests and hands the Storage to each of them. */
export function useStorage(make: MakeStorage): () => Storage {
  let storage: Storage | undefined;
  beforeAll(async () => {
    storage = await make();
  });
  return () => {
    if (!storage) throw new Error('the contract suite has no storage: make() failed or has not run');
    return storage;
  };
}

let counter = 0;

/** Lower-case letters and digits, `length` of them, random. */
export function randomToken(length: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

/** A valid username (3–30 of [A-Za-z0-9_.]) that no other test, run or process will use. */
export function uniqueUsername(prefix = 'u'): string {
  counter += 1;
  const name = `${prefix}${counter.toString(36)}_${randomToken(10)}`;
  if (name.length > 30) throw new Error(`username fixture too long: ${name}`);
  return name;
}

/**
 * A word that no other photo carries, even cut to the stored prefix length (10): starts with a
 * letter so it is one search word, and is unique within its first 10 characters.
 */
export const uniqueWord = (): string => `q${randomToken(9)}`;

export async function createUser(storage: Storage, username = uniqueUsername()): Promise<User> {
  return storage.users.create({
    username,
    email: `${username.toLowerCase()}@lumina.test`,
    passwordHash: '$2b$04$abcdefghijklmnopqrstuuGq4hvqvC3Zf8sWm5zQ2pYJx9o5S1Ne',
  });
}

export async function createUsers(storage: Storage, count: number): Promise<User[]> {
  return Promise.all(Array.from({ length: count }, () => createUser(storage)));
}

let photoCount = 0;

/**
 * A photo record with a fresh ULID. Its `createdAt` is deliberately NOT the time inside the id:
 * it runs backwards against creation order (each photo a second earlier than the one before,
 * three minutes ahead of its id, with a millisecond part of its own), so a store that lists by
 * `createdAt` where the port says id, or that derives `createdAt` from the id instead of keeping
 * it, fails the suite. The photo service gives both the same time; the stores must not rely on it.
 */
export function newPhoto(owner: Pick<User, 'id' | 'username'>, over: Partial<NewPhoto> = {}): NewPhoto {
  const id = over.id ?? newId();
  photoCount += 1;
  return {
    id,
    userId: owner.id,
    username: owner.username,
    topic: null,
    caption: 'a photo',
    alt: null,
    createdAt: new Date(timeOfId(id) + 180_000 - photoCount * 1000 + (photoCount % 997)),
    width: 800,
    height: 600,
    keys: {
      full: `photos/${id}/full.jpg`,
      medium: `photos/${id}/medium.jpg`,
      thumb: `photos/${id}/thumb.jpg`,
    },
    contentType: 'image/jpeg',
    ...over,
  };
}

/** A comment as the comment service hands it to the store: a fresh id, created at its id's time. */
export function newComment(
  photo: Pick<Photo, 'id'>,
  author: Pick<User, 'id' | 'username'>,
  text: string,
): Comment {
  const id = newId();
  return {
    id,
    photoId: photo.id,
    userId: author.id,
    username: author.username,
    text,
    createdAt: new Date(timeOfId(id)),
  };
}

/** A message as the message service hands it to the store, which gives it its id and time. */
export function newMessage(
  from: Pick<User, 'id' | 'username'>,
  to: Pick<User, 'id' | 'username'>,
  text: string,
  requestKey?: string,
): NewMessage {
  return {
    conversationId: conversationIdOf(from.id, to.id),
    fromUserId: from.id,
    fromUsername: from.username,
    toUserId: to.id,
    toUsername: to.username,
    text,
    ...(requestKey ? { requestKey } : {}),
  };
}

/** An activity event for `recipientId`, made now by someone who is nobody in particular. */
export const newEvent = (
  recipientId: number,
  kind: ActivityKind,
  over: Partial<ActivityEvent> = {},
): ActivityEvent => ({
  id: newId(),
  recipientId,
  kind,
  actorId: 999_001,
  actorUsername: 'someone',
  photoId: null,
  subjectId: null,
  text: null,
  createdAt: new Date(),
  ...over,
});

/**
 * Follows `next` from the first page to the end and returns every page. Fails the test if the
 * cursor never ends (a bound far above what the data needs).
 */
export async function walkPages<T>(
  fetch: (before: string | undefined) => Promise<Page<T>>,
  maxPages = 1000,
): Promise<Page<T>[]> {
  const pages: Page<T>[] = [];
  let before: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await fetch(before);
    pages.push(page);
    if (page.next === null) return pages;
    before = page.next;
  }
  throw new Error(`pagination did not end within ${maxPages} pages`);
}

/** Runs `tasks` with at most `width` in flight, keeping the order of results. */
export async function inBatches<T>(tasks: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < tasks.length; i += width) {
    results.push(...(await Promise.all(tasks.slice(i, i + width).map((task) => task()))));
  }
  return results;
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string));
  return Buffer.concat(chunks);
}

/** Settles every promise and sorts the outcomes, for the "exactly one wins" race tests. */
export async function settle<T>(promises: Promise<T>[]): Promise<{ values: T[]; errors: unknown[] }> {
  const outcomes = await Promise.allSettled(promises);
  const values: T[] = [];
  const errors: unknown[] = [];
  for (const outcome of outcomes) {
    if (outcome.status === 'fulfilled') values.push(outcome.value);
    else errors.push(outcome.reason);
  }
  return { values, errors };
}

export const ascending = (ids: string[]): string[] => [...ids].sort();
export const descending = (ids: string[]): string[] => [...ids].sort().reverse();
