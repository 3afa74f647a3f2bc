import type { UserId } from '../../domain/types';
import type { DynamoClient, Item } from './dynamo-client';
import { ENTITY, requestKeyKey, type ItemKey } from './keys';

/** What kind of item a request with an idempotency key made (photos keep their own item shape). */
export type RequestKind = 'MESSAGE' | 'COMMENT';

/**
 * The request-key item: one per (user, kind, key), put in the same transaction as the item the
 * request made and naming that item's key. Its condition fails when the key was used before.
 */
export const requestKeyPut = (
  table: string,
  userId: UserId,
  kind: RequestKind,
  requestKey: string,
  target: ItemKey,
  createdAt: Date,
) => ({
  Put: {
    TableName: table,
    Item: {
      ...requestKeyKey(userId, kind, requestKey),
      type: ENTITY.requestKey,
      target_pk: target.PK,
      target_sk: target.SK,
      created_at: createdAt.toISOString(),
    },
    ConditionExpression: 'attribute_not_exists(PK)',
  },
});

/** The item an earlier request with this key made (two consistent reads), or null. */
export async function itemMadeWith(
  db: DynamoClient,
  table: string,
  userId: UserId,
  kind: RequestKind,
  requestKey: string,
): Promise<Item | null> {
  const key = await db.get({
    TableName: table,
    Key: requestKeyKey(userId, kind, requestKey),
    ConsistentRead: true,
  });
  if (!key) return null;
  return db.get({
    TableName: table,
    Key: { PK: String(key.target_pk), SK: String(key.target_sk) },
    ConsistentRead: true,
  });
}
