import { setTimeout as sleep } from 'node:timers/promises';
import { encodeTime } from 'ulid';
import type { Page, PageRequest, Photo } from '../../domain/types';
import { byId, emptyPage, toPage } from '../paging';
import { photoMetaPages, setOnPhotos } from './backfill';
import type { DynamoClient, Item } from './dynamo-client';
import { type FeedIndex, newestOnIndex } from './feed-index';
import {
  ALL_FEED_INDEX,
  ALL_FEED_PARTITION,
  allFeedBucket,
  bucketStart,
  ENTITY,
  FEED_BUCKET_ATTRIBUTE,
  feedBucketOf,
  feedMarkerKey,
  GSI1,
  previousBucket,
} from './keys';
import { toPhoto } from './photo-item';

/**
 * All feed: the most month buckets one page request reads. The walk also stops at the bucket of
 * the oldest photo ever written (the FEED#ALL marker), so the common case reads only the months
 * that hold the page. Past this bound the page comes back short with a cursor at the start of
 * the last month read, and the next request walks on from there: a request never reads more
 * than this many (possibly empty) months, however long the site was quiet.
 */
export const MAX_FEED_BUCKETS_PER_PAGE = 24;

/**
 * A first All-feed page starts this far in the future, so a photo whose id came from a worker
 * whose clock runs slightly ahead, across a month's end, is not missed (an extra, empty bucket
 * query only in the last minutes of a month).
 */
const FEED_CLOCK_SKEW_MS = 5 * 60_000;

/**
 * How long a worker trusts the FEED#ALL marker it last read. The marker only moves back when a
 * photo lands in a month older than every photo before it (an import, a clock far behind), so
 * for this long such a photo may be missing from this worker's All feed; new photos in the
 * current month are never affected.
 */
export const FEED_MARKER_TTL_MS = 10_000;

/** The smallest id a ULID made at `ms` can have: a cursor meaning "everything before ms". */
const cursorAt = (ms: number): string => `${encodeTime(ms, 10)}${'0'.repeat(16)}`;

/** The index the All feed reads, as the FEED#ALL marker names it (`feed_index`). */
type FeedIndexName = typeof ALL_FEED_INDEX | typeof GSI1;

const FEED_INDEXES: Record<FeedIndexName, FeedIndex> = {
  [ALL_FEED_INDEX]: { name: ALL_FEED_INDEX, partition: FEED_BUCKET_ATTRIBUTE, sort: 'id' },
  [GSI1]: { name: GSI1, partition: 'GSI1PK', sort: 'GSI1SK' },
};

/**
 * Access pattern "every photo, newest first": ALL_FEED_INDEX's one partition, sorted by photo id,
 * below the cursor. Until indexFeed has given every older photo its `feed_bucket` and named
 * ALL_FEED_INDEX in the FEED#ALL marker, the feed walks GSI1's month buckets (`ALL#2026-11`) from
 * the cursor's month (or now) back to the marker's first bucket instead, and new photos are
 * written to both indexes.
 */
export class AllFeed {
  /** The oldest feed bucket this process knows the marker already covers. */
  private markedBucket: string | undefined;
  /** The marker as this worker last read it, and until when it trusts that (FEED_MARKER_TTL_MS). */
  private knownFirst: { bucket: string; index: FeedIndexName; until: number } | undefined;
  /** Set once this worker has seen the marker name ALL_FEED_INDEX (it never goes back). */
  private isIndexMoved = false;

  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
  ) {}

  /** One Query of ALL_FEED_INDEX; on GSI1, at most MAX_FEED_BUCKETS_PER_PAGE month buckets per page. */
  async list(page: PageRequest): Promise<Page<Photo>> {
    const marker = await this.firstBucket();
    if (!marker) {
      // No photo was ever written (or the table was emptied under us): let the next create mark again.
      this.markedBucket = undefined;
      return emptyPage();
    }
    const want = page.limit + 1;
    if (marker.index === ALL_FEED_INDEX) {
      const items = await this.queryBucket(ALL_FEED_INDEX, ALL_FEED_PARTITION, page.before, want);
      return toPage(items.map(toPhoto), page.limit, byId);
    }
    const found: Item[] = [];
    let bucket = page.before ? allFeedBucket(page.before) : feedBucketOf(Date.now() + FEED_CLOCK_SKEW_MS);
    let lastRead = bucket;
    const { bucket: first, index } = marker;
    for (let read = 0; found.length < want && bucket >= first; read++) {
      if (read === MAX_FEED_BUCKETS_PER_PAGE) {
        // Walked as far as one request may: the next page is everything before the last month read.
        return { items: found.map(toPhoto), next: cursorAt(bucketStart(lastRead)) };
      }
      found.push(...(await this.queryBucket(index, bucket, page.before, want - found.length)));
      lastRead = bucket;
      bucket = previousBucket(bucket);
    }
    return toPage(found.map(toPhoto), page.limit, byId);
  }

  /**
   * Moves the FEED#ALL marker back to `bucket` if it is older than the marker (a conditional
   * update; losing the race to an older bucket is fine). Called before the photo is written, so
   * every photo a feed can see lies at or after the marker. Each process remembers the oldest
   * bucket it has seen covered, so in steady state (new photos land in the current month) this
   * costs one write per process, not one per upload.
   */
  async mark(bucket: string): Promise<void> {
    if (this.markedBucket !== undefined && this.markedBucket <= bucket) return;
    await this.db.update({
      TableName: this.table,
      Key: feedMarkerKey(),
      UpdateExpression: 'SET first_bucket = :bucket, #type = :type',
      ConditionExpression: 'attribute_not_exists(first_bucket) OR first_bucket > :bucket',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':bucket': bucket, ':type': ENTITY.feedMarker },
    });
    this.markedBucket = bucket;
    if (this.knownFirst && bucket < this.knownFirst.bucket) this.knownFirst = undefined;
  }

  /**
   * Whether a new photo must also carry GSI1's keys: until the marker names ALL_FEED_INDEX. Reads
   * the marker only while this worker has not seen it moved (and then at most once per
   * FEED_MARKER_TTL_MS), so a worker's first upload does not put a photo on both indexes.
   */
  async needsGsi1(): Promise<boolean> {
    if (!this.isIndexMoved) await this.firstBucket();
    return !this.isIndexMoved;
  }

  /** One month of the index, newest first (with what a feed answer shows: photo-item.ts FEED_ATTRIBUTES). */
  private queryBucket(
    index: FeedIndexName,
    bucket: string,
    before: string | undefined,
    limit: number,
  ): Promise<Item[]> {
    return newestOnIndex(this.db, this.table, FEED_INDEXES[index], bucket, before ? { before } : {}, limit);
  }

  /** The oldest bucket and the index to read, from this worker's short-lived copy of the marker when it has one. */
  private async firstBucket(): Promise<{ bucket: string; index: FeedIndexName } | null> {
    const now = Date.now();
    if (this.knownFirst && now < this.knownFirst.until) return this.knownFirst;
    const item = await this.db.get({ TableName: this.table, Key: feedMarkerKey(), ConsistentRead: true });
    const bucket = typeof item?.first_bucket === 'string' ? item.first_bucket : null;
    const index: FeedIndexName = item?.feed_index === ALL_FEED_INDEX ? ALL_FEED_INDEX : GSI1;
    if (index === ALL_FEED_INDEX) this.isIndexMoved = true;
    // No marker yet is not cached: the first photo must show at once.
    this.knownFirst = bucket ? { bucket, index, until: now + FEED_MARKER_TTL_MS } : undefined;
    return this.knownFirst ?? null;
  }
}

/**
 * Moves the All feed of a table made before ALL_FEED_INDEX onto it; idempotent, run by `npm run
 * setup:aws` once the index is ACTIVE (a Scan: maintenance, never a request). Three steps, each
 * safe to repeat: every photo without `feed_bucket` gets it (only while the photo exists, so a
 * delete racing this is not undone); the marker names ALL_FEED_INDEX, and workers switch to it
 * within FEED_MARKER_TTL_MS; after that wait, photos lose GSI1's keys, so a like or comment
 * updates one index entry, not two. Returns how many photos it gave `feed_bucket`.
 */
export async function indexFeed(
  db: DynamoClient,
  table: string,
  options: { settleMs?: number } = {},
): Promise<number> {
  // Also a `feed_bucket` other than ALL_FEED_PARTITION (the index's first hours had month buckets).
  const indexed = await setOnPhotos(
    db,
    table,
    {
      filter: `(attribute_not_exists(${FEED_BUCKET_ATTRIBUTE}) OR ${FEED_BUCKET_ATTRIBUTE} <> :all)`,
      values: { ':all': ALL_FEED_PARTITION },
    },
    FEED_BUCKET_ATTRIBUTE,
    () => ALL_FEED_PARTITION,
  );
  const marker = await db.get({ TableName: table, Key: feedMarkerKey(), ConsistentRead: true });
  const isNewlyMoved = marker?.feed_index !== ALL_FEED_INDEX;
  if (isNewlyMoved) {
    await db.update({
      TableName: table,
      Key: feedMarkerKey(),
      UpdateExpression: 'SET feed_index = :index, #type = :type',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':index': ALL_FEED_INDEX, ':type': ENTITY.feedMarker },
    });
  }
  // Workers that read the marker before it moved read GSI1 until their copy expires: wait that
  // long before taking a photo out of GSI1 (a new table has none, and waits for nothing).
  let isSettled = !isNewlyMoved;
  for await (const items of photoMetaPages(db, table, 'attribute_exists(GSI1PK)')) {
    for (const item of items) {
      if (!isSettled) {
        await sleep(options.settleMs ?? FEED_MARKER_TTL_MS);
        isSettled = true;
      }
      await db.update({
        TableName: table,
        Key: { PK: String(item.PK), SK: String(item.SK) },
        UpdateExpression: 'REMOVE GSI1PK, GSI1SK',
        ConditionExpression: 'attribute_exists(PK)',
      });
    }
  }
  return indexed;
}
