import { Forbidden, noSuch } from '../domain/errors';
import type { Comment, Viewer } from '../domain/types';
import { newId } from '../lib/ulid';
import type { CommentStore, PhotoStore } from '../ports';

export const messages = {
  notAllowed: 'Only the author or the photo owner can delete this comment.',
};

/** Comments shown on a photo page: every one, oldest first, read in pages of this size. */
const LIST_PAGE = 500;

export class CommentService {
  constructor(
    private readonly comments: CommentStore,
    private readonly photos: PhotoStore,
  ) {}

  async list(_viewer: Viewer, photoId: string): Promise<Comment[]> {
    const photo = await this.photos.get(photoId);
    if (!photo) throw noSuch('photo');
    const all: Comment[] = [];
    let after: string | undefined;
    do {
      const page = await this.comments.list(photoId, { limit: LIST_PAGE, ...(after ? { after } : {}) });
      all.push(...page.items);
      after = page.next ?? undefined;
    } while (after);
    return all;
  }

  add(viewer: Viewer, photoId: string, text: string): Promise<Comment> {
    return this.comments.add({
      id: newId(),
      photoId,
      userId: viewer.id,
      username: viewer.username,
      text,
      createdAt: new Date(),
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
