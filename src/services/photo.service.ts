import { Forbidden, InvalidInput, NotFound, noSuch } from '../domain/errors';
import { queryTerms, topicTerm } from '../domain/search';
import { ACTIVITY_BADGE_CAP, THUMB_SIZE } from '../domain/limits';
import {
  type Comment,
  type FeedInput,
  type Page,
  type PageRequest,
  type Photo,
  type PhotoEdit,
  type PhotoView,
  type User,
  type UserId,
  type Viewer,
} from '../domain/types';
import { withFreshDeadline } from '../lib/deadline';
import { newId, timeOfId } from '../lib/ulid';
import type { ActivityService } from './activity.service';
import type {
  BlobStore,
  BlockStore,
  CommentStore,
  FriendStore,
  ImageProcessor,
  OwnersPage,
  PhotoStore,
  StoredBlob,
  UnreadCounts,
  UserStore,
} from '../ports';
import { removePhoto } from './photo-removal';

export const messages = {
  noSuchPhoto: 'No such photo.',
  notOwner: 'Only the owner can delete this photo.',
  notOwnerEdit: 'Only the owner can edit this photo.',
  emptyQuery: 'Search needs a word of at least two letters or digits.',
  noFile: 'Choose a photo to upload.',
};

export interface UploadInput {
  bytes: Buffer;
  caption: string;
  topic: string | null;
  /** What the image shows; none when absent. */
  alt?: string | null;
  format: 'jpeg' | 'webp';
  /** The client's idempotency key: a retry of an upload that was stored returns that photo. */
  requestKey?: string;
}

/** The fields an edit changes; absent ones keep their value. */
export type EditInput = Partial<PhotoEdit>;

/** A photo in the Home feed, with its newest comments. */
export interface Post extends PhotoView {
  latestComments: Comment[];
}

/** Comments shown under each post of the Home feed. */
const POST_COMMENTS = 2;
/** More comments read per post while the viewer has people hidden, to show in their place. */
const HIDDEN_COMMENTS_SLACK = 4;

export type ImageSize = 'thumb' | 'medium' | 'full';

const extensionOf = (contentType: string): string => (contentType === 'image/webp' ? 'webp' : 'jpg');

export class PhotoService {
  constructor(
    private readonly photos: PhotoStore,
    private readonly comments: CommentStore,
    private readonly blobs: BlobStore,
    private readonly images: ImageProcessor,
    private readonly friends: FriendStore,
    private readonly users: UserStore,
    private readonly blocks: BlockStore,
    private readonly activity: ActivityService,
  ) {}

  /**
   * The photo, if it exists and neither the viewer nor its owner blocks the other: otherwise
   * "No such photo.", the same answer as for a photo that never was.
   */
  private async visible(viewer: Viewer, id: string): Promise<Photo> {
    return this.shown(viewer, await this.photos.get(id));
  }

  /** visible(), with whether the viewer likes the photo, from one read of the store. */
  private async visibleWithLike(
    viewer: Viewer,
    id: string,
    hidden?: Promise<Set<UserId>>,
  ): Promise<PhotoView> {
    const found = await this.photos.getWithLike(id, viewer.id);
    return { ...(await this.shown(viewer, found?.photo ?? null, hidden)), likedByMe: found?.liked ?? false };
  }

  /**
   * The photo as read, unless it is missing or a block stands between the viewer and its owner:
   * BlockStore.between, or from `hidden` (BlockStore.hiddenFrom of the viewer, read for this
   * request), which holds the owner exactly when between would say so, or the viewer when the
   * viewer's own account is suspended or being deleted.
   */
  private async shown(viewer: Viewer, photo: Photo | null, hidden?: Promise<Set<UserId>>): Promise<Photo> {
    if (!photo) throw noSuch('photo');
    if (photo.userId === viewer.id) return photo;
    const isBlocked = hidden
      ? await hidden.then((set) => set.has(photo.userId) || set.has(viewer.id))
      : await this.blocks.between(viewer.id, photo.userId);
    if (isBlocked) throw noSuch('photo');
    return photo;
  }

  /**
   * Processes the image, stores the three files in parallel, then the metadata. The photo is
   * listed only once its metadata is written, which is after its images, so no photo is ever
   * listed without them. A failed metadata write undoes nothing (it may have landed after all:
   * a timeout is an unknown outcome); images no photo owns are the sweep's. With a request key,
   * an upload that was already stored returns that photo and stores nothing new.
   */
  async upload(viewer: Viewer, input: UploadInput): Promise<PhotoView> {
    if (input.bytes.length === 0) throw new InvalidInput(messages.noFile, 'missing_file');
    if (input.requestKey) {
      const earlier = await this.photos.byRequestKey(viewer.id, input.requestKey);
      if (earlier) return this.viewOf(viewer, earlier);
    }
    const { full, medium, thumb } = await this.images.process(input.bytes, input.format);
    // The photo's time is the one inside its id, so the feeds' id order is the order of time.
    const id = newId();
    const ext = extensionOf(full.contentType);
    const keys = {
      full: `photos/${id}/full.${ext}`,
      medium: `photos/${id}/medium.${ext}`,
      thumb: `photos/${id}/thumb.${ext}`,
    };
    // The waits after the decoding get the request's whole store budget (lib/deadline.ts).
    return withFreshDeadline(async () => {
      await Promise.all([
        this.blobs.put(keys.full, full.bytes, full.contentType),
        this.blobs.put(keys.medium, medium.bytes, medium.contentType),
        this.blobs.put(keys.thumb, thumb.bytes, thumb.contentType),
      ]);
      // The caption's mentions are written with the photo. Nothing is deleted when this fails: a
      // write that timed out may have landed, and a photo must never lose its images. Images of
      // a photo that was never written are the sweep's.
      const mentions = await this.activity.postEvents(viewer, { id, caption: input.caption });
      const photo = await this.photos.create(
        {
          id,
          userId: viewer.id,
          username: viewer.username,
          topic: input.topic,
          caption: input.caption,
          alt: input.alt ?? null,
          createdAt: new Date(timeOfId(id)),
          width: full.width,
          height: full.height,
          keys,
          contentType: full.contentType,
        },
        input.requestKey,
        mentions,
      );
      // A retry answered with the photo stored before (whose mentions were told then).
      if (photo.id !== id) return this.viewOf(viewer, photo);
      return { ...photo, likedByMe: false };
    });
  }

  /**
   * The photo with the viewer's like: one photo-store read (PhotoStore.getWithLike). A caller
   * that reads BlockStore.hiddenFrom of the viewer for the same request anyway (the photo page,
   * for its comments) passes it as `hidden`, and the block check reads nothing more.
   */
  get(viewer: Viewer, id: string, hidden?: Promise<Set<UserId>>): Promise<PhotoView> {
    return this.visibleWithLike(viewer, id, hidden);
  }

  /**
   * get(), with the viewer's unread message and activity counts (the photo page's navigation)
   * read in the same store call as the photo (PhotoStore.getWithLikeAndUnread); `hidden` as for get.
   */
  async getWithUnread(
    viewer: Viewer,
    id: string,
    hidden?: Promise<Set<UserId>>,
  ): Promise<{ photo: PhotoView; unread: UnreadCounts }> {
    const { found, unread } = await this.photos.getWithLikeAndUnread(id, viewer.id, ACTIVITY_BADGE_CAP);
    const photo = await this.shown(viewer, found?.photo ?? null, hidden);
    return { photo: { ...photo, likedByMe: found?.liked ?? false }, unread };
  }

  /** One page of a feed, newest first; topic and q narrow it through the search index. */
  async list(viewer: Viewer, input: FeedInput): Promise<Page<PhotoView>> {
    return (await this.feedPage(viewer, input)).page;
  }

  /**
   * A feed page as posts: each photo with its newest comments (at most `comments`, oldest
   * first), without those of people hidden from the viewer (the feed's own block list). The
   * comments of all posts are read at once, beside the viewer's likes of the page.
   */
  async listPosts(viewer: Viewer, input: FeedInput, comments = POST_COMMENTS): Promise<Page<Post>> {
    const { page, beside: latest } = await this.feedPage(viewer, input, (photos, hidden) => {
      // With people hidden, a few more are read, so hiding some still leaves the newest shown.
      const limit = hidden.size > 0 ? comments + HIDDEN_COMMENTS_SLACK : comments;
      return Promise.all(
        photos.map(async (p) => {
          if (p.commentCount === 0) return [];
          const { items } = await this.comments.list(p.id, { limit });
          return items.filter((c) => !hidden.has(c.userId)).slice(-comments);
        }),
      );
    });
    return {
      items: page.items.map((p, i) => ({ ...p, latestComments: latest?.[i] ?? [] })),
      next: page.next,
    };
  }

  /**
   * list(). With `beside`, that read of the page's photos (given the block list read for the
   * page) runs at the same time as the read of the viewer's likes, which is then left out of
   * the store's page read (PhotoStore.listByOwners) rather than making the other wait for it.
   */
  private async feedPage<T>(
    viewer: Viewer,
    input: FeedInput,
    beside?: (photos: Photo[], hidden: Set<UserId>) => Promise<T>,
  ): Promise<{ page: Page<PhotoView>; beside: T | undefined }> {
    const page = { limit: input.limit, ...(input.before ? { before: input.before } : {}) };
    const words = input.q ? queryTerms(input.q) : [];
    if (input.q && words.length === 0) throw new InvalidInput(messages.emptyQuery);
    const terms = [...(input.topic ? [topicTerm(input.topic)] : []), ...words];
    // The block list is read once per page, whatever its length; hidden owners are dropped from
    // the owners asked for, or from the page read (which may then hold fewer than the limit).
    const [hidden, wanted] = await Promise.all([
      this.blocks.hiddenFrom(viewer.id),
      this.ownersOf(viewer, input),
    ]);
    if (input.scope === 'profile' && input.userId !== undefined && hidden.has(input.userId))
      throw noSuch('user');
    const owners = wanted?.filter((id) => !hidden.has(id));

    let result: OwnersPage;
    if (terms.length > 0) result = await this.photos.search(terms, owners, page);
    // Without other reads to wait for, the viewer's likes come with the page, read beside its photos.
    else if (owners) result = await this.photos.listByOwners(owners, page, beside ? undefined : viewer.id);
    else result = await this.photos.listAll(page);
    if (hidden.size > 0) result = { ...result, items: result.items.filter((p) => !hidden.has(p.userId)) };

    const [liked, extra] = await Promise.all([
      result.liked ??
        this.photos.likedBy(
          viewer.id,
          result.items.map((p) => p.id),
        ),
      beside?.(result.items, hidden),
    ]);
    const items = result.items.map((p) => ({ ...p, likedByMe: liked.has(p.id) }));
    return { page: { items, next: result.next }, beside: extra };
  }

  /**
   * Deletes metadata first (the photo disappears at once, and the store keeps a record of the
   * delete), then comments and the image files, then the record: a delete that dies
   * half-way is finished by the sweep (ports.ts PhotoStore.delete).
   */
  async delete(viewer: Viewer, id: string): Promise<void> {
    const photo = await this.photos.get(id);
    if (!photo) throw noSuch('photo');
    if (photo.userId !== viewer.id) throw new Forbidden(messages.notOwner, 'not_owner');
    if (!(await removePhoto({ photos: this.photos, comments: this.comments, blobs: this.blobs }, id)))
      throw noSuch('photo');
  }

  /**
   * The owner changes caption, topic or alt text; search terms follow in the same write, and so
   * do the mention events: the newly mentioned hear of it, the no longer mentioned lose theirs.
   */
  async edit(viewer: Viewer, id: string, input: EditInput): Promise<PhotoView> {
    const photo = await this.photos.get(id);
    if (!photo) throw noSuch('photo');
    if (photo.userId !== viewer.id) throw new Forbidden(messages.notOwnerEdit, 'not_owner');
    const edit: PhotoEdit = {
      caption: input.caption ?? photo.caption,
      topic: input.topic !== undefined ? input.topic : photo.topic,
      alt: input.alt !== undefined ? input.alt : photo.alt,
    };
    const mentions = await this.activity.editMentions(viewer, photo, edit.caption);
    const updated = await this.photos.update(id, edit, new Date(), mentions);
    if (!updated) throw noSuch('photo');
    const liked = await this.photos.likedBy(viewer.id, [id]);
    return { ...updated, likedByMe: liked.has(id) };
  }

  /**
   * Makes the medium image and the current thumbnail of a photo stored before they existed,
   * from its full image (`npm run images:backfill`). Returns false when there was nothing to
   * do (already done, or the photo or its full image is gone). Safe to run again at any point.
   */
  async backfillImages(photo: Photo): Promise<boolean> {
    if (photo.keys.medium !== null) return false;
    const blob = await this.blobs.open(photo.keys.full);
    if (!blob) return false;
    const bytes = await readAll(blob.body);
    const format = photo.contentType === 'image/webp' ? 'webp' : 'jpeg';
    const { medium, thumb } = await this.images.process(bytes, format);
    const ext = extensionOf(photo.contentType);
    // A new thumbnail key, so browsers that cached the small old one fetch the sharp one.
    const keys = {
      full: photo.keys.full,
      medium: `photos/${photo.id}/medium.${ext}`,
      thumb: `photos/${photo.id}/thumb-${THUMB_SIZE}.${ext}`,
    };
    await Promise.all([
      this.blobs.put(keys.medium, medium.bytes, medium.contentType),
      this.blobs.put(keys.thumb, thumb.bytes, thumb.contentType),
    ]);
    if (!(await this.photos.setImageKeys(photo.id, keys))) {
      await this.blobs.delete([keys.medium, keys.thumb]);
      return false;
    }
    if (photo.keys.thumb !== keys.thumb) await this.blobs.delete([photo.keys.thumb]);
    return true;
  }

  /** Likes once; the owner hears about a new like (not a repeated one), in the like's own write. */
  async like(viewer: Viewer, id: string): Promise<{ likes: number; liked: boolean }> {
    const photo = await this.visibleWithLike(viewer, id);
    const result = await this.photos.like(id, viewer.id, this.activity.likeEvent(viewer, photo));
    if (!result) throw noSuch('photo');
    return { likes: result.likes, liked: result.liked };
  }

  /** Takes the like back, and the owner's event about it, in one write. */
  async unlike(viewer: Viewer, id: string): Promise<{ likes: number; liked: boolean }> {
    await this.visible(viewer, id);
    const result = await this.photos.unlike(id, viewer.id);
    if (!result) throw noSuch('photo');
    return { likes: result.likes, liked: result.liked };
  }

  /**
   * Who liked the photo, newest first; NotFound when the viewer may not see the photo (a block).
   * People whose account is gone, and people either side blocks (or suspended), are left out
   * (the page may then hold fewer than `limit` while `next` is set).
   */
  async likers(viewer: Viewer, id: string, page: PageRequest): Promise<Page<User>> {
    const [, found, hidden] = await Promise.all([
      this.visible(viewer, id),
      this.photos.likers(id, page),
      this.blocks.hiddenFrom(viewer.id),
    ]);
    const shown = found.items.filter((l) => !hidden.has(l.userId));
    // One read for the page's people, then in the likes' order.
    const byId = new Map((await this.users.findByIds(shown.map((l) => l.userId))).map((u) => [u.id, u]));
    return { items: shown.flatMap((l) => byId.get(l.userId) ?? []), next: found.next };
  }

  /** The photo shown large, with the owner's next older photo to step to. */
  async viewer(viewer: Viewer, id: string): Promise<{ photo: PhotoView; olderId: string | null }> {
    const photo = await this.get(viewer, id);
    const older = await this.photos.listByOwners([photo.userId], { limit: 1, before: id });
    return { photo, olderId: older.items[0]?.id ?? null };
  }

  /** The bytes of one of the photo's images, for any signed-in member. */
  async openImage(viewer: Viewer, id: string, size: ImageSize): Promise<StoredBlob> {
    const photo = await this.visible(viewer, id);
    // Before the backfill has reached a photo, its medium size is the full image.
    const key =
      size === 'thumb'
        ? photo.keys.thumb
        : size === 'medium'
          ? (photo.keys.medium ?? photo.keys.full)
          : photo.keys.full;
    const blob = await this.blobs.open(key);
    if (!blob) throw new NotFound(messages.noSuchPhoto, 'image_not_found');
    return blob;
  }

  /** A photo as `viewer` sees it (whether they like it). */
  private async viewOf(viewer: Viewer, photo: Photo): Promise<PhotoView> {
    return { ...photo, likedByMe: (await this.photos.likedBy(viewer.id, [photo.id])).has(photo.id) };
  }

  /** Whose photos a scope shows: undefined means everyone's. */
  private async ownersOf(viewer: Viewer, input: FeedInput): Promise<UserId[] | undefined> {
    switch (input.scope) {
      case 'all':
        return undefined;
      case 'home':
        return [viewer.id, ...(await this.friends.friendIds(viewer.id))];
      case 'profile': {
        if (input.userId === undefined || input.userId === viewer.id) return [viewer.id];
        const user = await this.users.findById(input.userId);
        if (!user) throw noSuch('user');
        return [user.id];
      }
    }
  }
}

async function readAll(body: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}
