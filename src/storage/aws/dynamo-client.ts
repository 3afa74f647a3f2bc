import { type AttributeValue, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DeleteCommandInput,
  DynamoDBDocumentClient,
  type GetCommandInput,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AwsConfig } from '../../config';
import { Unavailable } from '../../domain/errors';
import { withCallSignal } from '../../lib/deadline';
import type { StoreCall, StoreCallListener } from '../../ports';
import { timed } from '../store-calls';
import {
  ConditionFailed,
  DYNAMODB,
  isRefusedCondition,
  TransactionCancelled,
  translateDynamoError,
} from './errors';
import { DynamoHttp, type WireOutput } from './dynamo-http';
import type { ItemKey } from './keys';
import { credentialsOf, endpointOf, httpHandler, MAX_ATTEMPTS } from './sdk-config';

export type Item = Record<string, unknown>;
type SendOptions = { abortSignal?: AbortSignal };
export type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];
export type WriteRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: ItemKey } };

/** The time limit each client was made with, for DynamoClient's own read path (dynamo-http.ts). */
const timeoutsOf = new WeakMap<DynamoDBClient, number>();
const DEFAULT_TIMEOUT_MS = 10_000;

/** The low-level client (tables are created with it, tables.ts); stores use DynamoClient on top. */
export function createDynamoDbClient(config: AwsConfig, timeoutMs: number): DynamoDBClient {
  const client = new DynamoDBClient({
    region: config.region,
    ...endpointOf(config.dynamodb.endpoint),
    ...credentialsOf(config),
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: httpHandler(timeoutMs, timeoutMs),
  });
  timeoutsOf.set(client, timeoutMs);
  return client;
}

type Wire = Record<string, AttributeValue>;
const MARSHALL = { removeUndefinedValues: true } as const;
const toWire = (item: Item): Wire => marshall(item, MARSHALL);
const fromWire = (item: unknown): Item => unmarshall(item as Wire);
/** An optional map of plain values, in DynamoDB's typed form (absent stays absent). */
const wireField = <K extends string>(name: K, value: Item | undefined): Partial<Record<K, Wire>> =>
  value === undefined ? {} : ({ [name]: toWire(value) } as Record<K, Wire>);

/**
 * DynamoDB refuses (rather than queues) a transaction touching an item another transaction is
 * writing: many likes of one photo at once, or both people of a chat sending at once. Six
 * attempts with jittered backoff (about 2.5 s at worst) ride that out; past it, Unavailable.
 * (DynamoDB Local serialises transactions, so tests never see a conflict.)
 */
const TRANSACTION_ATTEMPTS = 6;
/** A batch still unprocessed after this many rounds is throttling we cannot wait out: Unavailable. */
const BATCH_ROUNDS = 8;
const BATCH_GET_SIZE = 100;
const BATCH_WRITE_SIZE = 25;

/** Full jitter: a random wait up to 50 ms · 2^attempt, at most 1 s. */
const backoff = (attempt: number): number => Math.random() * Math.min(1000, 50 * 2 ** attempt);

const keyString = (key: ItemKey): string => `${key.PK}\u0000${key.SK}`;

interface Capacity {
  CapacityUnits?: number;
}
type Consumed = { ConsumedCapacity?: Capacity | Capacity[] };

/** The capacity a command consumed, as read or write units (DynamoDB reports one total per table). */
function unitsOf(kind: 'read' | 'write'): (output: Consumed) => Pick<StoreCall, 'readUnits' | 'writeUnits'> {
  return ({ ConsumedCapacity }) => {
    if (ConsumedCapacity === undefined) return {};
    const all = Array.isArray(ConsumedCapacity) ? ConsumedCapacity : [ConsumedCapacity];
    const units = all.reduce((sum, c) => sum + (c.CapacityUnits ?? 0), 0);
    return kind === 'read' ? { readUnits: units } : { writeUnits: units };
  };
}

/**
 * DynamoDB as the stores use it: plain JS values in and out (`undefined` attributes dropped),
 * every command reported once (ports.ts StoreCall, with its consumed capacity) and every failure
 * translated once, here (errors.ts). A refused condition is an answer, not an error: update()
 * says false and transact() names the items whose condition failed. Stores never see the SDK.
 */
export class DynamoClient {
  private readonly doc: DynamoDBDocumentClient;
  /** The reads (GetItem, Query, BatchGetItem) go through this instead of the SDK: see dynamo-http.ts. */
  private readonly http: DynamoHttp;

  constructor(
    client: DynamoDBClient,
    private readonly onCall?: StoreCallListener,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, {
      // A copy: the document client writes its own settings into the object it is given.
      marshallOptions: { ...MARSHALL },
      unmarshallOptions: { wrapNumbers: false },
    });
    this.http = new DynamoHttp(client, timeoutsOf.get(client) ?? DEFAULT_TIMEOUT_MS);
  }

  /** Closes the read path's idle connections (the SDK client is the caller's to destroy). */
  destroy(): void {
    this.http.destroy();
  }

  /** The item, or null. */
  async get(input: GetCommandInput): Promise<Item | null> {
    const { Key, ...rest } = input;
    const { Item } = await this.read('GetItem', {
      ...rest,
      ...wireField('Key', Key),
      ReturnConsumedCapacity: 'TOTAL',
    });
    return Item ? fromWire(Item) : null;
  }

  /**
   * One page of a Query: its items (none with `Select: 'COUNT'`), how many matched, and the key
   * to continue from (undefined when it was the last).
   */
  async query(
    input: QueryCommandInput,
  ): Promise<{ items: Item[]; count: number; lastKey: Item | undefined }> {
    const { ExpressionAttributeValues, ExclusiveStartKey, ...rest } = input;
    const { Items, Count, LastEvaluatedKey } = await this.read('Query', {
      ...rest,
      ...wireField('ExpressionAttributeValues', ExpressionAttributeValues),
      ...wireField('ExclusiveStartKey', ExclusiveStartKey),
      ReturnConsumedCapacity: 'TOTAL',
    });
    return {
      items: Array.isArray(Items) ? Items.map(fromWire) : [],
      count: typeof Count === 'number' ? Count : 0,
      lastKey: LastEvaluatedKey ? fromWire(LastEvaluatedKey) : undefined,
    };
  }

  /** Every page of a Query, one at a time. */
  async *queryPages(input: QueryCommandInput): AsyncGenerator<Item[]> {
    let startKey: Item | undefined;
    do {
      const page = await this.query({ ...input, ...(startKey ? { ExclusiveStartKey: startKey } : {}) });
      yield page.items;
      startKey = page.lastKey;
    } while (startKey);
  }

  /**
   * Every page of a Scan of the whole table, one at a time. Only for one-time maintenance
   * (likes.ts indexLikes); no request path scans.
   */
  async *scanPages(input: ScanCommandInput): AsyncGenerator<Item[]> {
    let startKey: Item | undefined;
    do {
      const page = await this.call('Scan', 'read', () =>
        this.doc.send(
          new ScanCommand({
            ...input,
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
            ReturnConsumedCapacity: 'TOTAL',
          }),
        ),
      );
      yield page.Items ?? [];
      startKey = page.LastEvaluatedKey;
    } while (startKey);
  }

  /** Runs an UpdateItem; false when its ConditionExpression did not hold (nothing written). */
  async update(input: UpdateCommandInput): Promise<boolean> {
    try {
      await this.call('UpdateItem', 'write', (sendOptions) =>
        this.doc.send(new UpdateCommand({ ...input, ReturnConsumedCapacity: 'TOTAL' }), sendOptions),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionFailed) return false;
      throw err;
    }
  }

  /** Deletes the item unconditionally; returns what it held, or null if there was none. */
  async delete(
    input: Omit<DeleteCommandInput, 'ReturnValues' | 'ConditionExpression'>,
  ): Promise<Item | null> {
    const { Attributes } = await this.call('DeleteItem', 'write', (sendOptions) =>
      this.doc.send(
        new DeleteCommand({ ...input, ReturnValues: 'ALL_OLD', ReturnConsumedCapacity: 'TOTAL' }),
        sendOptions,
      ),
    );
    return Attributes ?? null;
  }

  /**
   * Runs the named items as one TransactWriteItems. Resolves null when it committed; otherwise
   * (nothing was written) the names of the items whose condition failed, each with the item as
   * it was when it asked for it (`ReturnValuesOnConditionCheckFailure: 'ALL_OLD'`). Conflicts
   * with another transaction in flight are retried a few times before Unavailable.
   */
  async transact<K extends string>(
    named: Record<K, TransactItem | undefined>,
  ): Promise<Map<K, Item | undefined> | null> {
    const entries = (Object.entries(named) as [K, TransactItem | undefined][]).filter(
      (entry): entry is [K, TransactItem] => entry[1] !== undefined,
    );
    const items = entries.map(([, item]) => item);
    for (let attempt = 1; ; attempt++) {
      try {
        await this.call('TransactWriteItems', 'write', (sendOptions) =>
          this.doc.send(
            new TransactWriteCommand({ TransactItems: items, ReturnConsumedCapacity: 'TOTAL' }),
            sendOptions,
          ),
        );
        return null;
      } catch (err) {
        if (!(err instanceof TransactionCancelled)) throw err;
        const failed = new Map<K, Item | undefined>();
        entries.forEach(([name], i) => {
          const reason = err.reasons[i];
          if (reason?.code === 'ConditionalCheckFailed') failed.set(name, reason.item);
        });
        if (failed.size > 0) return failed;
        const isConflict = err.reasons.some(
          (r) => r.code === 'TransactionConflict' || r.code === 'ThrottlingError',
        );
        if (!isConflict) throw err;
        if (attempt >= TRANSACTION_ATTEMPTS) throw new Unavailable(DYNAMODB);
        await sleep(backoff(attempt));
      }
    }
  }

  /**
   * Reads the items under `keys` (duplicates allowed, missing ones absent from the result) in
   * batches of 100, retrying unprocessed keys with backoff. Strongly consistent unless told otherwise.
   */
  async batchGet(
    table: string,
    keys: ItemKey[],
    options: { projection?: string; names?: Record<string, string>; consistent?: boolean } = {},
  ): Promise<FoundItems> {
    const unique = [...new Map(keys.map((k) => [keyString(k), { PK: k.PK, SK: k.SK }])).values()];
    const found = new Map<string, Item>();
    for (let i = 0; i < unique.length; i += BATCH_GET_SIZE) {
      let pending: Item[] = unique.slice(i, i + BATCH_GET_SIZE);
      for (let round = 1; pending.length > 0; round++) {
        if (round > BATCH_ROUNDS) throw new Unavailable(DYNAMODB);
        if (round > 1) await sleep(backoff(round));
        const { Responses, UnprocessedKeys } = await this.read('BatchGetItem', {
          RequestItems: {
            [table]: {
              Keys: pending.map(toWire),
              ConsistentRead: options.consistent ?? true,
              ...(options.projection ? { ProjectionExpression: options.projection } : {}),
              ...(options.names ? { ExpressionAttributeNames: options.names } : {}),
            },
          },
          ReturnConsumedCapacity: 'TOTAL',
        });
        const responses = (Responses ?? {}) as Record<string, unknown[] | undefined>;
        for (const wire of responses[table] ?? []) {
          const item = fromWire(wire);
          found.set(keyString({ PK: String(item.PK), SK: String(item.SK) }), item);
        }
        const unprocessed = (UnprocessedKeys ?? {}) as Record<string, { Keys?: unknown[] } | undefined>;
        pending = (unprocessed[table]?.Keys ?? []).map(fromWire);
      }
    }
    return new FoundItems(found);
  }

  /** Writes in batches of 25, retrying unprocessed items with backoff. Keys must be distinct. */
  async batchWrite(table: string, requests: WriteRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += BATCH_WRITE_SIZE) {
      let pending: WriteRequest[] = requests.slice(i, i + BATCH_WRITE_SIZE);
      for (let round = 1; pending.length > 0; round++) {
        if (round > BATCH_ROUNDS) throw new Unavailable(DYNAMODB);
        if (round > 1) await sleep(backoff(round));
        const { UnprocessedItems } = await this.call('BatchWriteItem', 'write', (sendOptions) =>
          this.doc.send(
            new BatchWriteCommand({ RequestItems: { [table]: pending }, ReturnConsumedCapacity: 'TOTAL' }),
            sendOptions,
          ),
        );
        pending = (UnprocessedItems?.[table] ?? []) as WriteRequest[];
      }
    }
  }

  /** Deletes every item a Query finds (keys only), page by page. Returns how many. */
  async deleteQueried(input: Omit<QueryCommandInput, 'ProjectionExpression'>): Promise<number> {
    let count = 0;
    for await (const items of this.queryPages({ ...input, ProjectionExpression: 'PK, SK' })) {
      await this.batchWrite(
        input.TableName ?? '',
        items.map((item) => ({ DeleteRequest: { Key: { PK: String(item.PK), SK: String(item.SK) } } })),
      );
      count += items.length;
    }
    return count;
  }

  /**
   * One read on the direct path (dynamo-http.ts), reported and translated like call(); it bounds
   * itself by the request's deadline, with no AbortSignal of its own.
   */
  private read(operation: string, body: Record<string, unknown>): Promise<WireOutput & Consumed> {
    return timed(this.onCall, { store: DYNAMODB, operation, unitsOf: unitsOf('read') }, async () => {
      try {
        return await this.http.send(operation, body);
      } catch (err) {
        throw translateDynamoError(err);
      }
    });
  }

  /** One command: reported, and its failure translated. */
  private call<T extends Consumed>(
    operation: string,
    kind: 'read' | 'write',
    send: (options: SendOptions) => Promise<T>,
  ): Promise<T> {
    return timed(
      this.onCall,
      { store: DYNAMODB, operation, unitsOf: unitsOf(kind), isAnswer: isRefusedCondition },
      async () => {
        try {
          // Aborted when the request's deadline passes (lib/deadline.ts), however many calls it made.
          return await withCallSignal((abortSignal) => send(abortSignal ? { abortSignal } : {}));
        } catch (err) {
          throw translateDynamoError(err);
        }
      },
    );
  }
}

/** What batchGet() found, looked up by key. */
export class FoundItems {
  constructor(private readonly byKey: Map<string, Item>) {}

  get(key: ItemKey): Item | undefined {
    return this.byKey.get(keyString(key));
  }
}
