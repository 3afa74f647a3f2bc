import type { Readable } from 'node:stream';
import type {
  AccountState,
  Block,
  ActivityEvent,
  ModerationAction,
  NewReport,
  ReportGroup,
  ReportTarget,
  Comment,
  Conversation,
  ConversationId,
  Friend,
  FriendRequest,
  ImageKeys,
  MentionChange,
  Message,
  NewMessage,
  NewPhoto,
  Page,
  PageRequest,
  Photo,
  PhotoEdit,
  RequestEventOf,
  User,
  UserCredentials,
  UserId,
} from './domain/types';

/**
 * Every interface a service depends on. Two backends implement the stores (storage/embedded and
 * storage/aws) and one contract suite (test/contract) holds both to the same behaviour.
 *
 * Shared rules for every store:
 * - A store that cannot be reached, or does not answer within the configured timeout, throws
 *   `Unavailable(<store name>)`. A unique-key clash throws `Conflict`. Nothing else of a driver leaks.
 * - "Missing" returns null (or false) rather than throwing, unless a method says otherwise.
 * - Ids handed to a store have already been validated against their pattern.
 */

export interface Pingable {
  /** Resolves when the backing service answers; throws Unavailable naming it otherwise. */
  ping(): Promise<void>;
}

export interface UserStore extends Pingable {
  /**
   * Inserts a user. Usernames are unique without regard to case: a clash throws
   * Conflict('username_taken'), also when two inserts race.
   */
  create(input: { username: string; email: string; passwordHash: string }): Promise<User>;
  /** Case-insensitive lookup, with the password hash. */
  findCredentials(username: string): Promise<UserCredentials | null>;
  /** Case-insensitive lookup. */
  findByUsername(username: string): Promise<User | null>;
  findById(id: UserId): Promise<User | null>;
  /** Users whose name starts with `prefix` (case-insensitive), ordered by lower-cased name, at most `limit`. */
  searchByPrefix(prefix: string, limit: number): Promise<User[]>;
  /** Replaces the password hash; false when there is no such user. */
  setPasswordHash(id: UserId, passwordHash: string): Promise<boolean>;
  /** The users among `ids` that exist, in no particular order; at most 100 ids per call. */
  findByIds(ids: UserId[]): Promise<User[]>;
  /**
   * The users whose names are among `usernames` (case-insensitive, as findByUsername), in no
   * particular order, in one read; at most 100 names per call.
   */
  findByUsernames(usernames: string[]): Promise<User[]>;
  /** Sets the bio; the updated user, or null when there is no such user. */
  setBio(id: UserId, bio: string): Promise<User | null>;
  /**
   * Sets the account state; false when there is no such user, or when the account is being
   * deleted (`deleting` never goes back to another state).
   */
  setState(id: UserId, state: AccountState): Promise<boolean>;
  /** Ids of accounts in state `deleting`, lowest id first, at most `limit` (read through an index). */
  listDeleting(limit: number): Promise<UserId[]>;
  /**
   * Deletes the user's row (and on SQLite any idempotency key of theirs still left), the last step
   * of an account deletion: every row that points at the user must be gone first, except
   * messages and inbox entries of other people, which outlive it. The username and e-mail are
   * free again at once; ids are never given out twice. False when there was no such user.
   */
  remove(id: UserId): Promise<boolean>;
  /** Grants or revokes the moderator role; false when there is no such user. */
  setModerator(id: UserId, isModerator: boolean): Promise<boolean>;
  /**
   * Compare-and-set of the avatar id: sets `to` only while the user's avatar id is still `from`
   * (null for none). False when it was not (another change came first) or the user is missing.
   */
  replaceAvatar(id: UserId, from: string | null, to: string | null): Promise<boolean>;
}

/**
 * Who blocks whom: one row per (blocker, blocked), relational, beside users. Every read and write
 * path between two people asks it, so its reads go through indexes on both columns.
 */
export interface BlockStore {
  /** Records the block. Conflict('already_blocked') when the blocker already blocks them. */
  add(blockerId: UserId, blockedId: UserId): Promise<Block>;
  /** Removes the block; false when there was none. */
  remove(blockerId: UserId, blockedId: UserId): Promise<boolean>;
  /** The people the user blocks, with their names, the most recent block first. */
  list(blockerId: UserId): Promise<Block[]>;
  /**
   * Everyone the user blocks or is blocked by, and every suspended account or account being
   * deleted, in one read (a feed reads this once per page).
   */
  hiddenFrom(userId: UserId): Promise<Set<UserId>>;
  /** Whether either of the two blocks the other, or either account is suspended or being deleted. */
  between(a: UserId, b: UserId): Promise<boolean>;
  /**
   * UserStore.findById(b) and between(a, b), read together in one statement (so one round trip
   * where a request needs both, as the chat poll does): `person` is null when there is no such
   * account, and `blocked` answers exactly as between does, also then. Never cached.
   */
  personAndBlock(a: UserId, b: UserId): Promise<{ person: User | null; blocked: boolean }>;
  /** Deletes every block the user made or is the subject of; returns how many. Idempotent. */
  removeAllOf(userId: UserId): Promise<number>;
}

/**
 * Reports and the moderation log, relational, beside users. One report per person and item,
 * whatever races happen (a unique key), so a duplicate counts once.
 */
export interface ReportStore {
  /** Stores an open report; if the reporter already reported the item, the existing id and `isNew` false. */
  add(report: NewReport): Promise<{ id: number; isNew: boolean }>;
  /** Reports with `status` grouped by item, the most recently reported item first, at most `limit` items. */
  listGroups(status: 'open' | 'closed', limit: number): Promise<ReportGroup[]>;
  /** Closes every open report on the item; returns how many. */
  close(target: ReportTarget): Promise<number>;
  /**
   * Deletes every report the person made, open or closed (an account deletion); returns how many.
   * Reports about the person or their items are the reporters': they are closed, not deleted.
   */
  removeByReporter(reporterId: UserId): Promise<number>;
  /** Appends to the moderation log. */
  logAction(action: Omit<ModerationAction, 'id' | 'createdAt'>): Promise<ModerationAction>;
  /** The moderation log, newest first, at most `limit`. */
  listActions(limit: number): Promise<ModerationAction[]>;
}

/** A stored session: its opaque JSON and when the record expires. */
export interface SessionRecord {
  data: string;
  expiresAt: Date;
}

/** Whose session a record is, kept in indexed columns beside the opaque data. */
export interface SessionOwner {
  userId: UserId;
  /** What the person would call the device ("Firefox on Android"), from the User-Agent at sign-in. */
  device: string;
}

/** One live session of a person, for their list of sessions. */
export interface SessionInfo {
  sid: string;
  device: string;
  createdAt: Date;
  /** When the record was last written or touched (so to the touch step, about a minute). */
  lastUsedAt: Date;
  expiresAt: Date;
}

/**
 * Server-side session records for express-session. `data` is opaque JSON. A record whose
 * `expiresAt` has passed is never returned, and is eventually removed.
 */
export interface SessionStore extends Pingable {
  /** The live record with its current expiry (as set or last touched, to the millisecond), or null. */
  get(sid: string): Promise<SessionRecord | null>;
  /**
   * Inserts or replaces, recording the owner (null for a session of nobody) and the time of use.
   * Replacing keeps the record's creation time.
   */
  set(sid: string, data: string, expiresAt: Date, owner?: SessionOwner | null): Promise<void>;
  /** Moves the expiry of an existing record and marks it used now; a missing record stays missing. */
  touch(sid: string, expiresAt: Date): Promise<void>;
  destroy(sid: string): Promise<void>;
  /** The person's live sessions, most recently used first. Read through the user-id index, never a scan. */
  listByUser(userId: UserId): Promise<SessionInfo[]>;
  /** Deletes every session of the person except `exceptSid` (when given); returns how many. */
  destroyByUser(userId: UserId, exceptSid?: string): Promise<number>;
  /** Deletes every expired record; returns how many. */
  prune(now: Date): Promise<number>;
}

/**
 * Fixed-window counters shared by every worker and instance. `increment` atomically adds one
 * hit to `key` in the current window (starting a new window when the old one has ended) and
 * returns the count including this hit and when the window resets.
 */
export interface RateLimitStore {
  increment(key: string, windowMs: number): Promise<{ count: number; resetAt: Date }>;
  /** Takes one hit back (used after a successful login); never below zero. */
  decrement(key: string): Promise<void>;
  reset(key: string): Promise<void>;
  /**
   * Deletes the counters under `keys` and every counter whose key ends with `endingWith` (a
   * non-empty string; the counters of one person, on account deletion). Returns how many.
   */
  removeKeys(keys: string[], endingWith: string): Promise<number>;
  /**
   * Deletes every counter whose window ended before `before`; returns how many. Both backends
   * also call it by themselves, in the background, about once in 500 increments (for windows
   * that ended over a day ago), so the table stays small without a timer.
   */
  prune(before: Date): Promise<number>;
}

/**
 * Friend requests and friendships: at most one row per unordered pair of users, whatever races
 * happen. Decline, cancel and unfriend delete the row.
 */
export interface FriendStore extends Pingable {
  /**
   * Inserts a pending request. Throws Conflict when the pair already has a row (either direction).
   * With `eventOf`, the event it makes from the new row is written with the row (see ActivityStore).
   */
  create(requesterId: UserId, receiverId: UserId, eventOf?: RequestEventOf): Promise<FriendRequest>;
  findById(id: number): Promise<FriendRequest | null>;
  /** The row of the unordered pair {a, b}, whoever asked. */
  findBetween(a: UserId, b: UserId): Promise<FriendRequest | null>;
  /**
   * Pending → accepted, only while it is still pending. Returns the updated row, or null if it was
   * not pending (or is gone). With `eventOf`, the event it makes from the updated row is written with it.
   */
  accept(id: number, eventOf?: RequestEventOf): Promise<FriendRequest | null>;
  /**
   * Deletes the row only if it still has `status`. Returns whether a row was deleted. Deleting a
   * pending request (cancelled, declined) deletes its friend_request event with it.
   */
  remove(id: number, status: FriendRequest['status']): Promise<boolean>;
  /** Pending requests addressed to (incoming) or sent by (outgoing) the user, newest first (ties by id). */
  listPending(userId: UserId, direction: 'incoming' | 'outgoing'): Promise<FriendRequest[]>;
  countIncoming(userId: UserId): Promise<number>;
  /** Accepted friends of the user, ordered by lower-cased username. */
  listFriends(userId: UserId): Promise<Friend[]>;
  /**
   * Ids of the user's accepted friends (no order). May be stale by up to 5 s on the aws backend
   * (storage/aws/friend-store.ts FRIEND_IDS_TTL_MS): each worker keeps a user's answer that long.
   * A friendship change made through this worker's store (accept, remove, so also unfriend,
   * decline and block) shows here at once; one made by another worker or instance shows within
   * 5 s. For what those seconds cannot harm only: Home's owners (every photo is visible to members
   * anyway, and blocks are applied from BlockStore.hiddenFrom, read fresh for every page) and a
   * profile's friend count. Whether two people are friends for something they may do together
   * (chat) is findBetween, never cached.
   */
  friendIds(userId: UserId): Promise<UserId[]>;
}

/** A page of listByOwners; `liked` is there when a viewer was given. */
export interface OwnersPage extends Page<Photo> {
  liked?: Set<string>;
}

export interface Liker {
  userId: UserId;
  likedAt: Date;
}

/** One of a user's likes, as the user's own list of likes shows it. */
export interface LikedPhoto {
  photoId: string;
  likedAt: Date;
}

export interface LikeResult {
  likes: number;
  liked: boolean;
}

/**
 * A store whose writes take an idempotency key (PhotoStore.create, CommentStore.add,
 * MessageStore.send) and so keeps one key record per (user, key) for REQUEST_KEY_TTL_HOURS.
 */
export interface RequestKeyHolder {
  /**
   * Deletes every idempotency-key record of the user that this store keeps (an account
   * deletion), found by the user without a scan (DynamoDB: one Query of the user's key partition
   * in the store's table; SQLite: the key table's primary key). Returns how many. Idempotent.
   */
  removeRequestKeysOf(userId: UserId): Promise<number>;
}

export interface PhotoStore extends Pingable, RequestKeyHolder {
  /**
   * Writes the photo (likes 0, comment count 0), its owner's-index entry and its search terms
   * (domain/search.ts photoTerms). Visible to every list once this resolves. Lists order
   * photos by id; `createdAt` is the time inside the id (PhotoService makes both at once), so
   * that is the order of `createdAt`, ties broken by id.
   *
   * With a `requestKey` (the uploader's idempotency key) already used by the same owner, writes
   * nothing and returns the photo stored under that key (the first attempt landed after all).
   * `events` (the caption's mentions) are written in the same write as the photo, or not at all.
   */
  create(photo: NewPhoto, requestKey?: string, events?: ActivityEvent[]): Promise<Photo>;
  /** The photo `userId` stored with `requestKey` (create), or null. */
  byRequestKey(userId: UserId, requestKey: string): Promise<Photo | null>;
  get(id: string): Promise<Photo | null>;
  /**
   * The photo and whether `viewerId` has liked it (as likedBy would answer), read together: on
   * DynamoDB one BatchGetItem of both keys. Null when the photo does not exist.
   */
  getWithLike(id: string, viewerId: UserId): Promise<{ photo: Photo; liked: boolean } | null>;
  /**
   * getWithLike and BadgeStore.unread of the viewer, read together (the photo page and its
   * navigation): on DynamoDB the viewer's badge counters are one more key of the same
   * BatchGetItem. `found` is null when the photo does not exist; `unread` is there either way.
   */
  getWithLikeAndUnread(
    id: string,
    viewerId: UserId,
    activityCap: number,
  ): Promise<{ found: { photo: Photo; liked: boolean } | null; unread: UnreadCounts }>;
  /**
   * Deletes the photo, its owner's-index entry, its search terms and all of its likes, with the
   * events of its caption's mentions and of its likes (found by key, never through an index).
   * Returns the deleted photo (for its image keys), or null if it did not exist. Comments are the CommentStore's.
   *
   * Resumable: the first write removes the photo from every read and, with it, keeps a record of
   * the delete (the photo as it was). The record stays until finishDelete, which the caller runs
   * once everything else the photo owned (comments, activity, image objects) is gone. delete()
   * of a photo that is gone but whose record is left does the store's part again and returns
   * the photo from the record, so a delete that died half-way is finished by running it again
   * (the sweep does, from unfinishedDeletes).
   */
  delete(id: string): Promise<Photo | null>;
  /** The last step of a delete: forgets its record. Nothing happens when there is none. */
  finishDelete(id: string): Promise<void>;
  /** Photos whose delete began before `startedBefore` and whose record is still there (every one of them). */
  unfinishedDeletes(startedBefore: Date): Promise<Photo[]>;
  /**
   * Photos of any of `ownerIds`, newest first (by id), strictly older than `page.before`. With
   * `viewerId`, also `liked`: the page's photos that viewer has liked (as likedBy would answer,
   * so never stale), read with the page rather than photo by photo.
   *
   * On DynamoDB the photos come from a global secondary index (one Query per owner), which is
   * eventually consistent, like listAll: for up to about a second after a write, a new photo may
   * be missing here, a deleted one still listed (get() then answers null), and an edit, a like
   * count or a comment count may show its value from before. Until `npm run setup:aws` has put
   * the photos of an older table on the index, they are read strongly consistent instead.
   */
  listByOwners(ownerIds: UserId[], page: PageRequest, viewerId?: UserId): Promise<OwnersPage>;
  /**
   * Every photo, newest first. On DynamoDB this reads a global secondary index, which is
   * eventually consistent: a new photo may take up to about a second to appear here. Each worker
   * also keeps the oldest month holding a photo for up to 10 s, so a photo dated before every
   * other (an import) may take that long to appear in another worker's All feed.
   */
  listAll(page: PageRequest): Promise<Page<Photo>>;
  /**
   * Photos carrying every one of `terms` (domain/search.ts queryTerms), newest first, restricted
   * to `ownerIds` when given (an empty list matches nothing). Served from term index entries, never a scan.
   */
  search(terms: string[], ownerIds: UserId[] | undefined, page: PageRequest): Promise<Page<Photo>>;
  /** How many photos the user has; read from the owner's index (a count query, no photo items). */
  countByOwner(userId: UserId): Promise<number>;
  /** Ids among `photoIds` that `userId` has liked. */
  likedBy(userId: UserId, photoIds: string[]): Promise<Set<string>>;
  /**
   * Adds the user's like once; liking again changes nothing. Null if the photo does not exist.
   * `event` (the owner's) is written in the like's own write, and only when the like is new.
   */
  like(photoId: string, userId: UserId, event?: ActivityEvent | null): Promise<LikeResult | null>;
  /**
   * Removes the user's like if present, with its event, in one write. Null if the photo does not
   * exist (a like of the user left behind by a photo delete that died half-way is removed all the same).
   */
  unlike(photoId: string, userId: UserId): Promise<LikeResult | null>;
  /**
   * Records the photo's medium image and (re-made) thumbnail keys, made later by the image
   * backfill. Returns false if the photo does not exist.
   */
  setImageKeys(id: string, keys: ImageKeys): Promise<boolean>;
  /**
   * Who liked the photo, the newest like first (ties by user id, descending), strictly after
   * the cursor `page.before` (`<likedAt ms>.<userId>` of the last one shown); `next` is such a
   * cursor. A photo without likes (or none) gives an empty page.
   */
  likers(photoId: string, page: PageRequest): Promise<Page<Liker>>;
  /**
   * Replaces caption, topic and alt text, sets editedAt, and replaces the photo's search terms
   * to match the new text in the same write (no entry for a word that is gone survives it).
   * `mentions` adds the events of newly mentioned people and deletes those of people no longer
   * mentioned, in the same write. Returns the updated photo, or null if it does not exist.
   */
  update(id: string, edit: PhotoEdit, editedAt: Date, mentions?: MentionChange): Promise<Photo | null>;
  /**
   * The photos `userId` likes, the newest photo first (by photo id, not by when the like was
   * made), strictly older than `page.before` (a photo id); `next` is the last photo id shown. Read
   * from the likes kept under the user (never a scan). On DynamoDB, likes stored before those
   * existed are in it once `npm run setup:aws` has indexed them (aws/likes.ts indexLikes).
   */
  likedPhotos(userId: UserId, page: PageRequest): Promise<Page<LikedPhoto>>;
}

export interface CommentStore extends Pingable, RequestKeyHolder {
  /**
   * Stores the comment and adds one to the photo's comment count, atomically.
   * Throws NotFound when the photo does not exist. With a `requestKey` (the author's idempotency
   * key) already used by the same author, stores nothing and returns that earlier comment.
   * `events` (at most one per recipient, each with the comment's id as its id) are written in the
   * same write as the comment, or not at all.
   */
  add(comment: Comment, requestKey?: string, events?: ActivityEvent[]): Promise<Comment>;
  get(photoId: string, commentId: string): Promise<Comment | null>;
  /**
   * One page of the photo's comments counted from the newest: the `limit` newest comments
   * strictly older than `page.before` (a comment id or cursor) when given, returned oldest first.
   * `next` is the cursor of the page before it (earlier comments), null when there is none.
   * Order is by id; a comment's `createdAt` is the time in its id (CommentService makes both at
   * once), so this is the order of `createdAt`, ties broken by id.
   */
  list(photoId: string, page: PageRequest): Promise<Page<Comment>>;
  /** Deletes one comment with its events and takes one off the photo's count. Returns whether it existed. */
  delete(photoId: string, commentId: string): Promise<boolean>;
  /**
   * Deletes every comment of the photo with their events, however many pages, also after the
   * photo itself is gone. Returns how many.
   */
  deleteAllForPhoto(photoId: string): Promise<number>;
  /**
   * The comments `userId` wrote, on any photo, newest first (by id), strictly older than
   * `page.before` (a comment id); `next` is the last id shown. Read from an index on the author
   * (never a scan). On DynamoDB that index is eventually consistent: a comment may take about a
   * second to appear in it, and one just deleted as long to leave it.
   */
  listByAuthor(userId: UserId, page: PageRequest): Promise<Page<Comment>>;
}

/**
 * Chat messages and each person's inbox (conversation list).
 *
 * Delivery is exact, on every backend and across any number of processes: a poller that walks a
 * conversation with `after(<id of the last message it has>)` receives every message exactly once,
 * in the order of `latest`, and `createdAt` never decreases along that order. Why it holds:
 * - `send` gives each message its place in the conversation from a per-conversation sequence,
 *   in the same atomic write that makes the message visible (SQLite: one IMMEDIATE transaction
 *   that reads and moves the conversation's head row; DynamoDB: a TransactWrite that moves the
 *   conversation's HEAD item on the condition that it still holds the sequence number read, and
 *   is retried with a fresh read when another send moved it first). So the sequence order is the
 *   order in which messages become visible, and no message can appear behind one a poller has
 *   already seen.
 * - The id is made from that sequence and the time (lib/ulid.ts sequencedId), and the time is
 *   max(now, the head's last time), so ids, sort keys and `createdAt` all follow the sequence;
 *   `after(<id>)` turns the id into the sort key without reading anything.
 * - Ids of messages stored before this scheme (random ULIDs) are still accepted as cursors: a
 *   conversation's first send under it starts its sequence after the newest stored message.
 */
export interface MessageStore extends Pingable, RequestKeyHolder {
  /**
   * Stores the message with its id and time (see above) and updates both people's inbox entries
   * for the conversation: last message for both, unread + 1 for the receiver. With a
   * `requestKey`, a send whose key this sender already used in the conversation stores nothing
   * and returns the message stored the first time (a retry after a timeout or a 503 whose first
   * attempt landed after all).
   */
  send(message: NewMessage): Promise<Message>;
  /** The latest `limit` messages of the conversation, returned oldest first. */
  latest(conversation: ConversationId, limit: number): Promise<Message[]>;
  /**
   * Messages after the message id `afterId`, oldest first, at most `limit`: one indexed read,
   * none when there is nothing new. `afterId` need not name a stored message.
   */
  after(conversation: ConversationId, afterId: string, limit: number): Promise<Message[]>;
  /** The user's conversations, the most recently active first, at most `limit`. */
  conversations(userId: UserId, limit: number): Promise<Conversation[]>;
  /**
   * Sets the user's unread count for the conversation with `otherUserId` to zero (and takes it off
   * BadgeStore's count). `expectedUnread`, when the caller knows it (the chat poll: the messages to
   * the user it just received), is only a hint that saves a read when right; wrong, the answer is
   * the same.
   */
  markRead(userId: UserId, otherUserId: UserId, expectedUnread?: number): Promise<void>;
  /**
   * Sum of the user's unread counts, without the conversations with people hidden from everyone
   * (suspended, or being deleted), which no page shows. On DynamoDB a worker knows who is hidden
   * from a read every 5 seconds (aws/hidden-people.ts) and at once after its own change.
   */
  unreadTotal(userId: UserId): Promise<number>;
  /**
   * An account deletion's step, for up to `limit` of the user's conversations: where the other
   * person still has the conversation, it stays theirs and every message and their inbox entry
   * lose the user's name (`fromUsername`/`toUsername`/`username` become ''); otherwise its
   * messages go. The user's own inbox entry goes last. Returns how many conversations it
   * handled: 0 once none are left. Idempotent; a rerun after a crash redoes an unfinished one.
   */
  forgetUser(userId: UserId, limit: number): Promise<number>;
}

/**
 * Activity events under their recipient, newest first. Each event is one small record; a page
 * is one key query on the recipient (DynamoDB: partition USER#<id>#ACT, TTL 90 days; SQLite:
 * the (recipient, id) primary key). Events older than ACTIVITY_TTL_DAYS are never returned.
 *
 * The acts write their own events, in the act's own write (a like's transaction holds its event,
 * a comment's holds one per recipient), and undoing an act deletes its events in the undo's write,
 * by keys derived from the act (PhotoStore, CommentStore, FriendStore): no event outlives its act,
 * and none is written for an act that failed. On DynamoDB a friend request's row is in MySQL: its
 * event is written inside the MySQL transaction, before the commit (aws/friend-store.ts).
 */
export interface ActivityStore extends Pingable {
  /** Stores events outside any act (imports, tests); the acts write their own. */
  add(events: ActivityEvent[]): Promise<void>;
  /** The recipient's events newest first, strictly older than `before` (an event id) when given. */
  list(recipientId: UserId, page: PageRequest): Promise<Page<ActivityEvent>>;
  /**
   * Deletes every event addressed to the recipient, their read mark and their badge counters (an
   * account deletion's last step, after MessageStore.forgetUser).
   */
  removeAllFor(recipientId: UserId): Promise<void>;
  /**
   * Deletes the events by their keys (recipient and id; missing ones are no error): for events an
   * act does not take back by itself, such as a friendship's when an account is deleted.
   */
  removeEvents(refs: { recipientId: UserId; eventId: string }[]): Promise<void>;
  /** Id of the newest event the recipient has seen, or null. */
  readMark(recipientId: UserId): Promise<string | null>;
  /** Moves the read mark forward to `eventId` (never back). */
  markRead(recipientId: UserId, eventId: string): Promise<void>;
  /**
   * How many of the recipient's events are newer than the read mark, counting at most `cap`;
   * events by people hidden from everyone are not counted (as in MessageStore.unreadTotal).
   */
  countUnread(recipientId: UserId, cap: number): Promise<number>;
}

/** What a person's navigation counts besides friend requests. */
export interface UnreadCounts {
  /** MessageStore.unreadTotal. */
  messages: number;
  /** ActivityStore.countUnread with the cap asked for. */
  activity: number;
}

/**
 * The navigation badges' counts, read together. On DynamoDB one GetItem of the person's counters
 * item (unread messages kept exact by the sends and reads that change them; activity counted by
 * one Query only when events arrived since a count last found none unread).
 */
export interface BadgeStore {
  /** Unread messages and unread activity (at most `activityCap`), as the two stores answer them. */
  unread(userId: UserId, activityCap: number): Promise<UnreadCounts>;
}

export interface StoredBlob {
  body: Readable;
  size: number;
  contentType: string;
  /** Strong validator for conditional requests, quoted as in an ETag header. */
  etag: string;
}

export interface BlobStore extends Pingable {
  /**
   * Stores bytes under a server-made key: `/`-separated segments of `[A-Za-z0-9_-][A-Za-z0-9._-]*`
   * ending in an extension that matches `contentType` (.jpg for image/jpeg, .webp for image/webp).
   */
  put(key: string, bytes: Buffer, contentType: string): Promise<void>;
  /** Null if there is no object under the key. */
  open(key: string): Promise<StoredBlob | null>;
  /** Deletes the objects; missing keys are ignored. */
  delete(keys: string[]): Promise<void>;
  /**
   * Every object whose key starts with `prefix` (a folder such as `photos/`), in key order, with
   * when it was last written. Read page by page (`pageSize` keys a read, where the store pages), so
   * a listing of any size holds one page in memory. An object written or deleted while the listing
   * runs may or may not be in it.
   */
  list(prefix: string, options?: { pageSize?: number }): AsyncIterable<ListedBlob>;
}

export interface ListedBlob {
  key: string;
  modifiedAt: Date;
}

export interface ProcessedImage {
  bytes: Buffer;
  width: number;
  height: number;
  contentType: string;
}

export interface ProcessedImages {
  full: ProcessedImage;
  medium: ProcessedImage;
  thumb: ProcessedImage;
}

export interface ImageProcessor {
  /**
   * Decides the type from the bytes (UnsupportedMedia otherwise; HEIC/HEIF included), refuses
   * images over the pixel limits before decoding (PayloadTooLarge), and InvalidInput for an
   * undecodable file. From one decode: the full image (orientation applied, long side ≤ 2048,
   * metadata stripped), the medium one (long side ≤ 1080) and a 400×400 cover thumbnail.
   * `format` picks the output encoding.
   */
  process(bytes: Buffer, format: 'jpeg' | 'webp'): Promise<ProcessedImages>;
  /**
   * The same checks as `process` (type from the bytes, pixel limits before decoding, orientation,
   * metadata stripped), then from one decode two square JPEG avatars, cover-cropped: 320 and 64 px.
   */
  avatar(bytes: Buffer): Promise<{ large: ProcessedImage; small: ProcessedImage }>;
  /** Images being processed or waiting for their turn in this process (for /metrics). */
  queueDepth?(): number;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, hash: string): Promise<boolean>;
}

/**
 * One call of a backend, reported at its client boundary: a SQLite statement run, a MySQL query,
 * a DynamoDB or S3 command, a file operation of the image folder. `store` names the backing
 * service as Unavailable does (`sqlite`, `disk`, `mysql`, `dynamodb`, `s3`); `operation` is the
 * command (`Query`, `GetObject`) or the statement's verb and table (`SELECT photos`). `ok` is false
 * when the call failed (unreachable, timed out, throttled, refused as malformed); a refused
 * condition or a unique-key clash is the service's answer, so ok. `readUnits` and
 * `writeUnits` are DynamoDB's ConsumedCapacity for the call, where the service reports it.
 */
export interface StoreCall {
  store: string;
  operation: string;
  ms: number;
  ok: boolean;
  readUnits?: number;
  writeUnits?: number;
}

/** Called once per backend call, synchronously, after the call settled; it must not throw. */
export type StoreCallListener = (call: StoreCall) => void;

/** Everything a backend provides; built by storage/index.ts createStorage(). */
export interface Storage {
  users: UserStore;
  sessions: SessionStore;
  blocks: BlockStore;
  reports: ReportStore;
  rateLimits: RateLimitStore;
  friends: FriendStore;
  photos: PhotoStore;
  comments: CommentStore;
  messages: MessageStore;
  activity: ActivityStore;
  badges: BadgeStore;
  blobs: BlobStore;
  /** Names each backing service for /readyz, with the store to ping. */
  health: { name: string; check: Pingable }[];
  /** Closes pools and files. */
  close(): Promise<void>;
}
