import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ulid';
import { readAll, useStorage, type MakeStorage } from './fixtures';

/** Keys as the photo service makes them. */
const keyOf = (name: 'full.jpg' | 'thumb.jpg' | 'full.webp') => `photos/${newId()}/${name}`;

export function blobStoreContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const blobs = () => storage().blobs;

  describe('BlobStore', () => {
    it('BlobStore.ping with a reachable backend resolves', async () => {
      await expect(blobs().ping()).resolves.toBeUndefined();
    });

    it('BlobStore.put then open streams the same bytes with size, content type and an etag', async () => {
      const key = keyOf('full.jpg');
      const bytes = randomBytes(300_000);
      await blobs().put(key, bytes, 'image/jpeg');
      const blob = await blobs().open(key);
      expect(blob).not.toBeNull();
      expect(blob!.size).toBe(bytes.length);
      expect(blob!.contentType).toBe('image/jpeg');
      expect(typeof blob!.etag).toBe('string');
      expect(blob!.etag.length).toBeGreaterThan(0);
      expect((await readAll(blob!.body)).equals(bytes)).toBe(true);
    });

    it('BlobStore.open keeps the content type of a WebP object', async () => {
      const key = keyOf('full.webp');
      await blobs().put(key, Buffer.from('RIFF....WEBPVP8 '), 'image/webp');
      const blob = await blobs().open(key);
      expect(blob?.contentType).toBe('image/webp');
      await readAll(blob!.body);
    });

    it('BlobStore.put on an existing key replaces the bytes and changes the etag', async () => {
      const key = keyOf('thumb.jpg');
      await blobs().put(key, Buffer.from('first version'), 'image/jpeg');
      const first = await blobs().open(key);
      await readAll(first!.body);
      await blobs().put(key, Buffer.from('second version!'), 'image/jpeg');
      const second = await blobs().open(key);
      expect((await readAll(second!.body)).toString()).toBe('second version!');
      expect(second!.size).toBe(15);
      expect(second!.etag).not.toBe(first!.etag);
    });

    it('BlobStore.open with the same unchanged object returns the same etag', async () => {
      const key = keyOf('thumb.jpg');
      await blobs().put(key, Buffer.from('stable'), 'image/jpeg');
      const a = await blobs().open(key);
      const b = await blobs().open(key);
      await Promise.all([readAll(a!.body), readAll(b!.body)]);
      expect(a!.etag).toBe(b!.etag);
    });

    it('BlobStore.open with a missing key returns null', async () => {
      expect(await blobs().open(keyOf('full.jpg'))).toBeNull();
    });

    it('BlobStore.delete removes the objects and ignores missing keys', async () => {
      const full = keyOf('full.jpg');
      const thumb = keyOf('thumb.jpg');
      await Promise.all([
        blobs().put(full, Buffer.from('full'), 'image/jpeg'),
        blobs().put(thumb, Buffer.from('thumb'), 'image/jpeg'),
      ]);
      await blobs().delete([full, thumb, keyOf('full.jpg')]);
      expect(await blobs().open(full)).toBeNull();
      expect(await blobs().open(thumb)).toBeNull();
      await expect(blobs().delete([full])).resolves.toBeUndefined();
      await expect(blobs().delete([])).resolves.toBeUndefined();
    });

    it('BlobStore.list under a prefix returns every object in key order, paged, with its write time', async () => {
      const folder = `photos/${newId()}`;
      const keys = ['a.jpg', 'b.jpg', 'c.jpg', 'd.jpg', 'e.jpg'].map((name) => `${folder}/${name}`);
      const before = Date.now() - 5_000;
      await Promise.all(keys.map((key) => blobs().put(key, Buffer.from(key), 'image/jpeg')));
      await blobs().put(keyOf('full.jpg'), Buffer.from('another photo'), 'image/jpeg');
      const listed = [];
      for await (const blob of blobs().list(`${folder}/`, { pageSize: 2 })) listed.push(blob);
      expect(listed.map((b) => b.key)).toEqual(keys);
      for (const blob of listed) {
        expect(blob.modifiedAt.getTime()).toBeGreaterThan(before);
        expect(blob.modifiedAt.getTime()).toBeLessThan(Date.now() + 5_000);
      }
      await blobs().delete(keys.slice(0, 2));
      const left = [];
      for await (const blob of blobs().list(`${folder}/`)) left.push(blob.key);
      expect(left).toEqual(keys.slice(2));
      const nothing = [];
      for await (const blob of blobs().list(`photos/${newId()}/`)) nothing.push(blob);
      expect(nothing).toEqual([]);
    });

    it('BlobStore.list of a whole folder finds objects of many photos', async () => {
      const mine = [keyOf('full.jpg'), keyOf('thumb.jpg')];
      await Promise.all(mine.map((key) => blobs().put(key, Buffer.from('x'), 'image/jpeg')));
      const listed = new Set<string>();
      for await (const blob of blobs().list('photos/')) listed.add(blob.key);
      for (const key of mine) expect(listed.has(key)).toBe(true);
      expect([...listed].every((key) => key.startsWith('photos/'))).toBe(true);
    });
  });
}
