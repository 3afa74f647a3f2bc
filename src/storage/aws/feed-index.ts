import type { DynamoClient, Item } from './dynamo-client';

/** An index a feed reads: its name, its partition attribute and its sort attribute (a photo id). */
export interface FeedIndex {
  name: string;
  partition: string;
  sort: string;
}

/**
 * Access pattern "the newest photos of one partition of a feed index" (All, Home, Profile): up to
 * `limit` items, newest id first, strictly older than `before` when given, following DynamoDB's
 * 1 MB pages until it has them. A global secondary index is eventually consistent.
 */
export async function newestOnIndex(
  db: DynamoClient,
  table: string,
  index: FeedIndex,
  partition: string | number,
  before: string | undefined,
  limit: number,
): Promise<Item[]> {
  const items: Item[] = [];
  let startKey: Item | undefined;
  do {
    const result = await db.query({
      TableName: table,
      IndexName: index.name,
      KeyConditionExpression: before ? '#pk = :pk AND #sk < :before' : '#pk = :pk',
      ExpressionAttributeNames: before
        ? { '#pk': index.partition, '#sk': index.sort }
        : { '#pk': index.partition },
      ExpressionAttributeValues: { ':pk': partition, ...(before ? { ':before': before } : {}) },
      ScanIndexForward: false,
      Limit: limit - items.length,
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    });
    items.push(...result.items);
    startKey = result.lastKey;
  } while (startKey && items.length < limit);
  return items;
}
