import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { backfillImages } from '../../scripts/lib/images-backfill';
import { SharpImages } from '../../src/adapters/sharp-images';
import { queryTerms } from '../../src/domain/search';
import { ActivityService } from '../../src/services/activity.service';
import { PhotoService } from '../../src/services/photo.service';
import { makeJpeg } from '../support/images';
import { createUser, newPhoto, readAll, uniqueWord, useStorage, type MakeStorage } from './fixtures';

/** Editing a photo's text (terms follow in the same write) and the image backfill, on one backend. */
export function photoEditContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const photos = () => storage().photos;
  const search = async (q: string) =>
    (await photos().search(queryTerms(q), undefined, { limit: 50 })).items.map((p) => p.id);

  describe('PhotoStore.update and setImageKeys', () => {
    it('PhotoStore.update replaces caption, topic and alt, stamps editedAt, and search follows the new words only', async () => {
      const owner = await createUser(storage());
      const [oldWord, newWord] = [uniqueWord(), uniqueWord()];
      const created = await photos().create(
        newPhoto(owner, { caption: `Low tide ${oldWord}`, topic: 'sea' }),
      );
      expect(await search(oldWord)).toEqual([created.id]);
      const editedAt = new Date(Math.floor(Date.now() / 1000) * 1000);
      const updated = await photos().update(
        created.id,
        { caption: `High tide ${newWord}`, topic: null, alt: 'Boats on wet sand' },
        editedAt,
      );
      expect(updated).toMatchObject({
        caption: `High tide ${newWord}`,
        topic: null,
        alt: 'Boats on wet sand',
        editedAt,
      });
      expect(await photos().get(created.id)).toEqual(updated);
      expect(await search(newWord)).toEqual([created.id]);
      expect(await search(oldWord)).toEqual([]);
      // A prefix of the old word is gone too; the unchanged word "tide" still finds it.
      expect(await search(oldWord.slice(0, 6))).toEqual([]);
      expect(await search('tide')).toContain(created.id);
      expect((await photos().search(['topic:sea'], [owner.id], { limit: 10 })).items).toEqual([]);
    });

    it('PhotoStore.update that changes more terms than one DynamoDB transaction holds leaves no stale entry', async () => {
      const owner = await createUser(storage());
      const words = (n: number) => Array.from({ length: n }, () => uniqueWord());
      const before = words(14);
      const after = words(14);
      const created = await photos().create(newPhoto(owner, { caption: before.join(' ') }));
      await photos().update(created.id, { caption: after.join(' '), topic: null, alt: null }, new Date());
      for (const w of [before[0]!, before[13]!, before[7]!.slice(0, 5)]) expect(await search(w)).toEqual([]);
      expect(await search(after[0]!)).toEqual([created.id]);
      expect(await search(after[12]!)).toEqual([created.id]);
    });

    it('PhotoStore.update and setImageKeys of an unknown photo return null and false', async () => {
      const ghost = newPhoto({ id: 1, username: 'ghost' });
      expect(
        await photos().update(ghost.id, { caption: 'x', topic: null, alt: null }, new Date()),
      ).toBeNull();
      expect(await photos().setImageKeys(ghost.id, ghost.keys)).toBe(false);
      expect(await photos().get(ghost.id)).toBeNull();
    });

    it('images backfill gives an old photo a 1080 px medium image and a 400 px thumbnail, and a second run does nothing', async () => {
      const s = storage();
      const owner = await createUser(s);
      const old = newPhoto(owner, { width: 2048, height: 1536 });
      const keys = { full: old.keys.full, medium: null, thumb: old.keys.thumb };
      await s.blobs.put(keys.full, await makeJpeg(2048, 1536), 'image/jpeg');
      await s.blobs.put(keys.thumb, await makeJpeg(200, 200), 'image/jpeg');
      await s.photos.create({ ...old, keys });
      const images = new SharpImages({ maxPixels: 40_000_000, maxSide: 16_384, concurrency: 1 });
      const activity = new ActivityService(s.activity, s.users, s.blocks);
      const service = new PhotoService(
        s.photos,
        s.comments,
        s.blobs,
        images,
        s.friends,
        s.users,
        s.blocks,
        activity,
      );
      // Walk only this photo's neighbourhood: a page of the newest, which holds it.
      const first = await backfillImages({ photos: s.photos, service });
      expect(first.failed).toBe(0);
      const done = await s.photos.get(old.id);
      expect(done?.keys.medium).toBe(`photos/${old.id}/medium.jpg`);
      expect(done?.keys.thumb).not.toBe(keys.thumb);
      const medium = await sharp(await readAll((await s.blobs.open(done!.keys.medium!))!.body)).metadata();
      expect([medium.width, medium.height]).toEqual([1080, 810]);
      const thumb = await sharp(await readAll((await s.blobs.open(done!.keys.thumb))!.body)).metadata();
      expect([thumb.width, thumb.height]).toEqual([400, 400]);
      expect(await s.blobs.open(keys.thumb)).toBeNull();
      expect(await service.backfillImages(done!)).toBe(false);
      const second = await backfillImages({ photos: s.photos, service });
      expect(second.made).toBe(0);
    });
  });
}
