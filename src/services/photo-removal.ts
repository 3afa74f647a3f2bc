import { imageKeysOf, type Photo } from '../domain/types';
import type { BlobStore, CommentStore, PhotoStore } from '../ports';

/** The stores a photo's removal touches. */
export interface PhotoRemovalStores {
  photos: PhotoStore;
  comments: CommentStore;
  blobs: BlobStore;
}

/**
 * Removes a photo with everything it owns, in the one order every caller uses (the owner's
 * delete, a moderator's removal, an account deletion, the sweep): the metadata first, so the
 * photo leaves every read at once while the store keeps a record of the delete; then its
 * comments and image objects; then the record. Each step is idempotent, so a removal that died
 * half-way is finished by running this again for the same id (ports.ts PhotoStore.delete; the
 * sweep does it from unfinishedDeletes). Returns the photo as it was, or null if there was none.
 */
export async function removePhoto(stores: PhotoRemovalStores, id: string): Promise<Photo | null> {
  const deleted = await stores.photos.delete(id);
  if (!deleted) return null;
  await stores.comments.deleteAllForPhoto(id);
  await stores.blobs.delete(imageKeysOf(deleted));
  await stores.photos.finishDelete(id);
  return deleted;
}
