import type { Page, PageRequest, UserId } from '../../domain/types';
import type { LikedPhoto } from '../../ports';
import { toPage } from '../paging';
import type { DynamoClient, TransactItem, WriteRequest } from './dynamo-client';
import {
  ENTITY,
  type ItemKey,
  LIKE_SORT_PREFIX,
  likedKey,
  likeIndexMarkerKey,
  likeKey,
  likesPartition,
  newestPhotosOf,
  photoIdOfSortKey,
  photoPartition,
  photoSortKey,
} from './keys';

/**
 * How long a worker trusts a "not indexed yet" answer of the LIKES_INDEXED marker before it reads
 * the marker again; "indexed" is kept for good (the index never goes away).
 */
const MARKER_TTL_MS = 10_000;

/**
 * Access pattern "which of these photos has the viewer liked": each like is stored twice, under
 * its photo (`PHOTO#<id>`, `LIKE#<userId>`: counted and deleted with the photo) and under its user
 * (`LIKES#<userId>`, `PHOTO#<id>`), both in the like's transaction. A feed page's likes are then one
 * Query over the viewer's own like items in the page's id range (a few small items) instead of a
 * read per photo. Likes stored before the user-side items existed are indexed by indexLikes()
 * (`npm run setup:aws`); until its marker is written, likes are read by their photo-side keys.
 */
export class Likes {
  private indexedUntil = 0;

  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
  ) {}

  /** The like items a like puts, in its transaction (the photo-side one only if absent). */
  put(photoId: string, userId: UserId): { like: TransactItem; liked: TransactItem } {
    const fields = { photo_id: photoId, user_id: userId, created_at: new Date().toISOString() };
    return {
      like: {
        Put: {
          TableName: this.table,
          Item: { ...likeKey(photoId, userId), type: ENTITY.like, ...fields },
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      liked: {
        Put: { TableName: this.table, Item: { ...likedKey(userId, photoId), type: ENTITY.liked, ...fields } },
      },
    };
  }

  /** The like items an unlike deletes, in its transaction (the photo-side one only if present). */
  delete(photoId: string, userId: UserId): { like: TransactItem; liked: TransactItem } {
    return {
      like: {
        Delete: {
          TableName: this.table,
          Key: likeKey(photoId, userId),
          ConditionExpression: 'attribute_exists(PK)',
        },
      },
      liked: { Delete: { TableName: this.table, Key: likedKey(userId, photoId) } },
    };
  }

  /** Ids among `photoIds` that `userId` has liked. */
  async likedBy(userId: UserId, photoIds: string[]): Promise<Set<string>> {
    const wanted = new Set(photoIds);
    if (wanted.size === 0) return new Set();
    if (!(await this.isIndexed())) return this.byPhotoKeys(userId, [...wanted]);
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
    const liked = new Set<string>();
    for await (const items of this.db.queryPages({
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :first AND :last',
      ExpressionAttributeValues: {
        ':pk': likesPartition(userId),
        ':first': photoSortKey(sorted[0]!),
        ':last': photoSortKey(sorted.at(-1)!),
      },
      ProjectionExpression: 'SK',
      ConsistentRead: true,
    })) {
      for (const item of items) {
        const id = photoIdOfSortKey(String(item.SK));
        if (wanted.has(id)) liked.add(id);
      }
    }
    return liked;
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
    return (await this.isIndexed()) ? likedKey(userId, photoId) : likeKey(photoId, userId);
  }

  /** Deletes every like of the photo, both items of each, page by page. */
  async deleteAllOf(photoId: string): Promise<void> {
    for await (const items of this.db.queryPages({
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': photoPartition(photoId), ':prefix': LIKE_SORT_PREFIX },
      ProjectionExpression: 'PK, SK, user_id',
      ConsistentRead: true,
    })) {
      const requests: WriteRequest[] = items.flatMap((item) => [
        { DeleteRequest: { Key: { PK: String(item.PK), SK: String(item.SK) } } },
        { DeleteRequest: { Key: likedKey(Number(item.user_id), photoId) } },
      ]);
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

  private async isIndexed(): Promise<boolean> {
    if (this.indexedUntil === Infinity || Date.now() < this.indexedUntil)
      return this.indexedUntil === Infinity;
    const marker = await this.db.get({
      TableName: this.table,
      Key: likeIndexMarkerKey(),
      ConsistentRead: true,
    });
    this.indexedUntil = marker ? Infinity : Date.now() + MARKER_TTL_MS;
    return marker !== null;
  }
}

/**
 * Gives every like stored before the user-side items existed its `liked` item, then writes the
 * LIKES_INDEXED marker. Idempotent; run by `npm run setup:aws` (a Scan: maintenance, never a
 * request). Each item is put only while its like still exists (a transaction with a condition
 * check), so an unlike racing the backfill is never undone. Returns how many likes it indexed.
 */
export async function indexLikes(db: DynamoClient, table: string): Promise<number> {
  if (await db.get({ TableName: table, Key: likeIndexMarkerKey(), ConsistentRead: true })) return 0;
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
        liked: {
          Put: {
            TableName: table,
            Item: {
              ...likedKey(userId, photoId),
              type: ENTITY.liked,
              photo_id: photoId,
              user_id: userId,
              created_at: item.created_at,
            },
          },
        },
      });
      if (!failed) count++;
    }
  }
  await db.update({
    TableName: table,
    Key: likeIndexMarkerKey(),
    UpdateExpression: 'SET #type = :type, indexed_at = :at',
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: { ':type': ENTITY.likeIndexMarker, ':at': new Date().toISOString() },
  });
  return count;
}
