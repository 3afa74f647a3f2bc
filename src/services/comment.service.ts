import { Forbidden, noSuch } from '../domain/errors';
import type { Comment, Page, PageRequest, UserId, Viewer } from '../domain/types';
import { newId, timeOfId } from '../lib/ulid';
import type { BlockStore, CommentStore, PhotoStore } from '../ports';

export const messages = {
  notAllowed: 'Only the author or the photo owner can delete this comment.',
};

export class CommentService {
  constructor(
    private readonly comments: CommentStore,
    private readonly photos: PhotoStore,
    private readonly blocks: BlockStore,
  ) {}

  /** The photo's owner, if the photo exists and neither blocks the other; "No such photo." otherwise. */
  private async visibleOwner(viewer: Viewer, photoId: string): Promise<UserId> {
    const photo = await this.photos.get(photoId);
    if (!photo) throw noSuch('photo');
    if (photo.userId !== viewer.id && (await this.blocks.between(viewer.id, photo.userId))) {
      throw noSuch('photo');
    }
    return photo.userId;
  }

  /** One page of a photo's comments from the newest, oldest first within it (CommentStore.list). */
  /** Comments of people the viewer blocks, or who block the viewer, are left out. */
  async list(viewer: Viewer, photoId: string, page: PageRequest): Promise<Page<Comment>> {
    const [, hidden] = await Promise.all([
      this.visibleOwner(viewer, photoId),
      this.blocks.hiddenFrom(viewer.id),
    ]);
    const result = await this.comments.list(photoId, page);
    return hidden.size === 0
      ? result
      : { ...result, items: result.items.filter((c) => !hidden.has(c.userId)) };
  }

  /** With a `requestKey`, a retry of a comment that was stored returns it and stores nothing new. */
  async add(viewer: Viewer, photoId: string, text: string, requestKey?: string): Promise<Comment> {
    await this.visibleOwner(viewer, photoId);
    // The time is the id's own, so ordering by id is ordering by time.
    const id = newId();
    return this.comments.add(
      {
        id,
        photoId,
        userId: viewer.id,
        username: viewer.username,
        text,
        createdAt: new Date(timeOfId(id)),
      },
      requestKey,
    );
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
