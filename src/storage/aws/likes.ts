import type { ActivityEvent, Page, PageRequest, UserId } from '../../domain/types';
import type { LikedPhoto, Liker } from '../../ports';
import { toPage } from '../paging';
import { ActivityItems, type EventRef } from './activity-items';
import { BackfillMarker, isMarked, mark } from './backfill';
import type { DynamoClient, Item, TransactItem, WriteRequest } from './dynamo-client';
import {
  ENTITY,
  type ItemKey,
  LIKE_SORT_PREFIX,
  LIKER_SORT_PREFIX,
  likedKey,
  likerKey,
  likerOfSortKey,
  likerSortKey,
  likeIndexMarkerKey,
  likerIndexMarkerKey,
  likeKey,
  likesPartition,
  newestPhotosOf,
  photoIdOfSortKey,
  photoPartition,
  photoSortKey,
} from './keys';

/** The event a like item names, if it caused one. */
function eventOf(item: Item): EventRef | null {
  return typeof item.event_id === 'string'
    ? { recipientId: Number(item.event_to), eventId: item.event_id }
    : null;
}

/** When the like was made, from its `created_at`. */
const likedAtOf = (item: Item): number => Date.parse(String(item.created_at));

/**
 * Access pattern "which of these photos has the viewer liked": each like is stored twice, under
 * its photo (`PHOTO#<id>`, `LIKE#<userId>`: counted and deleted with the photo) and under its user
 * (`LIKES#<userId>`, `PHOTO#<id>`), both in the like's transaction. A feed page's likes are then one
 * Query over the viewer's own like items in the page's id range (a few small items) instead of a
 * read per photo. Likes stored before the user-side items existed are indexed by indexLikes()
 * (`npm run setup:aws`); until its marker is written, likes are read by their photo-side keys.
 */
export class Likes {
  /** LIKES_INDEXED, read again every MARKER_TTL_MS (backfill.ts) until it is there. */
  private readonly indexed: BackfillMarker;
  private readonly events: ActivityItems;

  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
  ) {
    this.events = new ActivityItems(db, table);
    this.indexed = new BackfillMarker(db, table, likeIndexMarkerKey());
  }

  /**
   * The items a like puts, in its transaction: the photo-side one only if absent (so a repeated
   * like cancels the whole transaction, event included), the user-side one, the one by time, and
   * the owner's event. The like item keeps the event's key for the unlike.
   */
  put(photoId: string, userId: UserId, event: ActivityEvent | null): Record<string, TransactItem> {
    const at = Date.now();
    const fields = { photo_id: photoId, user_id: userId, created_at: new Date(at).toISOString() };
    return {
      like: {
        Put: {
          TableName: this.table,
          Item: {
            ...likeKey(photoId, userId),
            type: ENTITY.like,
            ...fields,
            ...(event ? { event_id: event.id, event_to: event.recipientId } : {}),
          },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      liked: {
        Put: { TableName: this.table, Item: { ...likedKey(userId, photoId), type: ENTITY.liked, ...fields } },
      },
      liker: {
        Put: { TableName: this.table, Item: { ...likerKey(photoId, at, userId), type: ENTITY.liker } },
      },
      ...(event ? this.events.puts('event', [event]) : {}),
    };
  }

  /**
   * The items an unlike deletes, in its transaction, read from the like item (a strongly
   * consistent read): the like itself (only while it is the one read), its user-side item, its
   * item by time and its event. Null when the user does not like the photo.
   */
  async delete(photoId: string, userId: UserId): Promise<Record<string, TransactItem> | null> {
    const item = await this.db.get({
      TableName: this.table,
      Key: likeKey(photoId, userId),
      ConsistentRead: true,
      ProjectionExpression: 'created_at, event_id, event_to',
    });
    if (!item) return null;
    const event = eventOf(item);
    return {
      like: {
        Delete: {
          TableName: this.table,
          Key: likeKey(photoId, userId),
          ConditionExpression: 'created_at = :at',
          ExpressionAttributeValues: { ':at': item.created_at },
        },
      },
      liked: { Delete: { TableName: this.table, Key: likedKey(userId, photoId) } },
      liker: { Delete: { TableName: this.table, Key: likerKey(photoId, likedAtOf(item), userId) } },
      ...(event ? this.events.deletes('event', [event]) : {}),
    };
  }

  /**
   * Access pattern "who liked the photo, newest first": one Query over its `LIKER#` items below
   * the cursor `<ms>.<userId>` (BETWEEN includes the cursor's own key: one more, dropped).
   */
  async likers(photoId: string, page: PageRequest): Promise<Page<Liker>> {
    const [ms, user] = page.before ? page.before.split('.').map(Number) : [];
    const before = ms !== undefined && user !== undefined ? likerSortKey(ms, user) : `${LIKER_SORT_PREFIX}~`;
    const { items } = await this.db.query({
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :first AND :before',
      ExpressionAttributeValues: {
        ':pk': photoPartition(photoId),
        ':first': LIKER_SORT_PREFIX,
        ':before': before,
      },
      ProjectionExpression: 'SK',
      ScanIndexForward: false,
      Limit: page.limit + 2,
      ConsistentRead: true,
    });
    const likers = items
      .map((item) => String(item.SK))
      .filter((sk) => sk !== before)
      .map((sk) => {
        const { likedAtMs, userId } = likerOfSortKey(sk);
        return { userId, likedAt: new Date(likedAtMs) };
      });
    const shown = likers.slice(0, page.limit);
    const last = shown.at(-1);
    return {
      items: shown,
      next: likers.length > page.limit && last ? `${last.likedAt.getTime()}.${last.userId}` : null,
    };
  }

  /** Ids among `photoIds` that `userId` has liked. */
  async likedBy(userId: UserId, photoIds: string[]): Promise<Set<string>> {
    const wanted = new Set(photoIds);
    if (wanted.size === 0) return new Set();
    if (!(await this.indexed.isDone())) return this.byPhotoKeys(userId, [...wanted]);
    if (wanted.size === 1) {
      const [id] = wanted as Set<string> & [string];
      const item = await this.db.get({
        TableName: this.table,
        Key: likedKey(userId, id),
        ConsistentRead: true,
        ProjectionExpression: 'SK',
      });
      return new Set(item ? [id] : []);
    }
    const sorted = [...wanted].sort();
    const inRange = await this.likedBetween(userId, sorted[0]!, sorted.at(-1)!);
    return new Set([...inRange].filter((id) => wanted.has(id)));
  }

  /** Whether every like has its user-side item (LIKES_INDEXED), so the two reads below may be used. */
  isIndexed(): Promise<boolean> {
    return this.indexed.isDone();
  }

  /** Every photo id from `first` to `last` (both included) that `userId` has liked: one Query of their likes. */
  async likedBetween(userId: UserId, first: string, last: string): Promise<Set<string>> {
    const liked = new Set<string>();
    for await (const items of this.db.queryPages({
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :first AND :last',
      ExpressionAttributeValues: {
        ':pk': likesPartition(userId),
        ':first': photoSortKey(first),
        ':last': photoSortKey(last),
      },
      ProjectionExpression: 'SK',
      ConsistentRead: true,
    })) {
      for (const item of items) liked.add(photoIdOfSortKey(String(item.SK)));
    }
    return liked;
  }

  /**
   * The newest photo ids below `before` that `userId` has liked, at most `limit` of them (one
   * Query), and `completeFrom`: every liked id from it up to `before` is in the set ('' when the
   * user likes nothing older).
   */
  async likedBelow(
    userId: UserId,
    before: string,
    limit: number,
  ): Promise<{ liked: Set<string>; completeFrom: string }> {
    const { items, lastKey } = await this.db.query({
      TableName: this.table,
      ...newestPhotosOf(likesPartition(userId), before),
      ProjectionExpression: 'SK',
      Limit: limit,
      ConsistentRead: true,
    });
    const ids = items.map((item) => photoIdOfSortKey(String(item.SK)));
    return { liked: new Set(ids), completeFrom: lastKey ? (ids.at(-1) ?? before) : '' };
  }

  /** Access pattern "the photos a person likes, newest photo first": one Query of `LIKES#<userId>`. */
  async likedPhotos(userId: UserId, page: PageRequest): Promise<Page<LikedPhoto>> {
    const { items } = await this.db.query({
      TableName: this.table,
      ...newestPhotosOf(likesPartition(userId), page.before),
      ProjectionExpression: 'photo_id, created_at',
      Limit: page.limit + 1,
      ConsistentRead: true,
    });
    const liked = items.map((item) => ({
      photoId: String(item.photo_id),
      likedAt: new Date(String(item.created_at)),
    }));
    return toPage(liked, page.limit, (l) => l.photoId);
  }

  /** The key of the item that says `userId` likes the photo: the user-side one once indexed. */
  async keyOf(userId: UserId, photoId: string): Promise<ItemKey> {
    return (await this.indexed.isDone()) ? likedKey(userId, photoId) : likeKey(photoId, userId);
  }

  /** Deletes every like of the photo, each with its other items and its event, page by page. */
  async deleteAllOf(photoId: string): Promise<void> {
    for await (const items of this.db.queryPages({
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': photoPartition(photoId), ':prefix': LIKE_SORT_PREFIX },
      ProjectionExpression: 'PK, SK, user_id, created_at, event_id, event_to',
      ConsistentRead: true,
    })) {
      const requests: WriteRequest[] = items.flatMap((item) => {
        const userId = Number(item.user_id);
        return [
          { DeleteRequest: { Key: { PK: String(item.PK), SK: String(item.SK) } } },
          { DeleteRequest: { Key: likedKey(userId, photoId) } },
          { DeleteRequest: { Key: likerKey(photoId, likedAtOf(item), userId) } },
        ];
      });
      // The events first (with their recipient's badge counters), so a rerun still finds their likes.
      await this.events.remove(items.flatMap((item) => eventOf(item) ?? []));
      await this.db.batchWrite(this.table, requests);
    }
  }

  /** The fallback before indexLikes() ran: one key per photo. */
  private async byPhotoKeys(userId: UserId, photoIds: string[]): Promise<Set<string>> {
    const found = await this.db.batchGet(
      this.table,
      photoIds.map((id) => likeKey(id, userId)),
      { projection: 'PK, SK' },
    );
    return new Set(photoIds.filter((id) => found.get(likeKey(id, userId))));
  }
}

/**
 * Gives every like stored before the user-side items existed its `liked` item, then writes the
 * LIKES_INDEXED marker. Idempotent; run by `npm run setup:aws` (a Scan: maintenance, never a
 * request). Returns how many likes it indexed.
 */
export function indexLikes(db: DynamoClient, table: string): Promise<number> {
  return backfillLikes(db, table, likeIndexMarkerKey(), (like, photoId, userId) => ({
    ...likedKey(userId, photoId),
    type: ENTITY.liked,
    photo_id: photoId,
    user_id: userId,
    created_at: like.created_at,
  }));
}

/**
 * Gives every like stored before the likes list was read by time its `LIKER#` item, then writes
 * the LIKERS_INDEXED marker. Idempotent; run by `npm run setup:aws`. Until it ran, such likes are
 * missing from the likes list (never from the count or from liked_by_me).
 */
export function indexLikers(db: DynamoClient, table: string): Promise<number> {
  return backfillLikes(db, table, likerIndexMarkerKey(), (like, photoId, userId) => ({
    ...likerKey(photoId, likedAtOf(like), userId),
    type: ENTITY.liker,
  }));
}

/**
 * Puts `itemOf(like)` for every like item, each only while its like still exists (a transaction
 * with a condition check), so an unlike racing the backfill is never undone; then the marker.
 * Nothing when the marker is there. Returns how many it put.
 */
async function backfillLikes(
  db: DynamoClient,
  table: string,
  marker: ItemKey,
  itemOf: (like: Item, photoId: string, userId: UserId) => Item,
): Promise<number> {
  if (await isMarked(db, table, marker)) return 0;
  let count = 0;
  for await (const items of db.scanPages({
    TableName: table,
    FilterExpression: '#type = :like',
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: { ':like': ENTITY.like },
    ConsistentRead: true,
  })) {
    for (const item of items) {
      const photoId = String(item.photo_id);
      const userId = Number(item.user_id);
      const failed = await db.transact({
        like: {
          ConditionCheck: {
            TableName: table,
            Key: likeKey(photoId, userId),
            ConditionExpression: 'attribute_exists(PK)',
          },
        },
        item: { Put: { TableName: table, Item: itemOf(item, photoId, userId) } },
      });
      if (!failed) count++;
    }
  }
  await mark(db, table, marker, ENTITY.likeIndexMarker);
  return count;
}
