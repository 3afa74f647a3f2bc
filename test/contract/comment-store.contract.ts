import { describe, expect, it } from 'vitest';
import { NotFound } from '../../src/domain/errors';
import type { Comment, Photo, User } from '../../src/domain/types';
import { newId } from '../../src/lib/ulid';
import {
  ascending,
  createUsers,
  inBatches,
  newComment,
  newPhoto,
  useStorage,
  walkPages,
  type MakeStorage,
} from './fixtures';

export function commentStoreContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const comments = () => storage().comments;

  async function photoWithPeople(): Promise<{ photo: Photo; owner: User; fan: User }> {
    const [owner, fan] = await createUsers(storage(), 2);
    const photo = await storage().photos.create(newPhoto(owner!));
    return { photo, owner: owner!, fan: fan! };
  }

  /** Adds comments one after the other, so their ids are in creation order. */
  async function addInOrder(photo: Photo, author: User, count: number): Promise<Comment[]> {
    const added: Comment[] = [];
    for (let i = 0; i < count; i++)
      added.push(await comments().add(newComment(photo, author, `comment ${i}`)));
    return added;
  }

  describe('CommentStore', () => {
    it('CommentStore.ping with a reachable backend resolves', async () => {
      await expect(comments().ping()).resolves.toBeUndefined();
    });

    it("CommentStore.add stores the comment and adds one to the photo's comment count", async () => {
      const { photo, fan } = await photoWithPeople();
      const input = newComment(photo, fan, 'Lovely light — ünïcødé ✓');
      expect(await comments().add(input)).toEqual(input);
      expect(await comments().get(photo.id, input.id)).toEqual(input);
      await comments().add(newComment(photo, fan, 'again'));
      expect((await storage().photos.get(photo.id))?.commentCount).toBe(2);
    });

    it('CommentStore.add on a missing photo throws NotFound and stores nothing', async () => {
      const [fan] = await createUsers(storage(), 1);
      const photoId = newId();
      const input = newComment({ id: photoId }, fan!, 'into the void');
      await expect(comments().add(input)).rejects.toBeInstanceOf(NotFound);
      expect(await comments().get(photoId, input.id)).toBeNull();
      expect((await comments().list(photoId, { limit: 10 })).items).toEqual([]);
    });

    it('CommentStore.add with a request key the author used before stores nothing and returns the first comment', async () => {
      const { photo, owner, fan } = await photoWithPeople();
      const key = `comment-${newId()}`;
      const first = await comments().add(newComment(photo, fan, 'only once'), key);
      expect(await comments().add(newComment(photo, fan, 'only once'), key)).toEqual(first);
      const both = await Promise.all([
        comments().add(newComment(photo, fan, 'only once'), key),
        comments().add(newComment(photo, fan, 'only once'), key),
      ]);
      expect(both).toEqual([first, first]);
      const ownersOwn = await comments().add(newComment(photo, owner, 'mine'), key);
      expect(ownersOwn.id).not.toBe(first.id);
      expect((await comments().list(photo.id, { limit: 10 })).items).toEqual([first, ownersOwn]);
      expect((await storage().photos.get(photo.id))?.commentCount).toBe(2);
    });

    it('CommentStore.add with 20 comments at once counts each exactly once', async () => {
      const { photo, fan } = await photoWithPeople();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) => comments().add(newComment(photo, fan, `c${i}`))),
      );
      expect((await storage().photos.get(photo.id))?.commentCount).toBe(20);
    });

    it('CommentStore.get with a wrong photo id or unknown comment id returns null', async () => {
      const { photo, fan } = await photoWithPeople();
      const { photo: other } = await photoWithPeople();
      const comment = await comments().add(newComment(photo, fan, 'hi'));
      expect(await comments().get(other.id, comment.id)).toBeNull();
      expect(await comments().get(photo.id, newId())).toBeNull();
    });

    it('CommentStore.list returns the newest page oldest first, and earlier pages with before', async () => {
      const { photo, fan } = await photoWithPeople();
      const added = await addInOrder(photo, fan, 5);
      const { photo: other } = await photoWithPeople();
      await comments().add(newComment(other, fan, 'elsewhere'));

      const all = await comments().list(photo.id, { limit: 10 });
      expect(all).toEqual({ items: added, next: null });

      const latest = await comments().list(photo.id, { limit: 2 });
      expect(latest).toEqual({ items: added.slice(3), next: added[3]!.id });
      const pages = await walkPages((before) => comments().list(photo.id, { limit: 2, before }));
      expect(pages.map((p) => p.items.map((c) => c.text))).toEqual([
        ['comment 3', 'comment 4'],
        ['comment 1', 'comment 2'],
        ['comment 0'],
      ]);
      expect(pages.reverse().flatMap((p) => p.items.map((c) => c.id))).toEqual(
        ascending(added.map((c) => c.id)),
      );

      const earlier = await comments().list(photo.id, { limit: 10, before: added[2]!.id });
      expect(earlier).toEqual({ items: added.slice(0, 2), next: null });
      // Any id is a cursor: one made now is after every comment, one of time 0 before all.
      expect((await comments().list(photo.id, { limit: 10, before: newId() })).items).toEqual(added);
      expect(await comments().list(photo.id, { limit: 10, before: '00000000000000000000000000' })).toEqual({
        items: [],
        next: null,
      });
    });

    it('CommentStore.list with exactly a full last page returns next null', async () => {
      const { photo, fan } = await photoWithPeople();
      await addInOrder(photo, fan, 4);
      const pages = await walkPages((before) => comments().list(photo.id, { limit: 2, before }));
      expect(pages.map((p) => p.items.length)).toEqual([2, 2]);
    });

    it('CommentStore.list of 120 comments in pages of 50 sees each once: 50, 50, 20', async () => {
      const { photo, owner, fan } = await photoWithPeople();
      const added = await inBatches(
        Array.from(
          { length: 120 },
          (_, i) => () => comments().add(newComment(photo, i % 2 ? owner : fan, `p${i}`)),
        ),
        20,
      );
      const pages = await walkPages((before) => comments().list(photo.id, { limit: 50, before }));
      expect(pages.map((p) => p.items.length)).toEqual([50, 50, 20]);
      const ids = pages.reverse().flatMap((p) => p.items.map((c) => c.id));
      expect(ids).toEqual(ascending(added.map((c) => c.id)));
    });

    it("CommentStore.delete removes one comment and takes one off the photo's count", async () => {
      const { photo, fan } = await photoWithPeople();
      const [first, second] = await addInOrder(photo, fan, 2);
      expect(await comments().delete(photo.id, first!.id)).toBe(true);
      expect(await comments().get(photo.id, first!.id)).toBeNull();
      expect((await comments().list(photo.id, { limit: 10 })).items).toEqual([second]);
      expect((await storage().photos.get(photo.id))?.commentCount).toBe(1);
    });

    it('CommentStore.delete of a missing comment returns false and leaves the count alone', async () => {
      const { photo, fan } = await photoWithPeople();
      const comment = await comments().add(newComment(photo, fan, 'stay'));
      expect(await comments().delete(photo.id, newId())).toBe(false);
      const { photo: other } = await photoWithPeople();
      expect(await comments().delete(other.id, comment.id)).toBe(false);
      expect((await storage().photos.get(photo.id))?.commentCount).toBe(1);
      expect((await storage().photos.get(other.id))?.commentCount).toBe(0);
    });

    it('CommentStore.deleteAllForPhoto with 120 comments deletes them all and returns 120', async () => {
      const { photo, owner, fan } = await photoWithPeople();
      const { photo: other } = await photoWithPeople();
      const keep = await comments().add(newComment(other, fan, 'not this one'));
      await inBatches(
        Array.from(
          { length: 120 },
          (_, i) => () => comments().add(newComment(photo, i % 2 ? owner : fan, `n${i}`)),
        ),
        20,
      );
      expect(await comments().deleteAllForPhoto(photo.id)).toBe(120);
      expect(await comments().list(photo.id, { limit: 100 })).toEqual({ items: [], next: null });
      expect(await comments().get(other.id, keep.id)).toEqual(keep);
      expect(await comments().deleteAllForPhoto(photo.id)).toBe(0);
    });

    it('CommentStore.deleteAllForPhoto after the photo itself was deleted still removes its comments', async () => {
      const { photo, fan } = await photoWithPeople();
      await addInOrder(photo, fan, 3);
      await storage().photos.delete(photo.id);
      expect(await comments().deleteAllForPhoto(photo.id)).toBe(3);
      expect((await comments().list(photo.id, { limit: 10 })).items).toEqual([]);
    });

    it("CommentStore.listByAuthor walks the author's comments on every photo page by page, newest first, without others'", async () => {
      const { photo, owner, fan } = await photoWithPeople();
      const other = await storage().photos.create(newPhoto(owner));
      const written = [
        ...(await addInOrder(photo, fan, 2)),
        ...(await addInOrder(other, fan, 2)),
        ...(await addInOrder(photo, fan, 1)),
      ];
      await addInOrder(photo, owner, 2);
      const newestFirst = [...written].reverse();
      // DynamoDB reads an index on the author, which is eventually consistent.
      const all = async (limit: number) =>
        (await walkPages((before) => comments().listByAuthor(fan.id, { limit, before }))).flatMap(
          (p) => p.items,
        );
      await expect.poll(() => all(2), { timeout: 5000 }).toEqual(newestFirst);
      const pages = await walkPages((before) => comments().listByAuthor(fan.id, { limit: 2, before }));
      expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);

      await comments().delete(other.id, written[2]!.id);
      await expect
        .poll(async () => (await all(10)).map((c) => c.id), { timeout: 5000 })
        .toEqual(newestFirst.filter((c) => c.id !== written[2]!.id).map((c) => c.id));
      expect(await comments().listByAuthor(999_999_999, { limit: 10 })).toEqual({ items: [], next: null });
    });
  });
}
