import type { AwsConfig } from '../../config';
import { Unavailable } from '../../domain/errors';
import type { Pingable, Storage, StoreCallListener } from '../../ports';
import { DynamoActivityStore } from './activity-store';
import { DynamoBadgeStore } from './badge-store';
import { S3BlobStore } from './blob-store';
import { MysqlBlockStore } from './block-store';
import { MysqlReportStore } from './report-store';
import { DynamoCommentStore } from './comment-store';
import { createDynamoDbClient, DynamoClient } from './dynamo-client';
import { DYNAMODB, MYSQL, S3, translateError } from './errors';
import { ActivityItems } from './activity-items';
import { HiddenPeople } from './hidden-people';
import { MysqlFriendStore } from './friend-store';
import { DynamoMessageStore } from './message-store';
import { migrate } from './migrations';
import { createMysqlPool, MysqlClient } from './mysql-client';
import { DynamoPhotoStore } from './photo-store';
import { MysqlRateLimitStore } from './rate-limit-store';
import { createS3Client, S3Bucket } from './s3-client';
import { MysqlSessionStore } from './session-store';
import { MysqlUserStore } from './user-store';

export interface AwsStorageOptions {
  /** Every client gives up after this long (see sdk-config.ts, mysql-client.ts). */
  timeoutMs: number;
  /** Told of every MySQL statement, DynamoDB command and S3 command. */
  onCall?: StoreCallListener;
}

/**
 * The AWS backend: users, friends, sessions and rate limits in MySQL; photos, likes, comments
 * and messages in DynamoDB; image bytes in S3. Each service has one client (mysql-client.ts,
 * dynamo-client.ts, s3-client.ts) that bounds its calls in time, reports them and translates
 * their failures (errors.ts); the stores use nothing else.
 *
 * The MySQL schema is migrated here. If MySQL cannot be reached yet, start-up goes on (a store
 * that is down shows in /readyz, it does not stop the start) and the `mysql` readiness check
 * migrates before it reports ready. Tables and bucket are made by scripts/setup-aws.ts.
 */
export async function createAwsStorage(config: AwsConfig, options: AwsStorageOptions): Promise<Storage> {
  const { timeoutMs, onCall } = options;
  const pool = createMysqlPool(config.mysql, timeoutMs);
  const mysql = new MysqlClient(pool, timeoutMs, onCall);
  const dynamoClient = createDynamoDbClient(config, timeoutMs);
  const dynamo = new DynamoClient(dynamoClient, onCall);
  const s3Client = createS3Client(config, timeoutMs);
  const { tables } = config.dynamodb;

  let isMigrated = false;
  const migrateOnce = async (): Promise<void> => {
    if (isMigrated) return;
    try {
      await migrate(pool);
    } catch (err) {
      throw translateError(MYSQL, err);
    }
    isMigrated = true;
  };
  try {
    await migrateOnce();
  } catch (err) {
    if (!(err instanceof Unavailable)) {
      await pool.end().catch(() => undefined);
      dynamoClient.destroy();
      s3Client.destroy();
      throw err;
    }
  }

  const hidden = new HiddenPeople(mysql);
  const users = new MysqlUserStore(mysql, hidden);
  const badges = new DynamoBadgeStore(dynamo, { photos: tables.photos, messages: tables.messages }, hidden);
  const photos = new DynamoPhotoStore(dynamo, tables.photos, badges);
  const blobs = new S3BlobStore(new S3Bucket(s3Client, config.s3.bucket, onCall));
  const mysqlReady: Pingable = {
    ping: async () => {
      await migrateOnce();
      await users.ping();
    },
  };

  return {
    users,
    sessions: new MysqlSessionStore(mysql),
    blocks: new MysqlBlockStore(mysql),
    reports: new MysqlReportStore(mysql),
    rateLimits: new MysqlRateLimitStore(mysql),
    friends: new MysqlFriendStore(mysql, new ActivityItems(dynamo, tables.photos)),
    photos,
    comments: new DynamoCommentStore(dynamo, { comments: tables.comments, photos: tables.photos }),
    activity: new DynamoActivityStore(dynamo, tables.photos, badges),
    badges,
    messages: new DynamoMessageStore(dynamo, tables.messages, timeoutMs, badges),
    blobs,
    health: [
      { name: MYSQL, check: mysqlReady },
      { name: DYNAMODB, check: photos },
      { name: S3, check: blobs },
    ],
    close: async () => {
      hidden.stop();
      dynamo.destroy();
      dynamoClient.destroy();
      s3Client.destroy();
      await mysql.close();
    },
  };
}
