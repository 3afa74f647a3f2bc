import { GetCommand, QueryCommand, type QueryCommandInput, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { encodeTime } from 'ulid';
import { Conflict } from '../../domain/errors';
import { photoTerms } from '../../domain/search';
import type { ImageKeys, NewPhoto, Page, PageRequest, Photo, PhotoEdit, UserId } from '../../domain/types';
import { Semaphore } from '../../lib/semaphore';
import type { LikeResult, PhotoStore } from '../../ports';
import {
  batchGet,
  batchWrite,
  deleteQueried,
  foundItem,
  isConditionFailed,
  type Item,
  transactWrite,
} from './dynamo-ops';
import { DYNAMODB, guard } from './clients';
import {
  allFeedBucket,
  bucketStart,
  ENTITY,
  feedBucketOf,
  feedMarkerKey,
  GSI1,
  LIKE_SORT_PREFIX,
  likeKey,
  ownerIndexKey,
  ownerPartition,
  PHOTO_SORT_PREFIX,
  photoIdOfSortKey,
  photoKey,
  photoPartition,
  photoSortKey,
  previousBucket,
  termKey,
  termPartition,
} from './keys';

/** DynamoDB allows at most 100 actions in one TransactWrite. */
const MAX_TRANSACTION_ITEMS = 100;

/**
 * All feed: the most month buckets one page request reads. The walk also stops at the bucket of
 * the oldest photo ever written (the FEED#ALL marker), so the common case reads only the months
 * that hold the page. Past this bound the page comes back short with a cursor at the start of
 * the last month read, and the next request walks on from there: a request never reads more
 * than this many (possibly empty) months, however long the site was quiet.
 */
export const MAX_FEED_BUCKETS_PER_PAGE = 24;

/**
 * Search: the most term index entries one page request examines. Candidates come newest first
 * from the partition of one term (the longest word, the most selective guess); every term, that
 * one too (an entry may lag an edit by a moment), is checked against the `terms` list stored on
 * each candidate's META item (read anyway to show the photo), and the owner filter against the entry's `user_id`. When the bound is hit
 * before the page is full, the page comes back short (perhaps empty) with a cursor at the last
 * entry examined, so following `next` continues the search where it stopped.
 */
export const MAX_SEARCH_ENTRIES_PER_PAGE = 1000;
const SEARCH_CHUNK_MIN = 50;

/** Home feed: owners' index partitions queried at once. */
const OWNER_QUERY_CONCURRENCY = 16;

/**
 * A first All-feed page starts this far in the future, so a photo whose id came from a worker
 * whose clock runs slightly ahead, across a month's end, is not missed (an extra, empty bucket
 * query only in the last minutes of a month).
 */
const FEED_CLOCK_SKEW_MS = 5 * 60_000;

export interface PhotoItem extends Item {
  PK: string;
  SK: string;
  type: typeof ENTITY.photo;
  GSI1PK: string;
  GSI1SK: string;
  id: string;
  user_id: number;
  username: string;
  topic?: string;
  caption: string;
  alt?: string;
  created_at: string;
  edited_at?: string;
  width: number;
  height: number;
  likes: number;
  comment_count: number;
  full_key: string;
  /** Absent on photos stored before the medium size, until the image backfill. */
  medium_key?: string;
  thumb_key: string;
  content_type: string;
  /** The photo's search terms, for the search's other-term check and for deleting its term items. */
  terms: string[];
}

function toPhotoItem(photo: NewPhoto, terms: string[]): PhotoItem {
  return {
    ...photoKey(photo.id),
    type: ENTITY.photo,
    GSI1PK: allFeedBucket(photo.id),
    GSI1SK: photo.id,
    id: photo.id,
    user_id: photo.userId,
    username: photo.username,
    ...(photo.topic !== null ? { topic: photo.topic } : {}),
    caption: photo.caption,
    ...(photo.alt !== null ? { alt: photo.alt } : {}),
    created_at: photo.createdAt.toISOString(),
    width: photo.width,
    height: photo.height,
    likes: 0,
    comment_count: 0,
    full_key: photo.keys.full,
    ...(photo.keys.medium !== null ? { medium_key: photo.keys.medium } : {}),
    thumb_key: photo.keys.thumb,
    content_type: photo.contentType,
    terms,
  };
}

function toPhoto(item: Item): Photo {
  const p = item as PhotoItem;
  return {
    id: p.id,
    userId: Number(p.user_id),
    username: p.username,
    topic: p.topic ?? null,
    caption: p.caption,
    alt: p.alt ?? null,
    createdAt: new Date(p.created_at),
    editedAt: p.edited_at ? new Date(p.edited_at) : null,
    likes: Number(p.likes ?? 0),
    commentCount: Number(p.comment_count ?? 0),
    width: Number(p.width),
    height: Number(p.height),
    keys: { full: p.full_key, medium: p.medium_key ?? null, thumb: p.thumb_key },
    contentType: p.content_type,
  };
}

/** Newest-first key condition on a partition of `PHOTO#<id>` sort keys, below the cursor if any. */
function olderThan(
  pk: string,
  before: string | undefined,
): Pick<QueryCommandInput, 'KeyConditionExpression' | 'ExpressionAttributeValues' | 'ScanIndexForward'> {
  return before
    ? {
        KeyConditionExpression: 'PK = :pk AND SK < :before',
        ExpressionAttributeValues: { ':pk': pk, ':before': photoSortKey(before) },
        ScanIndexForward: false,
      }
    : {
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ':prefix': PHOTO_SORT_PREFIX },
        ScanIndexForward: false,
      };
}

const emptyPage = <T>(): Page<T> => ({ items: [], next: null });

/** The smallest id a ULID made at `ms` can have: a cursor meaning "everything before ms". */
const cursorAt = (ms: number): string => `${encodeTime(ms, 10)}${'0'.repeat(16)}`;

/** Photos, likes, owners' index and search terms in lumina_photos. No Scan anywhere. */
export class DynamoPhotoStore implements PhotoStore {
  /** The oldest feed bucket this process knows the marker already covers. */
  private markedBucket: string | undefined;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  ping(): Promise<void> {
    return guard(DYNAMODB, async () => {
      await this.doc.send(new GetCommand({ TableName: this.table, Key: feedMarkerKey() }));
    });
  }

  /**
   * META and the owner's index item in one transaction (conditional on the id being new), with
   * the term items in the same transaction when they fit its 100 actions. Otherwise the terms
   * are batch-written first: a term entry whose META does not exist is skipped by search, so
   * the photo appears in no list until the transaction commits.
   */
  create(photo: NewPhoto): Promise<Photo> {
    return guard(DYNAMODB, async () => {
      const terms = photoTerms(photo);
      const meta = toPhotoItem(photo, terms);
      await this.markFeedBucket(meta.GSI1PK);
      const termItems = terms.map((term) => ({
        ...termKey(term, photo.id),
        type: ENTITY.term,
        term,
        photo_id: photo.id,
        user_id: photo.userId,
      }));
      const core = [
        { Put: { TableName: this.table, Item: meta, ConditionExpression: 'attribute_not_exists(PK)' } },
        {
          Put: {
            TableName: this.table,
            Item: { ...ownerIndexKey(photo.userId, photo.id), type: ENTITY.ownerPhoto, photo_id: photo.id },
          },
        },
      ];
      let failed: string[] | null;
      if (core.length + termItems.length <= MAX_TRANSACTION_ITEMS) {
        failed = await transactWrite(this.doc, [
          ...core,
          ...termItems.map((item) => ({ Put: { TableName: this.table, Item: item } })),
        ]);
      } else {
        await batchWrite(
          this.doc,
          this.table,
          termItems.map((item) => ({ PutRequest: { Item: item } })),
        );
        failed = await transactWrite(this.doc, core);
      }
      if (failed) throw new Conflict('A photo with this id already exists.', 'photo_exists');
      return { ...photo, editedAt: null, likes: 0, commentCount: 0 };
    });
  }

  get(id: string): Promise<Photo | null> {
    return guard(DYNAMODB, async () => {
      const item = await this.getMeta(id);
      return item ? toPhoto(item) : null;
    });
  }

  /**
   * Reads META, deletes it with the owner's index item in one transaction (so a concurrent
   * delete returns null), then the term items and every like (queried page by page).
   */
  delete(id: string): Promise<Photo | null> {
    return guard(DYNAMODB, async () => {
      const item = await this.getMeta(id);
      if (!item) return null;
      const photo = toPhoto(item);
      const failed = await transactWrite(this.doc, [
        { Delete: { TableName: this.table, Key: photoKey(id), ConditionExpression: 'attribute_exists(PK)' } },
        { Delete: { TableName: this.table, Key: ownerIndexKey(photo.userId, id) } },
      ]);
      if (failed) return null;
      const terms = Array.isArray(item.terms) ? (item.terms as string[]) : photoTerms(photo);
      await batchWrite(
        this.doc,
        this.table,
        [...new Set(terms)].map((term) => ({ DeleteRequest: { Key: termKey(term, id) } })),
      );
      await deleteQueried(this.doc, {
        TableName: this.table,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': photoPartition(id), ':prefix': LIKE_SORT_PREFIX },
        ConsistentRead: true,
      });
      return photo;
    });
  }

  /**
   * Home and Profile feeds: each owner's index partition newest first (page + 1 ids each, at most
   * 16 queries in flight), merged by id, then the page's META items in one batch, in order.
   */
  listByOwners(ownerIds: UserId[], page: PageRequest): Promise<Page<Photo>> {
    return guard(DYNAMODB, async () => {
      const owners = [...new Set(ownerIds)];
      if (owners.length === 0) return emptyPage<Photo>();
      const want = page.limit + 1;
      const gate = new Semaphore(OWNER_QUERY_CONCURRENCY);
      const perOwner = await Promise.all(
        owners.map((owner) => gate.run(() => this.queryOwnerIndex(owner, page.before, want))),
      );
      const ids = [...new Set(perOwner.flat())].sort().reverse().slice(0, want);
      const pageIds = ids.slice(0, page.limit);
      const next = ids.length > page.limit ? (pageIds.at(-1) ?? null) : null;
      return { items: await this.fetchPhotos(pageIds), next };
    });
  }

  /**
   * All feed: GSI1's month buckets newest first, from the cursor's month (or now) back to the
   * oldest bucket ever written, at most MAX_FEED_BUCKETS_PER_PAGE of them.
   */
  listAll(page: PageRequest): Promise<Page<Photo>> {
    return guard(DYNAMODB, async () => {
      const first = await this.firstFeedBucket();
      if (!first) {
        // No photo was ever written (or the table was emptied under us): let the next create mark again.
        this.markedBucket = undefined;
        return emptyPage<Photo>();
      }
      const want = page.limit + 1;
      const found: Item[] = [];
      let bucket = page.before ? allFeedBucket(page.before) : feedBucketOf(Date.now() + FEED_CLOCK_SKEW_MS);
      let lastRead = bucket;
      for (let read = 0; found.length < want && bucket >= first; read++) {
        if (read === MAX_FEED_BUCKETS_PER_PAGE) {
          // Walked as far as one request may: the next page is everything before the last month read.
          return { items: found.map(toPhoto), next: cursorAt(bucketStart(lastRead)) };
        }
        found.push(...(await this.queryFeedBucket(bucket, page.before, want - found.length)));
        lastRead = bucket;
        bucket = previousBucket(bucket);
      }
      const items = found.slice(0, page.limit).map(toPhoto);
      return { items, next: found.length > page.limit ? (items.at(-1)?.id ?? null) : null };
    });
  }

  search(terms: string[], ownerIds: UserId[] | undefined, page: PageRequest): Promise<Page<Photo>> {
    return guard(DYNAMODB, async () => {
      const wanted = [...new Set(terms)];
      const lead = leadTerm(wanted);
      if (lead === undefined) return emptyPage<Photo>();
      const owners = ownerIds ? new Set(ownerIds) : undefined;
      if (owners?.size === 0) return emptyPage<Photo>();

      const want = page.limit + 1;
      const matches: Photo[] = [];
      let cursor = page.before;
      let examined = 0;
      let isExhausted = false;
      while (matches.length < want && examined < MAX_SEARCH_ENTRIES_PER_PAGE) {
        const limit = Math.min(MAX_SEARCH_ENTRIES_PER_PAGE - examined, Math.max(want, SEARCH_CHUNK_MIN));
        const result = await this.doc.send(
          new QueryCommand({
            TableName: this.table,
            ...olderThan(termPartition(lead), cursor),
            ProjectionExpression: 'SK, #user',
            ExpressionAttributeNames: { '#user': 'user_id' },
            Limit: limit,
            ConsistentRead: true,
          }),
        );
        const entries = result.Items ?? [];
        examined += entries.length;
        const candidates = entries
          .filter((entry) => !owners || owners.has(Number(entry.user_id)))
          .map((entry) => photoIdOfSortKey(String(entry.SK)));
        const metas = await batchGet(this.doc, this.table, candidates.map(photoKey));
        for (const id of candidates) {
          const meta = foundItem(metas, photoKey(id));
          if (!meta) continue; // a term entry outliving (or preceding) its photo
          const photoTermSet = new Set(Array.isArray(meta.terms) ? (meta.terms as string[]) : []);
          if (wanted.every((t) => photoTermSet.has(t))) matches.push(toPhoto(meta));
        }
        const last = entries.at(-1);
        if (last) cursor = photoIdOfSortKey(String(last.SK));
        if (!result.LastEvaluatedKey) {
          isExhausted = true;
          break;
        }
      }
      if (matches.length > page.limit) {
        const items = matches.slice(0, page.limit);
        return { items, next: items.at(-1)?.id ?? null };
      }
      return { items: matches, next: isExhausted ? null : (cursor ?? null) };
    });
  }

  likedBy(userId: UserId, photoIds: string[]): Promise<Set<string>> {
    return guard(DYNAMODB, async () => {
      const found = await batchGet(
        this.doc,
        this.table,
        photoIds.map((id) => likeKey(id, userId)),
        { projection: 'PK, SK' },
      );
      return new Set(photoIds.filter((id) => foundItem(found, likeKey(id, userId))));
    });
  }

  /**
   * One transaction: the like item if absent, and likes + 1 on META if it exists. A like that
   * already exists cancels it; that is "liked, count unchanged" (idempotent).
   */
  like(photoId: string, userId: UserId): Promise<LikeResult | null> {
    return guard(DYNAMODB, async () => {
      const failed = await transactWrite(this.doc, [
        {
          Put: {
            TableName: this.table,
            Item: {
              ...likeKey(photoId, userId),
              type: ENTITY.like,
              photo_id: photoId,
              user_id: userId,
              created_at: new Date().toISOString(),
            },
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        this.addLikes(photoId, 1),
      ]);
      if (failed?.[1] === 'ConditionalCheckFailed') return null;
      return this.likeResult(photoId, true);
    });
  }

  /** The reverse of like: delete the like item if present, and likes − 1 on META. */
  unlike(photoId: string, userId: UserId): Promise<LikeResult | null> {
    return guard(DYNAMODB, async () => {
      const failed = await transactWrite(this.doc, [
        {
          Delete: {
            TableName: this.table,
            Key: likeKey(photoId, userId),
            ConditionExpression: 'attribute_exists(PK)',
          },
        },
        this.addLikes(photoId, -1),
      ]);
      if (failed?.[1] === 'ConditionalCheckFailed') return null;
      return this.likeResult(photoId, false);
    });
  }

  /**
   * New text and new terms in one transaction with the META update when the change fits its 100
   * actions (the usual case). A larger change puts the added term items first (search checks
   * every term against META's list, so an entry ahead of its META matches nothing), commits
   * META with as many removals as fit, and deletes the remaining removed items right after.
   */
  update(id: string, edit: PhotoEdit, editedAt: Date): Promise<Photo | null> {
    return guard(DYNAMODB, async () => {
      const item = await this.getMeta(id);
      if (!item) return null;
      const before = toPhoto(item);
      const oldTerms = new Set(Array.isArray(item.terms) ? (item.terms as string[]) : photoTerms(before));
      const after: Photo = { ...before, ...edit, editedAt };
      const newTerms = photoTerms(after);
      const added = newTerms.filter((t) => !oldTerms.has(t));
      const removed = [...oldTerms].filter((t) => !newTerms.includes(t));
      const putTerm = (term: string) => ({
        ...termKey(term, id),
        type: ENTITY.term,
        term,
        photo_id: id,
        user_id: before.userId,
      });
      const sets = ['caption = :caption', 'terms = :terms', 'edited_at = :edited'];
      const removes: string[] = [];
      if (edit.topic !== null) sets.push('topic = :topic');
      else removes.push('topic');
      if (edit.alt !== null) sets.push('alt = :alt');
      else removes.push('alt');
      const metaUpdate = {
        Update: {
          TableName: this.table,
          Key: photoKey(id),
          UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
          ConditionExpression: 'attribute_exists(PK)',
          ExpressionAttributeValues: {
            ':caption': edit.caption,
            ':terms': newTerms,
            ':edited': editedAt.toISOString(),
            ...(edit.topic !== null ? { ':topic': edit.topic } : {}),
            ...(edit.alt !== null ? { ':alt': edit.alt } : {}),
          },
        },
      };
      const room = MAX_TRANSACTION_ITEMS - 1;
      const fitsAll = added.length + removed.length <= room;
      if (!fitsAll) {
        await batchWrite(
          this.doc,
          this.table,
          added.map((term) => ({ PutRequest: { Item: putTerm(term) } })),
        );
      }
      const inTransaction = fitsAll ? removed : removed.slice(0, room);
      const failed = await transactWrite(this.doc, [
        metaUpdate,
        ...(fitsAll ? added.map((term) => ({ Put: { TableName: this.table, Item: putTerm(term) } })) : []),
        ...inTransaction.map((term) => ({ Delete: { TableName: this.table, Key: termKey(term, id) } })),
      ]);
      if (failed) return null;
      const rest = removed.slice(inTransaction.length);
      await batchWrite(
        this.doc,
        this.table,
        rest.map((term) => ({ DeleteRequest: { Key: termKey(term, id) } })),
      );
      return after;
    });
  }

  setImageKeys(id: string, keys: ImageKeys): Promise<boolean> {
    return guard(DYNAMODB, async () => {
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: photoKey(id),
            UpdateExpression:
              keys.medium !== null
                ? 'SET thumb_key = :thumb, medium_key = :medium'
                : 'SET thumb_key = :thumb REMOVE medium_key',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeValues: {
              ':thumb': keys.thumb,
              ...(keys.medium !== null ? { ':medium': keys.medium } : {}),
            },
          }),
        );
        return true;
      } catch (err) {
        if (isConditionFailed(err)) return false;
        throw err;
      }
    });
  }

  private addLikes(photoId: string, delta: 1 | -1) {
    return {
      Update: {
        TableName: this.table,
        Key: photoKey(photoId),
        UpdateExpression: 'ADD likes :delta',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':delta': delta },
      },
    };
  }

  private async likeResult(photoId: string, liked: boolean): Promise<LikeResult | null> {
    const item = await this.getMeta(photoId, 'likes');
    return item ? { likes: Number(item.likes ?? 0), liked } : null;
  }

  private async getMeta(id: string, projection?: string): Promise<Item | null> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.table,
        Key: photoKey(id),
        ConsistentRead: true,
        ...(projection ? { ProjectionExpression: projection } : {}),
      }),
    );
    return Item ?? null;
  }

  /** Access pattern "how many photos one owner has": a COUNT query on the owner's index partition. */
  countByOwner(userId: UserId): Promise<number> {
    return guard(DYNAMODB, async () => {
      let count = 0;
      let startKey: Item | undefined;
      do {
        const result = await this.doc.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'PK = :owner AND begins_with(SK, :photo)',
            ExpressionAttributeValues: { ':owner': ownerPartition(userId), ':photo': PHOTO_SORT_PREFIX },
            Select: 'COUNT',
            ConsistentRead: true,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        count += result.Count ?? 0;
        startKey = result.LastEvaluatedKey;
      } while (startKey);
      return count;
    });
  }

  /** Access pattern "photos of one owner, newest first": ids only. */
  private async queryOwnerIndex(owner: UserId, before: string | undefined, limit: number): Promise<string[]> {
    const { Items } = await this.doc.send(
      new QueryCommand({
        TableName: this.table,
        ...olderThan(ownerPartition(owner), before),
        ProjectionExpression: 'SK',
        Limit: limit,
        ConsistentRead: true,
      }),
    );
    return (Items ?? []).map((item) => photoIdOfSortKey(String(item.SK)));
  }

  /** Access pattern "All feed, one month, newest first" on GSI1 (projects every attribute). */
  private async queryFeedBucket(bucket: string, before: string | undefined, limit: number): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const result = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: GSI1,
          KeyConditionExpression: before ? 'GSI1PK = :bucket AND GSI1SK < :before' : 'GSI1PK = :bucket',
          ExpressionAttributeValues: { ':bucket': bucket, ...(before ? { ':before': before } : {}) },
          ScanIndexForward: false,
          Limit: limit - items.length,
          ...(startKey ? { ExclusiveStartKey: startKey } : {}),
        }),
      );
      items.push(...(result.Items ?? []));
      startKey = result.LastEvaluatedKey;
    } while (startKey && items.length < limit);
    return items;
  }

  /** The META items of `ids`, in the order of `ids`; ids whose photo is gone are skipped. */
  private async fetchPhotos(ids: string[]): Promise<Photo[]> {
    const found = await batchGet(this.doc, this.table, ids.map(photoKey));
    return ids.flatMap((id) => {
      const item = foundItem(found, photoKey(id));
      return item ? [toPhoto(item)] : [];
    });
  }

  private async firstFeedBucket(): Promise<string | null> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.table, Key: feedMarkerKey(), ConsistentRead: true }),
    );
    return typeof Item?.first_bucket === 'string' ? Item.first_bucket : null;
  }

  /**
   * Moves the FEED#ALL marker back to `bucket` if it is older than the marker (a conditional
   * update; losing the race to an older bucket is fine). Written before the photo, so every
   * photo a feed can see lies at or after the marker. Each process remembers the oldest bucket
   * it has seen covered, so in steady state (new photos land in the current month) this costs
   * one write per process, not one per upload.
   */
  private async markFeedBucket(bucket: string): Promise<void> {
    if (this.markedBucket !== undefined && this.markedBucket <= bucket) return;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: feedMarkerKey(),
          UpdateExpression: 'SET first_bucket = :bucket, #type = :type',
          ConditionExpression: 'attribute_not_exists(first_bucket) OR first_bucket > :bucket',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':bucket': bucket, ':type': ENTITY.feedMarker },
        }),
      );
    } catch (err) {
      if (!isConditionFailed(err)) throw err;
    }
    this.markedBucket = bucket;
  }
}

/** The term whose partition search walks: the longest word (most selective guess), else a topic. */
function leadTerm(terms: string[]): string | undefined {
  const words = terms.filter((t) => !t.startsWith('topic:'));
  const pool = words.length > 0 ? words : terms;
  return pool.reduce<string | undefined>(
    (best, t) => (best === undefined || t.length > best.length ? t : best),
    undefined,
  );
}
