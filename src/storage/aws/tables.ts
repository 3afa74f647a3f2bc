import {
  type CreateTableCommandInput,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  type TableDescription,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  type BucketLocationConstraint,
  CreateBucketCommand,
  HeadBucketCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ALL_FEED_INDEX,
  AUTHOR_INDEX,
  FEED_BUCKET_ATTRIBUTE,
  FEED_OWNER_ATTRIBUTE,
  GSI1,
  OWNER_FEED_INDEX,
} from './keys';
import { FEED_ATTRIBUTES } from './photo-item';

/**
 * The DynamoDB tables and the S3 bucket, created idempotently by scripts/setup-aws.ts and the
 * test setup, against AWS and the local servers alike. Every table is on-demand (PAY_PER_REQUEST)
 * with string keys `PK`/`SK` (the original design's), so tables made for the original keep working.
 */

export interface TableNames {
  photos: string;
  comments: string;
  messages: string;
}

/** How long to wait for a table or index to become ACTIVE before giving up. */
const ACTIVE_WAIT_SECONDS = 300;

const keyAttributes = [
  { AttributeName: 'PK', AttributeType: 'S' as const },
  { AttributeName: 'SK', AttributeType: 'S' as const },
];
const primaryKey = [
  { AttributeName: 'PK', KeyType: 'HASH' as const },
  { AttributeName: 'SK', KeyType: 'RANGE' as const },
];

/** A global secondary index on `hash`/`range` that projects every attribute. */
const indexOn = (name: string, hash: string, range: string) => ({
  IndexName: name,
  KeySchema: [
    { AttributeName: hash, KeyType: 'HASH' as const },
    { AttributeName: range, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'ALL' as const },
});

/**
 * GSI1 on the photos table: the All feed as it was before ALL_FEED_INDEX (partition = month
 * bucket `ALL#2026-11`, sort = photo id, every attribute), read only until indexFeed has moved
 * a table's photos; after that nothing Lumina reads is in it (activity events written before
 * their undo keys were kept on the act may sit there until their TTL).
 */
const gsi1 = indexOn(GSI1, 'GSI1PK', 'GSI1SK');
const gsi1Attributes = [
  { AttributeName: 'GSI1PK', AttributeType: 'S' as const },
  { AttributeName: 'GSI1SK', AttributeType: 'S' as const },
];

/**
 * ALL_FEED_INDEX (keys.ts) serves the All feed: one partition (ALL_FEED_PARTITION), sort = photo
 * id. Only photo META items carry `feed_bucket`, so the index is sparse, and it projects just
 * what a feed answer shows (photo-item.ts FEED_ATTRIBUTES): a page is read from the index without
 * a second fetch and without the photos' search terms.
 */
const allFeedIndex = {
  ...indexOn(ALL_FEED_INDEX, FEED_BUCKET_ATTRIBUTE, 'id'),
  Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: FEED_ATTRIBUTES },
};
const allFeedIndexAttributes = [
  { AttributeName: FEED_BUCKET_ATTRIBUTE, AttributeType: 'S' as const },
  { AttributeName: 'id', AttributeType: 'S' as const },
];

/**
 * OWNER_FEED_INDEX (keys.ts) serves Home and Profile: one partition per owner (`feed_owner`),
 * sort = photo id, projecting what a feed answer shows like ALL_FEED_INDEX. Only photo META items
 * carry `feed_owner`, so the index is sparse; a page is one Query per owner, without a second
 * fetch of the photos.
 */
const ownerFeedIndex = {
  ...indexOn(OWNER_FEED_INDEX, FEED_OWNER_ATTRIBUTE, 'id'),
  Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: FEED_ATTRIBUTES },
};
const ownerFeedIndexAttributes = [{ AttributeName: FEED_OWNER_ATTRIBUTE, AttributeType: 'N' as const }];

/** The comments table's AUTHOR_INDEX (keys.ts): a person's comments, newest first. */
const commentsByAuthorIndex = indexOn(AUTHOR_INDEX, 'user_id', 'id');

export function tableDefinitions(tables: TableNames): CreateTableCommandInput[] {
  return [
    {
      TableName: tables.photos,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        ...keyAttributes,
        ...gsi1Attributes,
        ...allFeedIndexAttributes,
        ...ownerFeedIndexAttributes,
      ],
      KeySchema: primaryKey,
      GlobalSecondaryIndexes: [gsi1, allFeedIndex, ownerFeedIndex],
    },
    {
      TableName: tables.comments,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        ...keyAttributes,
        { AttributeName: 'user_id', AttributeType: 'N' },
        { AttributeName: 'id', AttributeType: 'S' },
      ],
      KeySchema: primaryKey,
      GlobalSecondaryIndexes: [commentsByAuthorIndex],
    },
    {
      TableName: tables.messages,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: keyAttributes,
      KeySchema: primaryKey,
    },
  ];
}

/**
 * Creates each missing table and waits until all are ACTIVE. A table that exists without one of
 * its indexes (the photos table made by the original application has no GSI1, older ones no
 * AllFeed or OwnerFeed, older comments tables no AUTHOR_INDEX) gets the index added, one at a
 * time, and is waited for too.
 * Safe to run concurrently from several processes.
 */
export async function ensureTables(client: DynamoDBClient, tables: TableNames): Promise<void> {
  await Promise.all(tableDefinitions(tables).map((definition) => ensureTable(client, definition)));
  await Promise.all(
    [tables.photos, tables.comments, tables.messages].map((table) =>
      ensureTimeToLive(client, table, TTL_ATTRIBUTE),
    ),
  );
}

/**
 * Items that expire carry their expiry (epoch seconds) here, on every table; DynamoDB deletes
 * them after it: activity items (photos table) and request-key items (all three tables).
 */
export const TTL_ATTRIBUTE = 'expires_at';

/** Turns on the table's TTL on `attribute` unless it is on already. Safe to run concurrently. */
async function ensureTimeToLive(client: DynamoDBClient, table: string, attribute: string): Promise<void> {
  const { TimeToLiveDescription } = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));
  const status = TimeToLiveDescription?.TimeToLiveStatus;
  if ((status === 'ENABLED' || status === 'ENABLING') && TimeToLiveDescription?.AttributeName === attribute) {
    return;
  }
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
  } catch (err) {
    // Another process is turning it on at the same moment.
    if (!(
      err instanceof Error &&
      err.name === 'ValidationException' &&
      /already enabled/i.test(err.message)
    )) {
      throw err;
    }
  }
}

async function ensureTable(client: DynamoDBClient, definition: CreateTableCommandInput): Promise<void> {
  const name = definition.TableName ?? '';
  let table = await describeTable(client, name);
  if (!table) {
    try {
      await client.send(new CreateTableCommand(definition));
    } catch (err) {
      if (!(err instanceof Error && err.name === 'ResourceInUseException')) throw err;
    }
  }
  await waitUntilTableExists(
    { client, maxWaitTime: ACTIVE_WAIT_SECONDS, minDelay: 1, maxDelay: 5 },
    { TableName: name },
  );
  table = await describeTable(client, name);

  for (const index of definition.GlobalSecondaryIndexes ?? []) {
    if (!table?.GlobalSecondaryIndexes?.some((gsi) => gsi.IndexName === index.IndexName)) {
      try {
        await client.send(
          new UpdateTableCommand({
            TableName: name,
            AttributeDefinitions: definition.AttributeDefinitions,
            GlobalSecondaryIndexUpdates: [{ Create: index }],
          }),
        );
      } catch (err) {
        // Another process is adding it (or the table is busy with it): wait below.
        if (!(
          err instanceof Error &&
          (err.name === 'ResourceInUseException' || err.name === 'LimitExceededException')
        )) {
          throw err;
        }
      }
    }
    await waitForIndex(client, name, index.IndexName ?? '');
  }
}

async function describeTable(client: DynamoDBClient, name: string): Promise<TableDescription | null> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: name }))).Table ?? null;
  } catch (err) {
    if (err instanceof Error && err.name === 'ResourceNotFoundException') return null;
    throw err;
  }
}

async function waitForIndex(client: DynamoDBClient, table: string, index: string): Promise<void> {
  const deadline = Date.now() + ACTIVE_WAIT_SECONDS * 1000;
  for (;;) {
    const description = await describeTable(client, table);
    const gsi = description?.GlobalSecondaryIndexes?.find((g) => g.IndexName === index);
    if (gsi?.IndexStatus === 'ACTIVE' && description?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`index ${index} of ${table} did not become ACTIVE in time`);
    await sleep(1000);
  }
}

/** Creates the bucket unless it exists (and is ours). Safe to run concurrently. */
export async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
    return;
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const region = await s3.config.region();
  try {
    await s3.send(
      new CreateBucketCommand({
        Bucket: bucket,
        // us-east-1 is the one region that refuses an explicit location constraint.
        ...(region && region !== 'us-east-1'
          ? { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }
          : {}),
      }),
    );
  } catch (err) {
    if (err instanceof Error && err.name === 'BucketAlreadyOwnedByYou') return;
    // Another process created it between our two calls (s3rver answers a race with this code
    // too): fine if we can reach it now, otherwise the name belongs to someone else.
    if (!(err instanceof Error && err.name === 'BucketAlreadyExists')) throw err;
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  }
}

function isNotFound(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return err.name === 'NotFound' || err.name === 'NoSuchBucket' || status === 404;
}
