import {
  BatchGetCommand,
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import { Unavailable } from '../../domain/errors';
import { DYNAMODB } from './clients';
import type { ItemKey } from './keys';

/**
 * Operations every Dynamo store shares: transactions that report which condition failed, batch
 * reads and writes that finish their unprocessed remainder, and paged queries. Error
 * translation and the clients themselves live in clients.ts.
 */

export type Item = Record<string, unknown>;

type TransactItems = NonNullable<TransactWriteCommandInput['TransactItems']>;

/**
 * DynamoDB refuses (rather than queues) a transaction touching an item another transaction is
 * writing: many likes of one photo at once, or both people of a chat sending at once. Six
 * attempts with jittered backoff (about 2.5 s at worst) ride that out; past it, Unavailable.
 * (DynamoDB Local serialises transactions, so tests never see a conflict.)
 */
const TRANSACTION_ATTEMPTS = 6;

/**
 * Runs a TransactWrite. Resolves null when it committed, or the cancellation reason code of each
 * item (`ConditionalCheckFailed`, `None`, …) when a condition failed, so callers can tell which
 * one. Conflicts with another transaction in flight are retried a few times before giving up.
 */
export async function transactWrite(
  doc: DynamoDBDocumentClient,
  items: TransactItems,
): Promise<string[] | null> {
  return (await transactWriteWithReasons(doc, items))?.map((r) => r.code) ?? null;
}

/** Why one item of a cancelled transaction failed, and the item as it was when it asked for it. */
export interface CancellationReason {
  code: string;
  /**
   * With `ReturnValuesOnConditionCheckFailure: 'ALL_OLD'` on that item, its attributes, still
   * in DynamoDB's typed form (`{ N: '5' }`): the document client does not convert errors.
   */
  item?: Record<string, unknown>;
}

/** transactWrite(), with each failed item's stored attributes when the item asked for them. */
export async function transactWriteWithReasons(
  doc: DynamoDBDocumentClient,
  items: TransactItems,
): Promise<CancellationReason[] | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      await doc.send(new TransactWriteCommand({ TransactItems: items }));
      return null;
    } catch (err) {
      const reasons = cancellationReasons(err);
      if (!reasons) throw err;
      if (reasons.some((r) => r.code === 'ConditionalCheckFailed')) return reasons;
      const isConflict = reasons.some(
        (r) => r.code === 'TransactionConflict' || r.code === 'ThrottlingError',
      );
      if (!isConflict) throw err;
      if (attempt >= TRANSACTION_ATTEMPTS) throw Object.assign(new Unavailable(DYNAMODB), { cause: err });
      await sleep(backoff(attempt));
    }
  }
}

function cancellationReasons(err: unknown): CancellationReason[] | null {
  if (!(err instanceof Error) || err.name !== 'TransactionCanceledException') return null;
  const reasons =
    (err as { CancellationReasons?: { Code?: string; Item?: Record<string, unknown> }[] })
      .CancellationReasons ?? [];
  return reasons.map((r) => ({ code: r.Code ?? 'None', ...(r.Item ? { item: r.Item } : {}) }));
}

export const isConditionFailed = (err: unknown): boolean =>
  err instanceof Error && err.name === 'ConditionalCheckFailedException';

/** Full jitter: a random wait up to 50 ms · 2^attempt, at most 1 s. */
const backoff = (attempt: number): number => Math.random() * Math.min(1000, 50 * 2 ** attempt);

/** A batch still unprocessed after this many rounds is throttling we cannot wait out: Unavailable. */
const BATCH_ROUNDS = 8;
const BATCH_GET_SIZE = 100;
const BATCH_WRITE_SIZE = 25;

const keyString = (key: ItemKey): string => `${key.PK}\u0000${key.SK}`;

/**
 * Reads the items under `keys` (duplicates allowed, missing ones absent from the result) in
 * batches of 100, retrying unprocessed keys with backoff. Strongly consistent unless told otherwise.
 */
export async function batchGet(
  doc: DynamoDBDocumentClient,
  table: string,
  keys: ItemKey[],
  options: { projection?: string; names?: Record<string, string>; consistent?: boolean } = {},
): Promise<Map<string, Item>> {
  const unique = [...new Map(keys.map((k) => [keyString(k), { PK: k.PK, SK: k.SK }])).values()];
  const found = new Map<string, Item>();
  for (let i = 0; i < unique.length; i += BATCH_GET_SIZE) {
    let pending: Item[] = unique.slice(i, i + BATCH_GET_SIZE);
    for (let round = 1; pending.length > 0; round++) {
      if (round > BATCH_ROUNDS) throw new Unavailable(DYNAMODB);
      if (round > 1) await sleep(backoff(round));
      const { Responses, UnprocessedKeys } = await doc.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: pending,
              ConsistentRead: options.consistent ?? true,
              ...(options.projection ? { ProjectionExpression: options.projection } : {}),
              ...(options.names ? { ExpressionAttributeNames: options.names } : {}),
            },
          },
        }),
      );
      for (const item of Responses?.[table] ?? []) found.set(keyString(item as ItemKey), item);
      pending = UnprocessedKeys?.[table]?.Keys ?? [];
    }
  }
  return found;
}

/** Looks an item of a batchGet result up by its key. */
export const foundItem = (found: Map<string, Item>, key: ItemKey): Item | undefined =>
  found.get(keyString(key));

export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: ItemKey } };

/** Writes in batches of 25, retrying unprocessed items with backoff. Keys must be distinct. */
export async function batchWrite(
  doc: DynamoDBDocumentClient,
  table: string,
  requests: WriteRequest[],
): Promise<void> {
  for (let i = 0; i < requests.length; i += BATCH_WRITE_SIZE) {
    let pending: WriteRequest[] = requests.slice(i, i + BATCH_WRITE_SIZE);
    for (let round = 1; pending.length > 0; round++) {
      if (round > BATCH_ROUNDS) throw new Unavailable(DYNAMODB);
      if (round > 1) await sleep(backoff(round));
      const { UnprocessedItems } = await doc.send(
        new BatchWriteCommand({ RequestItems: { [table]: pending } }),
      );
      pending = (UnprocessedItems?.[table] ?? []) as WriteRequest[];
    }
  }
}

/** Every page of a Query, one at a time. */
export async function* queryPages(
  doc: DynamoDBDocumentClient,
  input: QueryCommandInput,
): AsyncGenerator<Item[]> {
  let startKey: Item | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({ ...input, ...(startKey ? { ExclusiveStartKey: startKey } : {}) }),
    );
    yield page.Items ?? [];
    startKey = page.LastEvaluatedKey;
  } while (startKey);
}

/** Deletes every item a Query finds (keys only), page by page. Returns how many. */
export async function deleteQueried(
  doc: DynamoDBDocumentClient,
  input: Omit<QueryCommandInput, 'ProjectionExpression'>,
): Promise<number> {
  let count = 0;
  for await (const items of queryPages(doc, { ...input, ProjectionExpression: 'PK, SK' })) {
    await batchWrite(
      doc,
      input.TableName ?? '',
      items.map((item) => ({ DeleteRequest: { Key: { PK: String(item.PK), SK: String(item.SK) } } })),
    );
    count += items.length;
  }
  return count;
}
