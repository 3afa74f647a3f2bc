import { REQUEST_KEY_TTL_HOURS } from '../../domain/limits';
import type { UserId } from '../../domain/types';
import type { DynamoClient, Item } from './dynamo-client';
import { ENTITY, requestKeyKey, type ItemKey } from './keys';
import { TTL_ATTRIBUTE } from './tables';

/** What kind of item a request with an idempotency key made (photos keep their own item shape). */
export type RequestKind = 'MESSAGE' | 'COMMENT';

const TTL_MS = REQUEST_KEY_TTL_HOURS * 60 * 60_000;

/*
 * A key replays for REQUEST_KEY_TTL_HOURS (domain/limits.ts) after the record it made. Its item
 * carries the TTL attribute, so DynamoDB deletes it after that; TTL deletes lazily (within days),
 * so a key item past its window is also treated as absent: its put's condition lets a new
 * request overwrite it, and reads ignore it.
 */

/** The ISO time before which a key item's `created_at` is past its window. */
const expiredBefore = (): string => new Date(Date.now() - TTL_MS).toISOString();

/** The attributes that age a key item: when its record was made and when DynamoDB may delete it. */
export const requestKeyAge = (createdAt: Date) => ({
  created_at: createdAt.toISOString(),
  [TTL_ATTRIBUTE]: Math.floor((createdAt.getTime() + TTL_MS) / 1000),
});

/** The condition of a key item's put: no such key yet, or only one past its window. */
export const requestKeyCondition = () => ({
  ConditionExpression: 'attribute_not_exists(PK) OR created_at < :expiredBefore',
  ExpressionAttributeValues: { ':expiredBefore': expiredBefore() },
});

/** Whether a key item read back is still inside its window. */
export const isLiveRequestKey = (item: Item): boolean =>
  typeof item.created_at === 'string' && item.created_at >= expiredBefore();

/**
 * The request-key item: one per (user, kind, key), put in the same transaction as the item the
 * request made and naming that item's key. Its condition fails when the key was used before
 * (inside its window).
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
      ...requestKeyAge(createdAt),
    },
    ...requestKeyCondition(),
  },
});

/** The item an earlier request with this key made inside its window (two consistent reads), or null. */
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
  if (!key || !isLiveRequestKey(key)) return null;
  return db.get({
    TableName: table,
    Key: { PK: String(key.target_pk), SK: String(key.target_sk) },
    ConsistentRead: true,
  });
}
