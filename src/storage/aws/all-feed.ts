import { encodeTime } from 'ulid';
import type { Page, PageRequest, Photo } from '../../domain/types';
import { byId, emptyPage, toPage } from '../paging';
import type { DynamoClient, Item } from './dynamo-client';
import {
  allFeedBucket,
  bucketStart,
  ENTITY,
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

/**
 * Access pattern "every photo, newest first": GSI1's month buckets (`ALL#2026-11`, sorted by
 * photo id), walked from the cursor's month (or now) back to the FEED#ALL marker.
 */
export class AllFeed {
  /** The oldest feed bucket this process knows the marker already covers. */
  private markedBucket: string | undefined;
  /** The marker as this worker last read it, and until when it trusts that (FEED_MARKER_TTL_MS). */
  private knownFirst: { bucket: string; until: number } | undefined;

  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
  ) {}

  /** At most MAX_FEED_BUCKETS_PER_PAGE buckets per page. */
  async list(page: PageRequest): Promise<Page<Photo>> {
    const first = await this.firstBucket();
    if (!first) {
      // No photo was ever written (or the table was emptied under us): let the next create mark again.
      this.markedBucket = undefined;
      return emptyPage();
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
      found.push(...(await this.queryBucket(bucket, page.before, want - found.length)));
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

  /** One month of GSI1, newest first (the index projects every attribute). */
  private async queryBucket(bucket: string, before: string | undefined, limit: number): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const result = await this.db.query({
        TableName: this.table,
        IndexName: GSI1,
        KeyConditionExpression: before ? 'GSI1PK = :bucket AND GSI1SK < :before' : 'GSI1PK = :bucket',
        ExpressionAttributeValues: { ':bucket': bucket, ...(before ? { ':before': before } : {}) },
        ScanIndexForward: false,
        Limit: limit - items.length,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      items.push(...result.items);
      startKey = result.lastKey;
    } while (startKey && items.length < limit);
    return items;
  }

  /** The oldest bucket, from this worker's short-lived copy of the marker when it has one. */
  private async firstBucket(): Promise<string | null> {
    const now = Date.now();
    if (this.knownFirst && now < this.knownFirst.until) return this.knownFirst.bucket;
    const item = await this.db.get({ TableName: this.table, Key: feedMarkerKey(), ConsistentRead: true });
    const bucket = typeof item?.first_bucket === 'string' ? item.first_bucket : null;
    // No marker yet is not cached: the first photo must show at once.
    this.knownFirst = bucket ? { bucket, until: now + FEED_MARKER_TTL_MS } : undefined;
    return bucket;
  }
}
