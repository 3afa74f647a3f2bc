/** Plain domain records shared by services and both storage backends. camelCase; the API's snake_case lives in http/serializers.ts. */

export type UserId = number;

export interface User {
  id: UserId;
  username: string;
  email: string;
  createdAt: Date;
  /** Up to 150 characters; '' when none. */
  bio: string;
  /** The ULID in the keys of the person's avatar images (avatarKeysOf), or null without one. */
  avatarId: string | null;
  /**
   * `suspended`: log-in refused and everything of theirs hidden until a moderator lifts it.
   * `deleting`: the person asked to delete the account; log-in refused, everything hidden, and
   * the deletion job (services/account-deletion.service.ts) removes the rest. Never goes back.
   */
  state: AccountState;
  isModerator: boolean;
}

export type AccountState = 'active' | 'suspended' | 'deleting';

export type AvatarSize = 'large' | 'small';

/** The folder of every avatar image a person ever had (BlobStore.list prefix). */
export const avatarFolderOf = (userId: UserId): string => `avatars/${userId}/`;

/** Where a person's avatar images live: server-made keys, a new id for every upload. */
export const avatarKeyOf = (userId: UserId, avatarId: string, size: AvatarSize, extension = 'jpg'): string =>
  `${avatarFolderOf(userId)}${avatarId}/${size}.${extension}`;

export interface UserCredentials extends User {
  passwordHash: string;
}

/** The signed-in person a service acts for. */
export interface Viewer {
  id: UserId;
  username: string;
}

export type FriendRequestStatus = 'pending' | 'accepted';

export interface FriendRequest {
  id: number;
  requesterId: UserId;
  requesterUsername: string;
  receiverId: UserId;
  receiverUsername: string;
  status: FriendRequestStatus;
  createdAt: Date;
  respondedAt: Date | null;
}

export interface Friend {
  id: UserId;
  username: string;
  /** When the request was accepted. */
  since: Date;
}

/** Storage keys of one photo's images. Made by the server, never from a file name. */
export interface ImageKeys {
  full: string;
  /** Null for photos stored before the medium size existed, until `npm run images:backfill`. */
  medium: string | null;
  thumb: string;
}

export interface Photo {
  /** ULID: sorting by id is sorting by creation time. */
  id: string;
  userId: UserId;
  username: string;
  topic: string | null;
  caption: string;
  /** What the image shows, for screen readers; null when the owner gave none. */
  alt: string | null;
  createdAt: Date;
  /** When the owner last changed caption, topic or alt text; null if never. */
  editedAt: Date | null;
  likes: number;
  commentCount: number;
  width: number;
  height: number;
  keys: ImageKeys;
  /** MIME type of both stored images (image/jpeg or image/webp). */
  contentType: string;
}

export type NewPhoto = Omit<Photo, 'likes' | 'commentCount' | 'editedAt'>;

/** What the owner may change after posting: the whole new text of each field. */
export interface PhotoEdit {
  caption: string;
  topic: string | null;
  alt: string | null;
}

/** Every stored image of a photo, whatever sizes it has. */
export const imageKeysOf = (photo: Pick<Photo, 'keys'>): string[] =>
  (Object.keys(photo.keys) as (keyof ImageKeys)[])
    .map((size) => photo.keys[size])
    .filter((key): key is string => typeof key === 'string');

/** A photo as one viewer sees it. */
export interface PhotoView extends Photo {
  likedByMe: boolean;
}

export interface Comment {
  /** ULID, time-ordered. */
  id: string;
  photoId: string;
  userId: UserId;
  username: string;
  text: string;
  createdAt: Date;
}

export interface Message {
  /**
   * ULID-shaped and given by the store: its time part is `createdAt` and its random part starts
   * with the message's place in its conversation (lib/ulid.ts sequencedId), so within a
   * conversation ordering by id is the order in which messages became visible.
   */
  id: string;
  /** The two people of the conversation, see conversationIdOf(). */
  conversationId: ConversationId;
  fromUserId: UserId;
  fromUsername: string;
  toUserId: UserId;
  /** Copied onto the message (like fromUsername) so inbox entries can name both people without a join. */
  toUsername: string;
  text: string;
  createdAt: Date;
}

/** A message as MessageService hands it to MessageStore.send, which gives it its id and time. */
export interface NewMessage extends Omit<Message, 'id' | 'createdAt'> {
  /** The sender's idempotency key for this send: a retry with the same key is stored once. */
  requestKey?: string;
}

export interface Conversation {
  /** The other person. */
  userId: UserId;
  username: string;
  lastMessage: { id: string; text: string; fromUserId: UserId; createdAt: Date };
  unread: number;
}

/**
 * One page of a newest-first (or oldest-first) list. `next` is null exactly when nothing is left.
 * A page may hold fewer than the limit while `next` is set (a bounded read stopped early), and
 * `next` is an opaque cursor in id format that need not be the id of any item.
 */
export interface Page<T> {
  items: T[];
  next: string | null;
}

/** Which feed to list and how to narrow it. */
export interface FeedInput {
  scope: 'home' | 'profile' | 'all';
  /** For scope=profile: whose photos; the viewer's own when absent. */
  userId?: UserId;
  topic?: string;
  q?: string;
  limit: number;
  before?: string;
}

export interface PageRequest {
  limit: number;
  /** Exclusive cursor: only items strictly older than this id. */
  before?: string;
}

/**
 * Who a conversation is between, the smaller user id first, so both directions name the same one.
 * Each layer writes it its own way: the API's `conversation_id` (http/serializers.ts), the
 * DynamoDB partition (storage/aws/keys.ts), the SQLite column (storage/embedded/message-store.ts).
 */
export interface ConversationId {
  low: UserId;
  high: UserId;
}

export const conversationIdOf = (a: UserId, b: UserId): ConversationId => ({
  low: Math.min(a, b),
  high: Math.max(a, b),
});

/** Someone the viewer blocks. */
export interface Block {
  userId: UserId;
  username: string;
  createdAt: Date;
}

/**
 * What happened that a person is told about. `reply` is a comment after yours on a photo you
 * commented on (the API calls it `comment` too).
 */
export type ActivityKind = 'like' | 'comment' | 'reply' | 'mention' | 'friend_request' | 'friend_accept';

/** One stored activity event: one small record per recipient of one act. */
export interface ActivityEvent {
  /** ULID: sorting by id is sorting by time. */
  id: string;
  recipientId: UserId;
  kind: ActivityKind;
  actorId: UserId;
  actorUsername: string;
  photoId: string | null;
  /** The comment behind a comment, reply or mention in a comment; the request behind a friend event. */
  subjectId: string | null;
  /** A short excerpt of the comment or caption, or null. */
  text: string | null;
  createdAt: Date;
}

/**
 * What a caption edit changes in the mention events of a photo: events for the people the new
 * caption newly mentions, and the people no longer mentioned, whose mention event goes.
 */
export interface MentionChange {
  add: ActivityEvent[];
  remove: UserId[];
}

/** Makes the event an act on a friend request causes, from the request row its write made. */
export type RequestEventOf = (request: FriendRequest) => ActivityEvent;

export type ReportTargetType = 'photo' | 'comment' | 'user';
export type ReportReason = 'spam' | 'harassment' | 'nudity' | 'violence' | 'other';
export const REPORT_REASONS: readonly ReportReason[] = ['spam', 'harassment', 'nudity', 'violence', 'other'];

/** What a report names: a photo, a comment (with its photo) or a person. */
export interface ReportTarget {
  type: ReportTargetType;
  /** Photo or comment ULID, or the user id as text. */
  id: string;
  /** For a comment: its photo. */
  parentId: string | null;
}

export interface NewReport {
  reporterId: UserId;
  target: ReportTarget;
  reason: ReportReason;
  text: string;
}

/** The open (or closed) reports on one item, grouped. */
export interface ReportGroup {
  target: ReportTarget;
  reasons: Partial<Record<ReportReason, number>>;
  reports: number;
  texts: string[];
  firstAt: Date;
  lastAt: Date;
}

/**
 * What a moderator sees of a reported item beside its reports: whose it is and what it says.
 * `username` and `authorId` are null when the item (or its author) is gone.
 */
export interface ReportSubject {
  authorId: UserId | null;
  username: string | null;
  isSuspended: boolean;
  /** The photo's caption, or the comment's text. */
  text: string | null;
}

export interface ReportGroupView extends ReportGroup {
  subject: ReportSubject;
}

export type ModerationActionKind = 'remove' | 'suspend' | 'unsuspend' | 'dismiss';

export interface ModerationAction {
  id: number;
  moderatorId: UserId;
  moderator: string;
  target: ReportTarget;
  action: ModerationActionKind;
  createdAt: Date;
}
