import type { ConversationId, UserId } from '../../domain/types';
import { timeOfId } from '../../lib/ulid';

/**
 * Every DynamoDB key Lumina writes or reads, built in one place. Items keep the original design's
 * `PK`/`SK` attributes, use named attributes for indexes (ALL_FEED_INDEX, OWNER_FEED_INDEX, AUTHOR_INDEX;
 * GSI1PK/GSI1SK for GSI1, the All feed's old index), and carry an entity `type` tag.
 * Attribute names other than keys are snake_case, as in the original design (`comment_count`).
 *
 * lumina_photos
 *   PHOTO#<id>      META              photo: the record every list shows (ALL_FEED_INDEX: ALL, <id>;
 *                                     photos from before that index: GSI1, until aws/all-feed.ts indexFeed;
 *                                     OWNER_FEED_INDEX: <owner id>, <id>)
 *   PHOTO#<id>      LIKE#<userId>     like: one per user who likes the photo (with the id of its event)
 *   PHOTO#<id>      LIKER#<ms13>#<userId12>  liker: the same like by time (the likes list, one Query)
 *   LIKES#<userId>  PHOTO#<id>        liked: the same like under the user (a viewer's likes of a page, one Query)
 *   USER#<userId>   PHOTO#<id>        owner_photo: the owner's index (Home and Profile feeds)
 *   TERM#<term>     PHOTO#<id>        term: one per search term of the photo (domain/search.ts)
 *   FEED#ALL        FIRST_BUCKET      feed_marker: the oldest All-feed bucket holding a photo, and which
 *                                     index the All feed reads (`feed_index`, set by indexFeed)
 *   FEED#ALL        LIKES_INDEXED     like_index_marker: every like has its `liked` item (aws/likes.ts)
 *   FEED#ALL        BADGES_FILLED     badges_marker: every person with older data has badge counters
 *   FEED#ALL        LIKERS_INDEXED    like_index_marker: every like has its `LIKER#` item (aws/likes.ts)
 *   FEED#ALL        OWNERS_INDEXED    owner_feed_marker: every photo is on OWNER_FEED_INDEX (aws/owner-feed.ts)
 *   USER#<id>#ACT   <event id>        activity: one event for its recipient, TTL 90 days; the act
 *                                     that made it names it (see activityKey), so its undo deletes it by key
 *   USER#<id>#ACTREAD  MARK           activity_read: the newest event the person has seen (before
 *                                     badges held it; read once by the badges' backfill)
 *   USER#<id>#BADGES   COUNTS         badges: what a person's navigation counts (aws/badge-store.ts):
 *                                     unread messages, the activity read mark, events written to them
 * lumina_comments
 *   PHOTO#<photoId> COMMENT#<ms13>#<id>   comment (AUTHOR_INDEX: user_id, id)
 * lumina_messages
 *   CONV#<lo>#<hi>  MSG#<ms13>#<id>       message
 *   CONV#<lo>#<hi>  HEAD                  conversation_head: the last place given out, and its time
 *   INBOX#<userId>  CONV#<otherUserId>    inbox: last message and unread count of one conversation
 * any of the three tables, beside what the request made
 *   REQUEST#<userId>  <KIND>#<key>        request_key: what a request with an idempotency key made
 *                                         (one partition per user and table, so a deletion finds them)
 */

/** What a request with an idempotency key made, as its key item names it. */
export type RequestKeyKind = 'MESSAGE' | 'COMMENT' | 'PHOTO';

export interface ItemKey {
  PK: string;
  SK: string;
}

export const ENTITY = {
  photo: 'photo',
  ownerPhoto: 'owner_photo',
  like: 'like',
  liker: 'liker',
  liked: 'liked',
  likeIndexMarker: 'like_index_marker',
  ownerFeedMarker: 'owner_feed_marker',
  term: 'term',
  feedMarker: 'feed_marker',
  comment: 'comment',
  message: 'message',
  conversationHead: 'conversation_head',
  inbox: 'inbox',
  requestKey: 'request_key',
  activity: 'activity',
  activityRead: 'activity_read',
  badges: 'badges',
  badgesMarker: 'badges_marker',
  photoDelete: 'photo_delete',
} as const;

export const GSI1 = 'GSI1';
/**
 * The comments table's index of a person's own comments. Unlike GSI1 it is keyed on attributes
 * every comment has carried from the start (`user_id` number, `id` ULID), so comments written
 * before it existed are in it without a backfill, and request-key items (no `user_id`) are not.
 */
export const AUTHOR_INDEX = 'ByAuthor';
/**
 * The photos table's All-feed index: partition `feed_bucket`, sort `id`. Only photo META items
 * carry both attributes. It projects just what a feed answer shows (tables.ts), not the search
 * terms, so a page reads about half the bytes GSI1 (every attribute) did. Photos written before
 * it have their `feed_bucket` set by indexFeed.
 */
export const ALL_FEED_INDEX = 'AllFeed';
export const FEED_BUCKET_ATTRIBUTE = 'feed_bucket';
/**
 * Every photo's `feed_bucket`: one partition, so a page is one Query however many months lie
 * between its photos (a site with a few photos a month would need a Query per month with month
 * buckets). The current month's partition took every new photo and nearly every feed read
 * anyway, so one partition is no hotter.
 */
export const ALL_FEED_PARTITION = 'ALL';
/**
 * The photos table's index of each owner's photos (Home and Profile feeds): partition
 * `feed_owner` (the owner's id, a number), sort `id`, projecting what a feed answer shows, as
 * ALL_FEED_INDEX does. `feed_owner` repeats META's `user_id` under a name of its own, so that only
 * META carries it: a delete's record (PHOTO_DELETES) keeps `user_id` and `id` but not this, and
 * stays out of every feed. Photos written before it get it from indexOwnerFeed (owner-feed.ts).
 */
export const OWNER_FEED_INDEX = 'OwnerFeed';
export const FEED_OWNER_ATTRIBUTE = 'feed_owner';

const PHOTO = 'PHOTO#';
const LIKE = 'LIKE#';
const COMMENT = 'COMMENT#';
const MSG = 'MSG#';

/** 13-digit zero-padded milliseconds of a ULID, so sort keys order by time even before the id. */
export const paddedTimeOf = (id: string): string => String(timeOfId(id)).padStart(13, '0');

/** What ping() reads in a table: an item that never exists (a read is a read, found or not). */
export const pingKey = (): ItemKey => ({ PK: 'PING', SK: 'PING' });

// --- lumina_photos -------------------------------------------------------------------------

export const photoPartition = (photoId: string): string => `${PHOTO}${photoId}`;
export const photoKey = (photoId: string): ItemKey => ({ PK: photoPartition(photoId), SK: 'META' });

/** Sort key of a photo inside an owner's or a term's partition. */
export const photoSortKey = (photoId: string): string => `${PHOTO}${photoId}`;
export const PHOTO_SORT_PREFIX = PHOTO;
export const photoIdOfSortKey = (sk: string): string => sk.slice(PHOTO.length);

/**
 * The key condition "photos of a partition of `PHOTO#<id>` sort keys (an owner's index, a term),
 * newest first, strictly older than `before` if given".
 */
export function newestPhotosOf(pk: string, before: string | undefined) {
  return before
    ? {
        KeyConditionExpression: 'PK = :pk AND SK < :before',
        ExpressionAttributeValues: { ':pk': pk, ':before': photoSortKey(before) },
        ScanIndexForward: false,
      }
    : {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': PHOTO },
        ScanIndexForward: false,
      };
}

export const ownerPartition = (userId: UserId): string => `USER#${userId}`;
export const ownerIndexKey = (userId: UserId, photoId: string): ItemKey => ({
  PK: ownerPartition(userId),
  SK: photoSortKey(photoId),
});

export const LIKE_SORT_PREFIX = LIKE;
export const likeKey = (photoId: string, userId: UserId): ItemKey => ({
  PK: photoPartition(photoId),
  SK: `${LIKE}${userId}`,
});

/**
 * A like by time under its photo: `LIKER#<ms13>#<userId, 12 digits>`, so the newest likes are one
 * Query and the cursor `<ms>.<userId>` is a key (sorts after every `LIKE#` key, before `META`).
 */
const LIKER = 'LIKER#';
export const LIKER_SORT_PREFIX = LIKER;
export const likerSortKey = (likedAtMs: number, userId: UserId): string =>
  `${LIKER}${String(likedAtMs).padStart(13, '0')}#${String(userId).padStart(12, '0')}`;
export const likerKey = (photoId: string, likedAtMs: number, userId: UserId): ItemKey => ({
  PK: photoPartition(photoId),
  SK: likerSortKey(likedAtMs, userId),
});
/** The liker of a `LIKER#` sort key: when and who. */
export function likerOfSortKey(sk: string): { likedAtMs: number; userId: UserId } {
  const [ms, user] = sk.slice(LIKER.length).split('#');
  return { likedAtMs: Number(ms), userId: Number(user) };
}

/** A user's likes, one item per liked photo, sorted by photo id. */
export const likesPartition = (userId: UserId): string => `LIKES#${userId}`;
export const likedKey = (userId: UserId, photoId: string): ItemKey => ({
  PK: likesPartition(userId),
  SK: photoSortKey(photoId),
});
/** Written once every like has its `liked` item; until then likes are read by their photo keys. */
export const likeIndexMarkerKey = (): ItemKey => ({ PK: 'FEED#ALL', SK: 'LIKES_INDEXED' });
/** Written once every like has its `LIKER#` item (likes.ts indexLikers). */
export const likerIndexMarkerKey = (): ItemKey => ({ PK: 'FEED#ALL', SK: 'LIKERS_INDEXED' });
/** Written once every photo carries `feed_owner` (owner-feed.ts indexOwnerFeed); until then Home reads the owners' index. */
export const ownerFeedMarkerKey = (): ItemKey => ({ PK: 'FEED#ALL', SK: 'OWNERS_INDEXED' });

export const termPartition = (term: string): string => `TERM#${term}`;
export const termKey = (term: string, photoId: string): ItemKey => ({
  PK: termPartition(term),
  SK: photoSortKey(photoId),
});

/** All-feed GSI partition of the UTC month `ms` falls in: `ALL#2026-11`. */
export function feedBucketOf(ms: number): string {
  const date = new Date(ms);
  return `ALL#${date.getUTCFullYear()}-${String(date.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** All-feed GSI partition of a photo, from the time inside its ULID. */
export const allFeedBucket = (photoId: string): string => feedBucketOf(timeOfId(photoId));

/** Start of a bucket's month in ms, and the bucket of the month before. */
export function bucketStart(bucket: string): number {
  const match = /^ALL#(\d{4,})-(\d{2})$/.exec(bucket);
  if (!match) throw new Error(`not a feed bucket: ${bucket}`);
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, 1);
}
export const previousBucket = (bucket: string): string => feedBucketOf(bucketStart(bucket) - 1);

/** Holds the oldest bucket any photo was ever written to, so the All-feed walk knows where to stop. */
export const feedMarkerKey = (): ItemKey => ({ PK: 'FEED#ALL', SK: 'FIRST_BUCKET' });

// --- lumina_comments -----------------------------------------------------------------------

export const commentPartition = photoPartition;
export const COMMENT_SORT_PREFIX = COMMENT;
export const commentSortKey = (commentId: string): string =>
  `${COMMENT}${paddedTimeOf(commentId)}#${commentId}`;
/** The key condition "comments by the author, newest first, strictly older than `before` if given" (AUTHOR_INDEX). */
export function newestCommentsBy(userId: UserId, before: string | undefined) {
  return {
    IndexName: AUTHOR_INDEX,
    KeyConditionExpression: before ? 'user_id = :user AND id < :before' : 'user_id = :user',
    ExpressionAttributeValues: { ':user': userId, ...(before ? { ':before': before } : {}) },
    ScanIndexForward: false,
  };
}
export const commentKey = (photoId: string, commentId: string): ItemKey => ({
  PK: commentPartition(photoId),
  SK: commentSortKey(commentId),
});

// --- lumina_messages -----------------------------------------------------------------------

/** A conversation's messages and head: `CONV#<lo>#<hi>`, the smaller user id first. */
export const conversationPartition = (c: ConversationId): string => `CONV#${c.low}#${c.high}`;
export const messageSortKey = (messageId: string): string => `${MSG}${paddedTimeOf(messageId)}#${messageId}`;
/** The key condition "every message of a conversation" (its HEAD sorts outside the prefix). */
export const messagesOf = (conversation: ConversationId) => ({
  KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
  ExpressionAttributeValues: { ':pk': conversationPartition(conversation), ':prefix': MSG },
});
export const messageKey = (conversation: ConversationId, messageId: string): ItemKey => ({
  PK: conversationPartition(conversation),
  SK: messageSortKey(messageId),
});

/** Sorts before every `MSG#` key, so no message query ever meets it. */
export const conversationHeadKey = (conversation: ConversationId): ItemKey => ({
  PK: conversationPartition(conversation),
  SK: 'HEAD',
});

export const inboxPartition = (userId: UserId): string => `INBOX#${userId}`;
export const INBOX_SORT_PREFIX = 'CONV#';
export const inboxKey = (userId: UserId, otherUserId: UserId): ItemKey => ({
  PK: inboxPartition(userId),
  SK: `${INBOX_SORT_PREFIX}${otherUserId}`,
});

// --- photo deletes (lumina_photos) -----------------------------------------------------------

/**
 * Every unfinished photo delete, one item each, in one partition: there are few at any time (an
 * item lives as long as its delete runs, or until the sweep finishes a delete that died), and
 * the sweep reads the partition whole.
 */
export const PHOTO_DELETES_PARTITION = 'PHOTO_DELETES';
export const photoDeleteKey = (photoId: string): ItemKey => ({ PK: PHOTO_DELETES_PARTITION, SK: photoId });

// --- request keys (any table) --------------------------------------------------------------

/** The partition of a person's request keys in each table: an account deletion queries it. */
export const requestKeysPartition = (userId: UserId): string => `REQUEST#${userId}`;

/** A person's key items share their partition; one key is still read with one GetItem. */
export const requestKeyKey = (userId: UserId, kind: RequestKeyKind, key: string): ItemKey => ({
  PK: requestKeysPartition(userId),
  SK: `${kind}#${key}`,
});

/**
 * The shape key items had before (one partition per key), which no Query can find by person.
 * Items of it are only read, by exact key, while they can still replay (aws/request-keys.ts);
 * once the last one is past REQUEST_KEY_TTL_HOURS this goes.
 */
export const legacyRequestKeyKey = (userId: UserId, kind: RequestKeyKind, key: string): ItemKey => ({
  PK: `REQUEST#${userId}#${key}`,
  SK: kind,
});

// --- activity (lumina_photos) -----------------------------------------------------------------

/**
 * A person's activity events: partition `USER#<id>#ACT`, sort key the event id (time-ordered).
 * The act's items know the key of each event they caused, so no undo needs an index: a like item
 * holds its event's id and recipient, a comment's events have the comment's id and the comment
 * item lists their recipients, a photo's caption mentions are listed on its META, and a friend
 * request's event id is made from the request's number and time (domain/activity.ts).
 */
export const activityPartition = (recipientId: UserId): string => `USER#${recipientId}#ACT`;
export const activityKey = (recipientId: UserId, eventId: string): ItemKey => ({
  PK: activityPartition(recipientId),
  SK: eventId,
});
/** The newest event a person has seen. */
export const activityReadKey = (recipientId: UserId): ItemKey => ({
  PK: `USER#${recipientId}#ACTREAD`,
  SK: 'MARK',
});

/**
 * A person's badge counters (lumina_photos, beside their activity): one small item, so the
 * navigation of every page is one GetItem, or one more key in a page's own BatchGetItem.
 */
export const badgesKey = (userId: UserId): ItemKey => ({ PK: `USER#${userId}#BADGES`, SK: 'COUNTS' });
/** Written once fillBadges (aws/badge-store.ts) gave everyone with older data their counters. */
export const badgesFilledMarkerKey = (): ItemKey => ({ PK: 'FEED#ALL', SK: 'BADGES_FILLED' });
