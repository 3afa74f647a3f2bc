import { imageKeysOf, type Photo } from '../domain/types';
import type { BlobStore, CommentStore, PhotoStore } from '../ports';
import { eachItem } from '../lib/pages';
import { removePhoto } from './photo-removal';

/** Image objects of photos live under `photos/<photoId>/`. */
export const PHOTO_OBJECTS_PREFIX = 'photos/';

export interface SweepReport {
  /** Image objects looked at. */
  scanned: number;
  /** Objects removed: no photo owns them and they are older than the grace period. */
  removed: string[];
  /** Photos listed without one of their images: should never happen; reported, never acted on. */
  photosWithoutImages: string[];
  /** Photos whose delete had died half-way (begun before the grace period), now finished. */
  finishedDeletes: string[];
}

/** The objects of one photo, as the listing finds them. */
interface Folder {
  photoId: string;
  keys: string[];
  /** Every object of the folder is older than the grace period. */
  isOld: boolean;
}

/** How many photo lookups run at once. */
const CONCURRENCY = 8;

/**
 * Finishes or undoes what a write that died half-way left behind.
 *
 * Images are stored before the photo's metadata, and deleted after it, so a process killed (or a
 * store timing out) in between leaves image objects that no photo owns. Such an object is removed
 * once it is older than `graceMs`, which must be longer than any upload can stay in flight (the
 * image processing plus every store call with its timeout), so an object whose photo is still
 * being written is never taken. A photo delete that died half-way left its record in the photo
 * store (ports.ts PhotoStore.delete): once older than `graceMs` it is run again to the end. The
 * comments of a photo whose objects no photo owns go with them.
 *
 * Cost: one read of the unfinished deletes, one listing of every image object and one photo
 * read per photo folder, so it runs rarely (SWEEP_INTERVAL_MINUTES), in one worker only.
 */
export class SweepService {
  constructor(
    private readonly photos: PhotoStore,
    private readonly comments: CommentStore,
    private readonly blobs: BlobStore,
    private readonly now: () => number = Date.now,
  ) {}

  async sweepImages(graceMs: number): Promise<SweepReport> {
    const startedAt = this.now();
    const cutoff = startedAt - graceMs;
    const report: SweepReport = { scanned: 0, removed: [], photosWithoutImages: [], finishedDeletes: [] };

    // Removals that died half-way (their photo is gone; its record is not): every step again,
    // the record last. Younger ones may still be running.
    for (const photo of await this.photos.unfinishedDeletes(new Date(cutoff))) {
      await removePhoto({ photos: this.photos, comments: this.comments, blobs: this.blobs }, photo.id);
      report.finishedDeletes.push(photo.id);
    }
    const listed = new Set<string>();

    // Objects come in key order, so each photo's objects arrive together.
    let folder = null as Folder | null;
    const pending: Promise<void>[] = [];
    const settle = async (done: Folder) => {
      if (!done.isOld) return;
      if (await this.photos.get(done.photoId)) return;
      await this.comments.deleteAllForPhoto(done.photoId);
      await this.blobs.delete(done.keys);
      report.removed.push(...done.keys);
    };
    const flush = async (done: Folder | null) => {
      if (!done) return;
      pending.push(settle(done));
      if (pending.length >= CONCURRENCY) await Promise.all(pending.splice(0));
    };
    for await (const blob of this.blobs.list(PHOTO_OBJECTS_PREFIX)) {
      report.scanned += 1;
      listed.add(blob.key);
      const photoId = blob.key.slice(PHOTO_OBJECTS_PREFIX.length).split('/')[0] ?? '';
      // An object is old when every object of its folder is: a folder still being filled is young.
      const isOld = blob.modifiedAt.getTime() < cutoff;
      if (folder?.photoId === photoId) {
        folder.keys.push(blob.key);
        folder.isOld &&= isOld;
        continue;
      }
      await flush(folder);
      folder = { photoId, keys: [blob.key], isOld };
    }
    await flush(folder);
    await Promise.all(pending);

    // Every photo that existed before the listing began has both images in it.
    for await (const photo of this.everyPhoto()) {
      if (photo.createdAt.getTime() >= startedAt) continue;
      if (!imageKeysOf(photo).every((key) => listed.has(key))) {
        report.photosWithoutImages.push(photo.id);
      }
    }
    report.removed.sort();
    return report;
  }

  private everyPhoto(): AsyncGenerator<Photo> {
    return eachItem((before) => this.photos.listAll({ limit: 100, ...(before ? { before } : {}) }));
  }
}
