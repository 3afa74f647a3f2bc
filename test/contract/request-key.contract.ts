import { afterEach, describe, expect, it, vi } from 'vitest';
import { REQUEST_KEY_TTL_HOURS } from '../../src/domain/limits';
import type { Photo, User } from '../../src/domain/types';
import { newId } from '../../src/lib/ulid';
import { createUsers, newComment, newMessage, newPhoto, useStorage, type MakeStorage } from './fixtures';

const HOUR_MS = 60 * 60_000;

// Made at the (possibly moved) present, as the services make them. Ids come from a monotonic
// ULID generator, which the moved clock has pushed ahead for the rest of the file, so a record's
// time is set here, not read from its id (run this contract in a test file of its own).
const photoNow = (owner: Pick<User, 'id' | 'username'>) => newPhoto(owner, { createdAt: new Date() });
const commentNow = (photo: Pick<Photo, 'id'>, author: Pick<User, 'id' | 'username'>) => ({
  ...newComment(photo, author, 'once'),
  createdAt: new Date(),
});

/**
 * Idempotency keys replay what their first request made for REQUEST_KEY_TTL_HOURS; after that a
 * request with the same key is a new request (the key is forgotten: DynamoDB TTL, SQLite prune).
 * The clock is moved with vitest's fake Date (timers stay real).
 */
export function requestKeyExpiryContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const later = (hours: number) => {
    // Installed once per test: a second install would stay behind after useRealTimers.
    if (!vi.isFakeTimers()) vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + hours * HOUR_MS);
  };
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('request keys expire', () => {
    it('PhotoStore.create with a key used just inside the window replays; past it stores a new photo', async () => {
      const [owner] = await createUsers(storage(), 1);
      const key = `upload-${newId()}`;
      const first = await storage().photos.create(photoNow(owner!), key);
      later(REQUEST_KEY_TTL_HOURS - 1);
      expect(await storage().photos.create(photoNow(owner!), key)).toEqual(first);
      later(2);
      expect(await storage().photos.byRequestKey(owner!.id, key)).toBeNull();
      const second = await storage().photos.create(photoNow(owner!), key);
      expect(second.id).not.toBe(first.id);
      expect(await storage().photos.byRequestKey(owner!.id, key)).toEqual(second);
      expect(await storage().photos.create(photoNow(owner!), key)).toEqual(second);
    });

    it('CommentStore.add with a key used just inside the window replays; past it stores a new comment', async () => {
      const [owner, fan] = await createUsers(storage(), 2);
      const photo = await storage().photos.create(newPhoto(owner!));
      const key = `comment-${newId()}`;
      const first = await storage().comments.add(commentNow(photo, fan!), key);
      later(REQUEST_KEY_TTL_HOURS - 1);
      expect(await storage().comments.add(commentNow(photo, fan!), key)).toEqual(first);
      later(2);
      const second = await storage().comments.add(commentNow(photo, fan!), key);
      expect(second.id).not.toBe(first.id);
      expect(await storage().comments.add(commentNow(photo, fan!), key)).toEqual(second);
      expect((await storage().comments.list(photo.id, { limit: 10 })).items).toEqual([first, second]);
      expect((await storage().photos.get(photo.id))?.commentCount).toBe(2);
    });

    it('MessageStore.send with a key used just inside the window replays; past it sends a new message', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const key = `message-${newId()}`;
      const first = await storage().messages.send(newMessage(a!, b!, 'once', key));
      later(REQUEST_KEY_TTL_HOURS - 1);
      expect(await storage().messages.send(newMessage(a!, b!, 'once', key))).toEqual(first);
      later(2);
      const second = await storage().messages.send(newMessage(a!, b!, 'once', key));
      expect(second.id).not.toBe(first.id);
      expect(await storage().messages.send(newMessage(a!, b!, 'once', key))).toEqual(second);
      expect(await storage().messages.latest(first.conversationId, 10)).toEqual([first, second]);
    });
  });
}
