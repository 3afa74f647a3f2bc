import { Forbidden, noSuch } from '../domain/errors';
import type { Comment, Page, PageRequest, Photo, UserId, Viewer } from '../domain/types';
import { newId, timeOfId } from '../lib/ulid';
import type { BlockStore, CommentStore, PhotoStore } from '../ports';
import type { ActivityService } from './activity.service';

export const messages = {
  notAllowed: 'Only the author or the photo owner can delete this comment.',
};

/** The comments read to find who commented before (and hears about a new one). */
const EARLIER_COMMENTS = 100;

export class CommentService {
  constructor(
    private readonly comments: CommentStore,
    private readonly photos: PhotoStore,
    private readonly blocks: BlockStore,
    private readonly activity: ActivityService,
  ) {}

  /** The photo, if it exists and neither its owner nor the viewer blocks the other; "No such photo." otherwise. */
  private async visiblePhoto(viewer: Viewer, photoId: string): Promise<Photo> {
    const photo = await this.photos.get(photoId);
    if (!photo) throw noSuch('photo');
    if (photo.userId !== viewer.id && (await this.blocks.between(viewer.id, photo.userId))) {
      throw noSuch('photo');
    }
    return photo;
  }

  /**
   * One page of a photo's comments from the newest, oldest first within it (CommentStore.list).
   * Comments of people the viewer blocks, or who block the viewer, are left out. The comments are
   * read beside the photo check, and nothing is returned unless the check passes. `read` is what
   * the caller reads for this viewer in the same request: the photo (PhotoService.get, which
   * refuses in the same cases), whose answer stands for the check, and BlockStore.hiddenFrom of
   * the viewer, which filters the comments; so neither is read twice.
   */
  async list(
    viewer: Viewer,
    photoId: string,
    page: PageRequest,
    read?: { photo: Promise<Photo>; hidden: Promise<Set<UserId>> },
  ): Promise<Page<Comment>> {
    const [, hidden, result] = await Promise.all([
      read?.photo ?? this.visiblePhoto(viewer, photoId),
      read?.hidden ?? this.blocks.hiddenFrom(viewer.id),
      this.comments.list(photoId, page),
    ]);
    return hidden.size === 0
      ? result
      : { ...result, items: result.items.filter((c) => !hidden.has(c.userId)) };
  }

  /**
   * Adds the comment; the owner, the people it mentions and earlier commenters hear of it. With
   * a `requestKey`, a retry of a comment that was stored returns it and stores nothing new.
   */
  async add(viewer: Viewer, photoId: string, text: string, requestKey?: string): Promise<Comment> {
    const [photo, earlier] = await Promise.all([
      this.visiblePhoto(viewer, photoId),
      this.comments.list(photoId, { limit: EARLIER_COMMENTS }),
    ]);
    // The time is the id's own, so ordering by id is ordering by time.
    const id = newId();
    const comment: Comment = {
      id,
      photoId,
      userId: viewer.id,
      username: viewer.username,
      text,
      createdAt: new Date(timeOfId(id)),
    };
    // The events go into the comment's own write; a retry answered with the comment stored
    // before writes neither (its events were written then).
    const events = await this.activity.commentEvents(viewer, photo, comment, earlier.items);
    return this.comments.add(comment, requestKey, events);
  }

  async delete(viewer: Viewer, photoId: string, commentId: string): Promise<void> {
    const comment = await this.comments.get(photoId, commentId);
    if (!comment) throw noSuch('comment');
    if (comment.userId !== viewer.id) {
      const photo = await this.photos.get(photoId);
      if (photo?.userId !== viewer.id) throw new Forbidden(messages.notAllowed, 'not_allowed');
    }
    // Its events go with it, in the same write.
    if (!(await this.comments.delete(photoId, commentId))) {
      throw noSuch('comment');
    }
  }
}
