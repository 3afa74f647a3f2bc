import { Unauthenticated } from '../domain/errors';
import {
  conversationIdOf,
  type Comment,
  type Friend,
  type Message,
  type Page,
  type Photo,
  type PhotoView,
  type User,
  type Viewer,
} from '../domain/types';
import { withFreshDeadline } from '../lib/deadline';
import { eachItem } from '../lib/pages';
import type {
  BlobStore,
  CommentStore,
  FriendStore,
  LikedPhoto,
  MessageStore,
  PhotoStore,
  StoredBlob,
  UserStore,
} from '../ports';

/** Items read from a store per call while an export walks a list. */
export const EXPORT_PAGE_SIZE = 100;

/** Conversations an export covers: every one (the DynamoDB inbox itself holds at most 1,000). */
const MAX_CONVERSATIONS = 1000;

/** Sorts before every message id, so "after it" is a conversation from its first message. */
const BEFORE_FIRST_MESSAGE = '0'.repeat(26);

/** One of the person's photos with its stored full image, opened only when the export reaches it. */
export interface ExportImage {
  photo: Photo;
  /** The full image's bytes as a stream; null when the object is gone. */
  open: () => Promise<StoredBlob | null>;
}

/**
 * Everything of one person that their download holds. Each list is read from the stores page by
 * page as it is consumed (never whole in memory), newest first where the store orders by time;
 * a consumer that stops reading stops the reading.
 */
export interface AccountExport {
  user: User;
  photos(): AsyncGenerator<PhotoView>;
  images(): AsyncGenerator<ExportImage>;
  /** The comments the person wrote, on anyone's photos. */
  comments(): AsyncGenerator<Comment>;
  /** The photos the person likes. */
  likes(): AsyncGenerator<LikedPhoto>;
  friends(): AsyncGenerator<Friend>;
  /** Every message of each of the person's conversations, a conversation at a time, oldest first. */
  messages(): AsyncGenerator<Message>;
}

/** "Download my data": what a person's export holds, read from every store by their user id. */
export class ExportService {
  constructor(
    private readonly users: UserStore,
    private readonly photos: PhotoStore,
    private readonly comments: CommentStore,
    private readonly friends: FriendStore,
    private readonly messages: MessageStore,
    private readonly blobs: BlobStore,
  ) {}

  /**
   * The person's export. Reads the account itself now (so a store that is down fails here, before
   * anything is sent), and the lists only as they are consumed. An export outlasts the store
   * budget one request shares (lib/deadline.ts), so each read gets that budget afresh: a read
   * still fails when its store does not answer in time, however long the export has run.
   */
  async export(viewer: Viewer): Promise<AccountExport> {
    const user = await this.users.findById(viewer.id);
    if (!user) throw new Unauthenticated();
    const page = (before: string | undefined) => ({ limit: EXPORT_PAGE_SIZE, ...(before ? { before } : {}) });
    const { photos, comments, friends, messages, blobs } = this;
    const fresh = withFreshDeadline;
    // With the person's own likes of them, read beside each page (listByOwners with a viewer).
    const ownPhotos = () =>
      eachItem(async (before): Promise<Page<PhotoView>> => {
        const found = await fresh(() => photos.listByOwners([user.id], page(before), user.id));
        return {
          items: found.items.map((p) => ({ ...p, likedByMe: found.liked?.has(p.id) ?? false })),
          next: found.next,
        };
      });
    return {
      user,
      photos: ownPhotos,
      images: async function* () {
        for await (const photo of ownPhotos())
          yield { photo, open: () => fresh(() => blobs.open(photo.keys.full)) };
      },
      comments: () => eachItem((before) => fresh(() => comments.listByAuthor(user.id, page(before)))),
      likes: () => eachItem((before) => fresh(() => photos.likedPhotos(user.id, page(before)))),
      friends: async function* () {
        yield* await fresh(() => friends.listFriends(user.id));
      },
      messages: async function* () {
        for (const conversation of await fresh(() => messages.conversations(user.id, MAX_CONVERSATIONS))) {
          const between = conversationIdOf(user.id, conversation.userId);
          let after = BEFORE_FIRST_MESSAGE;
          for (;;) {
            const batch = await fresh(() => messages.after(between, after, EXPORT_PAGE_SIZE));
            yield* batch;
            const last = batch.at(-1);
            if (!last || batch.length < EXPORT_PAGE_SIZE) break;
            after = last.id;
          }
        }
      },
    };
  }
}
