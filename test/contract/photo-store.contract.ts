import { describe, expect, it } from 'vitest';
import type { Photo } from '../../src/domain/types';
import { queryTerms, topicTerm } from '../../src/domain/search';
import { newId } from '../../src/lib/ulid';
import {
  createUser,
  createUsers,
  descending,
  newPhoto,
  uniqueWord,
  useStorage,
  walkPages,
  type MakeStorage,
} from './fixtures';

const idsOf = (photos: Photo[]) => photos.map((p) => p.id);

export function photoStoreContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const photos = () => storage().photos;

  /** Creates photos one after the other, so their ids are in creation order. */
  async function createInOrder(owners: { id: number; username: string }[], caption = 'x'): Promise<Photo[]> {
    const created: Photo[] = [];
    for (const owner of owners) created.push(await photos().create(newPhoto(owner, { caption })));
    return created;
  }

  describe('PhotoStore', () => {
    it('PhotoStore.ping with a reachable backend resolves', async () => {
      await expect(photos().ping()).resolves.toBeUndefined();
    });

    it('PhotoStore.create returns the photo with no likes or comments, and get returns the same', async () => {
      const owner = await createUser(storage());
      const input = newPhoto(owner, {
        topic: 'Street Art',
        caption: 'Wall in Lisbon — ünïcødé ✓',
        width: 2048,
        height: 1365,
        contentType: 'image/webp',
      });
      const created = await photos().create(input);
      expect(created).toEqual({ ...input, editedAt: null, likes: 0, commentCount: 0 });
      expect(await photos().get(input.id)).toEqual(created);
    });

    it('PhotoStore.create with a request key the owner used before stores nothing and returns the first photo', async () => {
      const [owner, other] = await createUsers(storage(), 2);
      const key = `upload-${newId()}`;
      const first = await photos().create(newPhoto(owner!, { caption: 'first try' }), key);
      expect(await photos().byRequestKey(owner!.id, key)).toEqual(first);
      const retry = await photos().create(newPhoto(owner!, { caption: 'second try' }), key);
      expect(retry).toEqual(first);
      const [atOnceA, atOnceB] = await Promise.all([
        photos().create(newPhoto(owner!), key),
        photos().create(newPhoto(owner!), key),
      ]);
      expect([atOnceA, atOnceB]).toEqual([first, first]);
      const listed = await photos().listByOwners([owner!.id], { limit: 10 });
      expect(listed.items.map((p) => p.id)).toEqual([first.id]);
      // Keys are the owner's: another person's same key is another photo.
      const theirs = await photos().create(newPhoto(other!), key);
      expect(theirs.id).not.toBe(first.id);
      expect(await photos().byRequestKey(other!.id, key)).toEqual(theirs);
      expect(await photos().byRequestKey(owner!.id, `never-${newId()}`)).toBeNull();
    });

    it('PhotoStore.create with no topic keeps topic null', async () => {
      const owner = await createUser(storage());
      const created = await photos().create(newPhoto(owner, { topic: null }));
      expect((await photos().get(created.id))?.topic).toBeNull();
    });

    it('PhotoStore.get with an unknown id returns null', async () => {
      expect(await photos().get(newId())).toBeNull();
    });

    it('PhotoStore.delete returns the photo and removes it from get, lists, search and likes', async () => {
      const [owner, fan] = await createUsers(storage(), 2);
      const word = uniqueWord();
      const photo = await photos().create(newPhoto(owner!, { caption: `gone ${word}`, topic: word }));
      await photos().like(photo.id, fan!.id);

      const deleted = await photos().delete(photo.id);
      expect(deleted).toMatchObject({ id: photo.id, keys: photo.keys, userId: owner!.id });

      expect(await photos().get(photo.id)).toBeNull();
      expect((await photos().listByOwners([owner!.id], { limit: 10 })).items).toEqual([]);
      expect((await photos().search([word], undefined, { limit: 10 })).items).toEqual([]);
      expect((await photos().search([topicTerm(word)], undefined, { limit: 10 })).items).toEqual([]);
      expect((await photos().search([word.slice(0, 4)], [owner!.id], { limit: 10 })).items).toEqual([]);
      expect([...(await photos().likedBy(fan!.id, [photo.id]))]).toEqual([]);
      expect(await photos().like(photo.id, fan!.id)).toBeNull();
    });

    it('PhotoStore.delete with an unknown id returns null', async () => {
      expect(await photos().delete(newId())).toBeNull();
    });

    it("PhotoStore.countByOwner counts the owner's photos only, and follows deletes", async () => {
      const [a, b, nobody] = await createUsers(storage(), 3);
      const mine = await createInOrder([a!, b!, a!, a!]);
      expect(await photos().countByOwner(a!.id)).toBe(3);
      expect(await photos().countByOwner(b!.id)).toBe(1);
      expect(await photos().countByOwner(nobody!.id)).toBe(0);
      await photos().delete(mine[0]!.id);
      expect(await photos().countByOwner(a!.id)).toBe(2);
    });

    it('PhotoStore.listByOwners walks every photo of the owners exactly once, newest first', async () => {
      const [a, b, stranger] = await createUsers(storage(), 3);
      const mine = await createInOrder([a!, b!, stranger!, a!, a!, b!, stranger!, b!, a!]);
      const expected = descending(idsOf(mine.filter((p) => p.userId !== stranger!.id)));

      const pages = await walkPages((before) => photos().listByOwners([a!.id, b!.id], { limit: 3, before }));
      expect(pages.map((p) => p.items.length)).toEqual([3, 3, 1]);
      expect(pages.flatMap((p) => idsOf(p.items))).toEqual(expected);
      for (const page of pages.slice(0, -1)) expect(page.next).toBe(page.items.at(-1)?.id);
      expect(pages.at(-1)?.next).toBeNull();
    });

    it('PhotoStore.listByOwners with exactly a full last page returns next null, not an empty page after', async () => {
      const owner = await createUser(storage());
      const mine = await createInOrder([owner, owner, owner, owner]);
      const pages = await walkPages((before) => photos().listByOwners([owner.id], { limit: 2, before }));
      expect(pages.map((p) => p.items.length)).toEqual([2, 2]);
      expect(pages.flatMap((p) => idsOf(p.items))).toEqual(descending(idsOf(mine)));
    });

    it('PhotoStore.listByOwners with a before cursor returns only older photos', async () => {
      const owner = await createUser(storage());
      const [p1, p2, p3] = await createInOrder([owner, owner, owner]);
      const page = await photos().listByOwners([owner.id], { limit: 10, before: p3!.id });
      expect(idsOf(page.items)).toEqual([p2!.id, p1!.id]);
      expect(page.next).toBeNull();
    });

    it('PhotoStore.listByOwners with no owners, or owners without photos, returns an empty page', async () => {
      const owner = await createUser(storage());
      expect(await photos().listByOwners([], { limit: 10 })).toEqual({ items: [], next: null });
      expect(await photos().listByOwners([owner.id], { limit: 10 })).toEqual({ items: [], next: null });
    });

    it('PhotoStore.listAll walks every photo newest first, including new ones in order', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const mine = await createInOrder([a!, b!, a!]);
      const wanted = new Set(idsOf(mine));
      const seen: string[] = [];
      let before: string | undefined;
      let previous: string | undefined;
      for (let i = 0; i < 200 && wanted.size > 0; i++) {
        const page = await photos().listAll({ limit: 2, before });
        expect(page.items.length).toBeLessThanOrEqual(2);
        for (const photo of page.items) {
          if (previous !== undefined) expect(photo.id < previous).toBe(true);
          previous = photo.id;
          if (wanted.delete(photo.id)) seen.push(photo.id);
        }
        if (page.next === null) break;
        expect(page.next).toBe(page.items.at(-1)?.id);
        before = page.next;
      }
      expect(seen).toEqual(descending(idsOf(mine)));
    });

    it('PhotoStore.listAll with a before cursor returns only older photos', async () => {
      const owner = await createUser(storage());
      const [, newer] = await createInOrder([owner, owner]);
      const page = await photos().listAll({ limit: 1, before: newer!.id });
      expect(page.items).toHaveLength(1);
      expect(page.items[0]!.id < newer!.id).toBe(true);
    });

    it('PhotoStore.search by a whole caption word finds the photo whatever its case', async () => {
      const owner = await createUser(storage());
      const word = uniqueWord();
      const photo = await photos().create(newPhoto(owner, { caption: `Sunset over ${word.toUpperCase()}!` }));
      const page = await photos().search(queryTerms(word), undefined, { limit: 10 });
      expect(page).toEqual({ items: [photo], next: null });
    });

    it('PhotoStore.search by a word prefix finds the photo', async () => {
      const owner = await createUser(storage());
      const word = uniqueWord();
      const photo = await photos().create(newPhoto(owner, { caption: `${word}set at dusk` }));
      expect(idsOf((await photos().search([word.slice(0, 6)], undefined, { limit: 10 })).items)).toEqual([
        photo.id,
      ]);
      expect(
        idsOf((await photos().search(queryTerms(`${word}setting`), undefined, { limit: 10 })).items),
      ).toEqual([photo.id]);
    });

    it('PhotoStore.search by a topic: term finds photos of exactly that topic', async () => {
      const owner = await createUser(storage());
      const topic = `Travel ${uniqueWord()}`;
      const inTopic = await photos().create(newPhoto(owner, { topic }));
      await photos().create(newPhoto(owner, { topic: `${topic}s` }));
      const page = await photos().search([topicTerm(topic.toUpperCase())], undefined, { limit: 10 });
      expect(idsOf(page.items)).toEqual([inTopic.id]);
    });

    it("PhotoStore.search by a word of the owner's username finds the owner's photos", async () => {
      const owner = await createUser(storage());
      const photo = await photos().create(newPhoto(owner, { caption: 'nothing special' }));
      const terms = queryTerms(owner.username).filter((t) => t.length >= 8);
      expect(terms.length).toBeGreaterThan(0);
      expect(idsOf((await photos().search(terms, undefined, { limit: 10 })).items)).toEqual([photo.id]);
    });

    it('PhotoStore.search with several terms returns only photos carrying all of them, newest first', async () => {
      const owner = await createUser(storage());
      const [w1, w2, w3] = [uniqueWord(), uniqueWord(), uniqueWord()];
      const both = await photos().create(newPhoto(owner, { caption: `${w1} and ${w2}` }));
      const first = await photos().create(newPhoto(owner, { caption: `${w1} only` }));
      const all = await photos().create(newPhoto(owner, { caption: `${w2} ${w3} ${w1}`, topic: w3 }));
      await photos().create(newPhoto(owner, { caption: `${w2} only` }));

      const search = async (terms: string[]) =>
        idsOf((await photos().search(terms, undefined, { limit: 10 })).items);
      expect(await search([w1, w2])).toEqual([all.id, both.id]);
      expect(await search([w1])).toEqual([all.id, first.id, both.id]);
      expect(await search([w1, w2, topicTerm(w3)])).toEqual([all.id]);
      expect(await search([w1, uniqueWord()])).toEqual([]);
    });

    it('PhotoStore.search with ownerIds returns only photos of those owners', async () => {
      const [a, b, c] = await createUsers(storage(), 3);
      const word = uniqueWord();
      const [pa, , pc] = await createInOrder([a!, b!, c!], `look ${word}`);
      const page = await photos().search([word], [a!.id, c!.id], { limit: 10 });
      expect(idsOf(page.items)).toEqual([pc!.id, pa!.id]);
      expect((await photos().search([word], [], { limit: 10 })).items).toEqual([]);
    });

    it('PhotoStore.search pages with the cursor, each match exactly once, newest first', async () => {
      const owners = await createUsers(storage(), 2);
      const word = uniqueWord();
      const mine = await createInOrder([owners[0]!, owners[1]!, owners[0]!, owners[1]!, owners[0]!], word);
      const pages = await walkPages((before) => photos().search([word], undefined, { limit: 2, before }));
      expect(pages.map((p) => p.items.length)).toEqual([2, 2, 1]);
      expect(pages.flatMap((p) => idsOf(p.items))).toEqual(descending(idsOf(mine)));

      const restricted = await walkPages((before) =>
        photos().search([word], [owners[0]!.id], { limit: 2, before }),
      );
      expect(restricted.map((p) => p.items.length)).toEqual([2, 1]);
    });

    it('PhotoStore.like twice by one user counts once', async () => {
      const [owner, fan] = await createUsers(storage(), 2);
      const photo = await photos().create(newPhoto(owner!));
      expect(await photos().like(photo.id, fan!.id)).toEqual({ likes: 1, liked: true });
      expect(await photos().like(photo.id, fan!.id)).toEqual({ likes: 1, liked: true });
      expect((await photos().get(photo.id))?.likes).toBe(1);
    });

    it('PhotoStore.unlike removes the like once and is harmless when repeated', async () => {
      const [owner, fan, other] = await createUsers(storage(), 3);
      const photo = await photos().create(newPhoto(owner!));
      await photos().like(photo.id, fan!.id);
      await photos().like(photo.id, other!.id);
      expect(await photos().unlike(photo.id, fan!.id)).toEqual({ likes: 1, liked: false });
      expect(await photos().unlike(photo.id, fan!.id)).toEqual({ likes: 1, liked: false });
      expect((await photos().get(photo.id))?.likes).toBe(1);
      expect([...(await photos().likedBy(fan!.id, [photo.id]))]).toEqual([]);
      expect([...(await photos().likedBy(other!.id, [photo.id]))]).toEqual([photo.id]);
    });

    it('PhotoStore lists are newest first by id even where createdAt runs the other way, and keep each createdAt as stored', async () => {
      const owner = await createUser(storage());
      const word = uniqueWord();
      const created = await createInOrder([owner, owner, owner], `out of order ${word}`);
      // The fixture's times run against the ids: each photo is older than the one made before it.
      for (let i = 1; i < created.length; i++) {
        expect(created[i]!.createdAt.getTime()).toBeLessThan(created[i - 1]!.createdAt.getTime());
      }
      const expected = [...created].reverse();
      const byOwner = await photos().listByOwners([owner.id], { limit: 10 });
      const found = await photos().search(queryTerms(word), undefined, { limit: 10 });
      expect(byOwner.items).toEqual(expected);
      expect(found.items).toEqual(expected);
      // The All feed holds other tests' photos too (and lags on DynamoDB's index): only these three.
      await expect
        .poll(
          async () =>
            (await photos().listAll({ limit: 50 })).items.filter((p) => p.caption === created[0]!.caption),
          {
            timeout: 5000,
          },
        )
        .toEqual(expected);
      for (const photo of created) expect(await photos().get(photo.id)).toEqual(photo);
    });

    it('PhotoStore.like and unlike on a missing photo return null', async () => {
      const fan = await createUser(storage());
      expect(await photos().like(newId(), fan.id)).toBeNull();
      expect(await photos().unlike(newId(), fan.id)).toBeNull();
    });

    it('PhotoStore.like by 30 users at once counts exactly 30', async () => {
      const owner = await createUser(storage());
      const fans = await createUsers(storage(), 30);
      const photo = await photos().create(newPhoto(owner));
      const results = await Promise.all(fans.map((fan) => photos().like(photo.id, fan.id)));
      expect(results.every((r) => r?.liked === true)).toBe(true);
      expect(Math.max(...results.map((r) => r?.likes ?? 0))).toBe(30);
      expect((await photos().get(photo.id))?.likes).toBe(30);
    });

    it('PhotoStore.likers pages 60 likes newest first (50 to a page, the API default) with a key cursor, each once; an unlike leaves the list', async () => {
      const owner = await createUser(storage());
      const fans = (await createUsers(storage(), 60)).sort((a, b) => a.id - b.id);
      const photo = await photos().create(newPhoto(owner));
      for (const fan of fans) await photos().like(photo.id, fan.id);
      const newestFirst = fans.map((f) => f.id).reverse();
      const pages = await walkPages((before) =>
        photos().likers(photo.id, { limit: 50, ...(before ? { before } : {}) }),
      );
      expect(pages.map((p) => p.items.length)).toEqual([50, 10]);
      expect(pages.flatMap((p) => p.items.map((l) => l.userId))).toEqual(newestFirst);
      const times = pages.flatMap((p) => p.items.map((l) => l.likedAt.getTime()));
      expect(times).toEqual([...times].sort((a, b) => b - a));
      await photos().unlike(photo.id, fans[59]!.id);
      await photos().unlike(photo.id, fans[10]!.id);
      const small = await walkPages((before) =>
        photos().likers(photo.id, { limit: 7, ...(before ? { before } : {}) }),
      );
      expect(small.flatMap((p) => p.items.map((l) => l.userId))).toEqual(
        newestFirst.filter((id) => id !== fans[59]!.id && id !== fans[10]!.id),
      );
      expect((await photos().likers(newId(), { limit: 50 })).items).toEqual([]);
    });

    it('PhotoStore.likedBy returns only the given photos the user has liked', async () => {
      const [owner, fan] = await createUsers(storage(), 2);
      const [p1, p2, p3] = await createInOrder([owner!, owner!, owner!]);
      await photos().like(p1!.id, fan!.id);
      await photos().like(p3!.id, fan!.id);
      await photos().like(p2!.id, owner!.id);
      const liked = await photos().likedBy(fan!.id, [p1!.id, p2!.id, p3!.id, newId()]);
      expect([...liked].sort()).toEqual([p1!.id, p3!.id].sort());
      expect((await photos().likedBy(fan!.id, [])).size).toBe(0);
    });

    it('PhotoStore.getWithLike returns the photo as get does and whether the viewer likes it, following like and unlike', async () => {
      const [owner, fan] = await createUsers(storage(), 2);
      const [photo] = await createInOrder([owner!]);
      expect(await photos().getWithLike(photo!.id, fan!.id)).toEqual({ photo, liked: false });
      await photos().like(photo!.id, fan!.id);
      const liked = await photos().getWithLike(photo!.id, fan!.id);
      expect(liked).toEqual({ photo: await photos().get(photo!.id), liked: true });
      expect(liked?.photo.likes).toBe(1);
      expect((await photos().getWithLike(photo!.id, owner!.id))?.liked).toBe(false);
      await photos().unlike(photo!.id, fan!.id);
      expect(await photos().getWithLike(photo!.id, fan!.id)).toEqual({ photo, liked: false });
      expect(await photos().getWithLike(newId(), fan!.id)).toBeNull();
    });

    it('PhotoStore.listByOwners with a viewer also returns which photos of the page the viewer liked, and only those', async () => {
      const [a, b, fan] = await createUsers(storage(), 3);
      const [p1, p2, p3, p4] = await createInOrder([a!, b!, a!, b!]);
      await photos().like(p1!.id, fan!.id);
      await photos().like(p4!.id, fan!.id);
      await photos().like(p2!.id, a!.id);
      const page = await photos().listByOwners([a!.id, b!.id], { limit: 3 }, fan!.id);
      expect(page.items.map((p) => p.id)).toEqual([p4!.id, p3!.id, p2!.id]);
      expect([...page.liked!]).toEqual([p4!.id]);
      const next = await photos().listByOwners([a!.id, b!.id], { limit: 3, before: page.next! }, fan!.id);
      expect([...next.liked!]).toEqual([p1!.id]);
      expect((await photos().listByOwners([], { limit: 3 }, fan!.id)).liked?.size).toBe(0);
      expect((await photos().listByOwners([a!.id], { limit: 3 })).liked).toBeUndefined();
    });

    it("PhotoStore.likedPhotos walks the user's likes page by page, newest photo first, without others' likes or deleted photos", async () => {
      const [a, b, fan, other] = await createUsers(storage(), 4);
      const [p1, p2, p3, p4, p5] = await createInOrder([a!, b!, a!, b!, fan!]);
      const started = Date.now();
      for (const p of [p1!, p2!, p4!, p5!]) await photos().like(p.id, fan!.id);
      await photos().like(p3!.id, other!.id);
      await photos().delete(p2!.id);

      const pages = await walkPages((before) => photos().likedPhotos(fan!.id, { limit: 2, before }));
      expect(pages.map((p) => p.items.map((l) => l.photoId))).toEqual([[p5!.id, p4!.id], [p1!.id]]);
      const first = pages[0]!.items[0]!;
      expect(first.likedAt.getTime()).toBeGreaterThanOrEqual(started - 1000);
      expect(first.likedAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);

      await photos().unlike(p4!.id, fan!.id);
      expect((await photos().likedPhotos(fan!.id, { limit: 10 })).items.map((l) => l.photoId)).toEqual([
        p5!.id,
        p1!.id,
      ]);
      expect(await photos().likedPhotos(999_999_999, { limit: 10 })).toEqual({ items: [], next: null });
    });
  });
}
