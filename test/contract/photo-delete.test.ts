import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { Unavailable } from '../../src/domain/errors';
import { photoTerms } from '../../src/domain/search';
import { imageKeysOf, type Photo } from '../../src/domain/types';
import type { Storage } from '../../src/ports';
import { SweepService } from '../../src/services/sweep.service';
import { createAwsStorage } from '../../src/storage/aws';
import { createDynamoDbClient, DynamoClient } from '../../src/storage/aws/dynamo-client';
import { likedKey, likeKey, termKey } from '../../src/storage/aws/keys';
import { createEmbeddedStorage } from '../../src/storage/embedded';
import { startDynamoDbFaults } from '../support/dynamodb-faults';
import { AWS_TEST_TIMEOUT_MS, awsConfigOf, freshAwsEnv } from '../support/aws-env';
import { createUsers, newComment, newPhoto, uniqueWord } from './fixtures';

/**
 * A photo delete that dies half-way (a process killed, a store gone) leaves nothing visible, and
 * the sweep finishes it: no term, like, comment, image object or record of the delete is left.
 * On DynamoDB the store's own part is several writes, so the delete dies inside it (the term
 * deletes refused, as by a store that went away); on SQLite that part is one transaction, so it
 * dies right after it, before comments, activity and objects.
 */

interface Backend {
  storage: Storage;
  /** Starts deleting `photo` and dies half-way. */
  dieHalfWay: (photo: Photo) => Promise<void>;
  /** What the photo store itself still holds of the photo: term and like rows or items. */
  leftInStore: (photo: Photo, likerId: number) => Promise<number>;
}

function deleteDiesHalfWay(name: string, open: () => Promise<Backend>): void {
  describe(`${name}: a photo delete that dies half-way`, () => {
    it('leaves the photo visible nowhere, and the sweep (past its grace period) removes every part of it', async () => {
      const { storage, dieHalfWay, leftInStore } = await open();
      const sweep = new SweepService(storage.photos, storage.comments, storage.blobs);
      const [owner, fan] = await createUsers(storage, 2);
      const word = uniqueWord();
      const photo = await storage.photos.create(newPhoto(owner!, { caption: `doomed ${word}`, topic: word }));
      for (const key of imageKeysOf(photo)) await storage.blobs.put(key, Buffer.from('jpeg'), 'image/jpeg');
      await storage.photos.like(photo.id, fan!.id);
      await storage.comments.add(newComment(photo, fan!, 'nice'));

      await dieHalfWay(photo);
      expect(await storage.photos.get(photo.id)).toBeNull();
      expect((await storage.photos.listByOwners([owner!.id], { limit: 10 })).items).toEqual([]);
      expect((await storage.photos.search([word], undefined, { limit: 10 })).items).toEqual([]);
      expect((await storage.photos.listAll({ limit: 100 })).items.map((p) => p.id)).not.toContain(photo.id);

      // A delete still in flight (younger than the grace period) is left to finish by itself.
      expect((await sweep.sweepImages(60 * 60_000)).finishedDeletes).toEqual([]);
      expect((await storage.photos.unfinishedDeletes(new Date(Date.now() + 1000))).map((p) => p.id)).toEqual([
        photo.id,
      ]);

      const report = await sweep.sweepImages(0);
      expect(report.finishedDeletes).toEqual([photo.id]);
      expect(await leftInStore(photo, fan!.id)).toBe(0);
      expect((await storage.comments.list(photo.id, { limit: 10 })).items).toEqual([]);
      const objects: string[] = [];
      for await (const blob of storage.blobs.list(`photos/${photo.id}/`)) objects.push(blob.key);
      expect(objects).toEqual([]);
      expect(await storage.photos.unfinishedDeletes(new Date(Date.now() + 1000))).toEqual([]);
      expect((await sweep.sweepImages(0)).finishedDeletes).toEqual([]);
    });

    it('PhotoStore.delete keeps its record until finishDelete, and run again on the gone photo returns it', async () => {
      const { storage } = await open();
      const [owner] = await createUsers(storage, 1);
      const photo = await storage.photos.create(newPhoto(owner!, { caption: `kept ${uniqueWord()}` }));
      const before = new Date(Date.now() - 1000);
      expect(await storage.photos.delete(photo.id)).toEqual(photo);
      expect(await storage.photos.get(photo.id)).toBeNull();
      expect(await storage.photos.delete(photo.id)).toEqual(photo);
      const later = new Date(Date.now() + 1000);
      expect((await storage.photos.unfinishedDeletes(later)).map((p) => p.id)).toContain(photo.id);
      expect((await storage.photos.unfinishedDeletes(before)).map((p) => p.id)).not.toContain(photo.id);
      await storage.photos.finishDelete(photo.id);
      await storage.photos.finishDelete(photo.id);
      expect((await storage.photos.unfinishedDeletes(later)).map((p) => p.id)).not.toContain(photo.id);
      expect(await storage.photos.delete(photo.id)).toBeNull();
    });
  });
}

const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

let embedded: Promise<Backend> | undefined;
deleteDiesHalfWay(
  'embedded',
  () =>
    (embedded ??= Promise.resolve().then(() => {
      const dir = mkdtempSync(join(tmpdir(), 'lumina-delete-'));
      const storage = createEmbeddedStorage({ dataDir: dir, timeoutMs: 3000 });
      const raw = new Database(join(dir, 'lumina.sqlite'), { readonly: true });
      cleanups.push(async () => {
        raw.close();
        await storage.close();
        rmSync(dir, { recursive: true, force: true });
      });
      const count = (sql: string, id: string) => raw.prepare<[string], number>(sql).pluck().get(id) ?? 0;
      return {
        storage,
        dieHalfWay: async (photo) => {
          // The store's part is done; the process dies before comments, activity and objects.
          expect(await storage.photos.delete(photo.id)).toEqual(expect.objectContaining({ id: photo.id }));
        },
        leftInStore: (photo) =>
          Promise.resolve(
            count('SELECT count(*) FROM photo_terms WHERE photo_id = ?', photo.id) +
              count('SELECT count(*) FROM likes WHERE photo_id = ?', photo.id),
          ),
      };
    })),
);

let aws: Promise<Backend> | undefined;
deleteDiesHalfWay(
  'aws',
  () =>
    (aws ??= (async () => {
      // Tables and a bucket of its own: a sweep with no grace period takes whatever it finds.
      const config = awsConfigOf(await freshAwsEnv());
      const faults = await startDynamoDbFaults(config.dynamodb.endpoint ?? '');
      const storage = await createAwsStorage(
        { ...config, dynamodb: { ...config.dynamodb, endpoint: faults.endpoint } },
        { timeoutMs: AWS_TEST_TIMEOUT_MS },
      );
      const raw = new DynamoClient(createDynamoDbClient(config, AWS_TEST_TIMEOUT_MS));
      cleanups.push(async () => {
        await storage.close();
        await faults.close();
      });
      const table = config.dynamodb.tables.photos;
      return {
        storage,
        dieHalfWay: async (photo) => {
          // The first transaction goes through; every batch of term deletes after it is refused.
          faults.fail('BatchWriteItem', 1000);
          try {
            await expect(storage.photos.delete(photo.id)).rejects.toBeInstanceOf(Unavailable);
          } finally {
            faults.fail('BatchWriteItem', 0);
          }
        },
        leftInStore: async (photo, likerId) => {
          const keys = [
            ...photoTerms(photo).map((term) => termKey(term, photo.id)),
            likeKey(photo.id, likerId),
            likedKey(likerId, photo.id),
          ];
          let left = 0;
          for (const key of keys)
            if (await raw.get({ TableName: table, Key: key, ConsistentRead: true })) left += 1;
          return left;
        },
      };
    })()),
);
