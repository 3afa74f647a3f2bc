import type { DynamoClient, Item } from './dynamo-client';

/** An index a feed reads: its name, its partition attribute and its sort attribute (a photo id). */
export interface FeedIndex {
  name: string;
  partition: string;
  sort: string;
}

/** Which ids of a partition to read: strictly older than `before`, and no older than `from`. */
export interface IdRange {
  before?: string;
  /** Inclusive; only with `before`. */
  from?: string;
}

/**
 * Access pattern "the newest photos of one partition of a feed index" (All, Home, Profile): up to
 * `limit` items, newest id first, within `range`, following DynamoDB's 1 MB pages until it has
 * them. A global secondary index is eventually consistent.
 */
export async function newestOnIndex(
  db: DynamoClient,
  table: string,
  index: FeedIndex,
  partition: string | number,
  range: IdRange,
  limit: number,
): Promise<Item[]> {
  const { before, from } = range;
  // A key condition has one range test: BETWEEN includes `before` itself, read and dropped.
  const isBetween = before !== undefined && from !== undefined;
  const condition = isBetween ? ' AND #sk BETWEEN :from AND :before' : before ? ' AND #sk < :before' : '';
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const result = await db.query({
      TableName: table,
      IndexName: index.name,
      KeyConditionExpression: `#pk = :pk${condition}`,
      ExpressionAttributeNames: before
        ? { '#pk': index.partition, '#sk': index.sort }
        : { '#pk': index.partition },
      ExpressionAttributeValues: {
        ':pk': partition,
        ...(before ? { ':before': before } : {}),
        ...(isBetween ? { ':from': from } : {}),
      },
      ScanIndexForward: false,
      Limit: limit - items.length + (isBetween ? 1 : 0),
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
    items.push(...result.items.filter((item) => item[index.sort] !== before));
    startKey = result.lastKey;
  } while (startKey && items.length < limit);
  return items.slice(0, limit);
}
