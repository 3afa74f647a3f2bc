import type { DynamoClient, Item } from './dynamo-client';
import { type ItemKey, photoKey, photoPartition } from './keys';

/**
 * What the set-up's backfills share (likes.ts indexLikes and indexLikers, all-feed.ts indexFeed,
 * owner-feed.ts indexOwnerFeed): a marker item each writes when it is done, read by the workers
 * to choose between the old way and the new one, and the Scan of every photo's META. Scans are
 * maintenance (`npm run setup:aws`), never a request.
 */

/**
 * How long a worker trusts a "not done yet" answer of a marker before it reads the marker again;
 * "done" is kept for good (a marker is never taken back).
 */
export const MARKER_TTL_MS = 10_000;

/** A marker as one worker reads it: at most once per MARKER_TTL_MS until it is there, then never. */
export class BackfillMarker {
  private doneUntil = 0;

  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
    private readonly key: ItemKey,
  ) {}

  async isDone(): Promise<boolean> {
    if (this.doneUntil === Infinity || Date.now() < this.doneUntil) return this.doneUntil === Infinity;
    const marker = await this.db.get({ TableName: this.table, Key: this.key, ConsistentRead: true });
    this.doneUntil = marker ? Infinity : Date.now() + MARKER_TTL_MS;
    return marker !== null;
  }
}

/** Whether the backfill of `key` has run to its end (the set-up's own check, read fresh). */
export async function isMarked(db: DynamoClient, table: string, key: ItemKey): Promise<boolean> {
  return (await db.get({ TableName: table, Key: key, ConsistentRead: true })) !== null;
}

/** Writes the marker `key` (of entity `type`) with the time its backfill finished. */
export async function mark(db: DynamoClient, table: string, key: ItemKey, type: string): Promise<void> {
  await db.update({
    TableName: table,
    Key: key,
    UpdateExpression: 'SET #type = :type, indexed_at = :at',
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: { ':type': type, ':at': new Date().toISOString() },
  });
}

/**
 * Every photo META item for which `filter` holds, page by page (`PK`, `SK`, `id` and the
 * attributes in `projection`). Found by key shape rather than `type`, so items written by the
 * original application count too.
 */
export function photoMetaPages(
  db: DynamoClient,
  table: string,
  filter: string,
  values: Record<string, unknown> = {},
  projection: string[] = [],
): AsyncGenerator<Item[]> {
  return db.scanPages({
    TableName: table,
    FilterExpression: `SK = :meta AND begins_with(PK, :photo) AND ${filter}`,
    ExpressionAttributeValues: { ':meta': photoKey('').SK, ':photo': photoPartition(''), ...values },
    ProjectionExpression: ['PK', 'SK', 'id', ...projection].join(', '),
    ConsistentRead: true,
  });
}

/**
 * Sets `attribute` to `valueOf(item)` on every photo META item `filter` selects (a photoMetaPages
 * read, with `projection`), each only while the photo still exists, so a delete racing the
 * backfill is not undone. Returns how many it set.
 */
export async function setOnPhotos(
  db: DynamoClient,
  table: string,
  select: { filter: string; values?: Record<string, unknown>; projection?: string[] },
  attribute: string,
  valueOf: (item: Item) => unknown,
): Promise<number> {
  let count = 0;
  for await (const items of photoMetaPages(db, table, select.filter, select.values, select.projection)) {
    for (const item of items) {
      const isSet = await db.update({
        TableName: table,
        Key: { PK: String(item.PK), SK: String(item.SK) },
        UpdateExpression: 'SET #attribute = :value',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: { '#attribute': attribute },
        ExpressionAttributeValues: { ':value': valueOf(item) },
      });
      if (isSet) count++;
    }
  }
  return count;
}
