import { REQUEST_KEY_TTL_HOURS } from '../../domain/limits';
import type { UserId } from '../../domain/types';
import type { DynamoClient, Item, TransactItem } from './dynamo-client';
import {
  ENTITY,
  legacyRequestKeyKey,
  requestKeyKey,
  requestKeysPartition,
  type ItemKey,
  type RequestKeyKind,
} from './keys';
import { TTL_ATTRIBUTE } from './tables';

const TTL_MS = REQUEST_KEY_TTL_HOURS * 60 * 60_000;

/*
 * A key replays for REQUEST_KEY_TTL_HOURS (domain/limits.ts) after the record it made. Its item
 * carries the TTL attribute, so DynamoDB deletes it after that; TTL deletes lazily (within days),
 * so a key item past its window is also treated as absent: its put's condition lets a new
 * request overwrite it, and reads ignore it.
 */

/** The ISO time before which a key item's `created_at` is past its window. */
const expiredBefore = (): string => new Date(Date.now() - TTL_MS).toISOString();

/**
 * Until when a key item of the old shape (keys.ts legacyRequestKeyKey) may still replay. Only
 * code from before this process's code wrote them, so every one is older than this process;
 * the hour is for workers of the old code still answering during a reload.
 */
const legacyUntil = Date.now() + TTL_MS + 60 * 60_000;

/** The names of the key's items in a transaction (writes()), which a refusal reports. */
const CURRENT = 'request';
const LEGACY = 'legacyRequest';

/** The condition of a key item's put: no such key yet, or only one past its window. */
const keyCondition = () => ({
  ConditionExpression: 'attribute_not_exists(PK) OR created_at < :expiredBefore',
  ExpressionAttributeValues: { ':expiredBefore': expiredBefore() },
});

/** Whether a key item read back is still inside its window. */
const isLive = (item: Item): boolean =>
  typeof item.created_at === 'string' && item.created_at >= expiredBefore();

/** What a key item made, when that is an item of the same table: its key. */
export const madeItem = (target: ItemKey): Item => ({ target_pk: target.PK, target_sk: target.SK });

/** Whether a transaction with writes() failed because the key was used before (inside its window). */
export const keyRefused = (failed: ReadonlyMap<string, unknown> | null): boolean =>
  failed !== null && (failed.has(CURRENT) || failed.has(LEGACY));

/**
 * The request-key items of one table: one per (user, kind, key), under the user's partition of
 * the table (keys.ts requestKeyKey), put in the same transaction as the item the request made
 * and naming it. The store that owns the table reads them by exact key and deletes a person's
 * with one Query of their partition.
 */
export class DynamoRequestKeys {
  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
  ) {}

  /**
   * The transaction items of a request with a key (none without one), to spread into it: the
   * key item's put, whose condition fails when the key was used before, and while items of the
   * old shape may replay, a check that none holds the key (one more item, no extra call).
   */
  writes(
    userId: UserId,
    kind: RequestKeyKind,
    requestKey: string | undefined,
    made: Item,
    createdAt: Date,
  ): Record<typeof CURRENT | typeof LEGACY, TransactItem | undefined> {
    if (!requestKey) return { [CURRENT]: undefined, [LEGACY]: undefined };
    return {
      [CURRENT]: {
        Put: {
          TableName: this.table,
          Item: {
            ...requestKeyKey(userId, kind, requestKey),
            type: ENTITY.requestKey,
            ...made,
            created_at: createdAt.toISOString(),
            [TTL_ATTRIBUTE]: Math.floor((createdAt.getTime() + TTL_MS) / 1000),
          },
          ...keyCondition(),
        },
      },
      [LEGACY]:
        Date.now() < legacyUntil
          ? {
              ConditionCheck: {
                TableName: this.table,
                Key: legacyRequestKeyKey(userId, kind, requestKey),
                ...keyCondition(),
              },
            }
          : undefined,
    };
  }

  /**
   * The key's item inside its window, or null: one consistent GetItem. After a transaction that
   * writes() was refused, pass its `refused` items: the item read is the one that refused it
   * (of the old shape only when that one did).
   */
  async find(
    userId: UserId,
    kind: RequestKeyKind,
    requestKey: string,
    refused?: ReadonlyMap<string, unknown> | null,
  ): Promise<Item | null> {
    const key =
      refused?.has(LEGACY) && !refused.has(CURRENT)
        ? legacyRequestKeyKey(userId, kind, requestKey)
        : requestKeyKey(userId, kind, requestKey);
    const item = await this.db.get({ TableName: this.table, Key: key, ConsistentRead: true });
    return item && isLive(item) ? item : null;
  }

  /** The item an earlier request with this key made (madeItem) inside its window, or null. */
  async itemMadeWith(
    userId: UserId,
    kind: RequestKeyKind,
    requestKey: string,
    refused?: ReadonlyMap<string, unknown> | null,
  ): Promise<Item | null> {
    const key = await this.find(userId, kind, requestKey, refused);
    if (!key) return null;
    return this.db.get({
      TableName: this.table,
      Key: { PK: String(key.target_pk), SK: String(key.target_sk) },
      ConsistentRead: true,
    });
  }

  /**
   * Deletes every key item of the user in this table (an account deletion): one Query of their
   * partition, page by page, and batch deletes. Returns how many. Items of the old shape cannot
   * be found by user; they expire (legacyUntil).
   */
  removeAllOf(userId: UserId): Promise<number> {
    return this.db.deleteQueried({
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': requestKeysPartition(userId) },
      ConsistentRead: true,
    });
  }
}
