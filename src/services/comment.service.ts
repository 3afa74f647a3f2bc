import { Forbidden, noSuch } from '../domain/errors';
import type { Comment, Page, PageRequest, Viewer } from '../domain/types';
import { newId, timeOfId } from '../lib/ulid';
import type { CommentStore, PhotoStore } from '../ports';

export const messages = {
  notAllowed: 'Only the author or the photo owner can delete this comment.',
};

export class CommentService {
  constructor(
    private readonly comments: CommentStore,
    private readonly photos: PhotoStore,
  ) {}

  /** One page of a photo's comments from the newest, oldest first within it (CommentStore.list). */
  async list(_viewer: Viewer, photoId: string, page: PageRequest): Promise<Page<Comment>> {
    const photo = await this.photos.get(photoId);
    if (!photo) throw noSuch('photo');
    return this.comments.list(photoId, page);
  }

  add(viewer: Viewer, photoId: string, text: string): Promise<Comment> {
    // The time is the id's own, so ordering by id is ordering by time.
    const id = newId();
    return this.comments.add({
      id,
      photoId,
      userId: viewer.id,
      username: viewer.username,
      text,
      createdAt: new Date(timeOfId(id)),
    });
  }

  async delete(viewer: Viewer, photoId: string, commentId: string): Promise<void> {
    const comment = await this.comments.get(photoId, commentId);
    if (!comment) throw noSuch('comment');
    if (comment.userId !== viewer.id) {
      const photo = await this.photos.get(photoId);
      if (photo?.userId !== viewer.id) throw new Forbidden(messages.notAllowed, 'not_allowed');
    }
    if (!(await this.comments.delete(photoId, commentId))) {
      throw noSuch('comment');
    }
  }
}
