import type { AwsConfig } from '../../config';
import { Unavailable } from '../../domain/errors';
import type { Pingable, Storage } from '../../ports';
import { S3BlobStore } from './blob-store';
import {
  createDynamoDbClient,
  createMysqlPool,
  createS3Client,
  documentClient,
  DYNAMODB,
  guard,
  MYSQL,
  MysqlClient,
  S3,
} from './clients';
import { DynamoCommentStore } from './comment-store';
import { MysqlFriendStore } from './friend-store';
import { DynamoMessageStore } from './message-store';
import { migrate } from './migrations';
import { DynamoPhotoStore } from './photo-store';
import { MysqlRateLimitStore } from './rate-limit-store';
import { MysqlSessionStore } from './session-store';
import { MysqlUserStore } from './user-store';

/**
 * The AWS backend: users, friends, sessions and rate limits in MySQL; photos, likes, comments
 * and messages in DynamoDB; image bytes in S3. Every client gives up after `timeoutMs`.
 *
 * The MySQL schema is migrated here. If MySQL cannot be reached yet, start-up goes on (a store
 * that is down shows in /readyz, it does not stop the start) and the `mysql` readiness check
 * migrates before it reports ready. Tables and bucket are made by scripts/setup-aws.ts.
 */
export async function createAwsStorage(config: AwsConfig, timeoutMs: number): Promise<Storage> {
  const pool = createMysqlPool(config.mysql, timeoutMs);
  const db = new MysqlClient(pool, timeoutMs);
  const dynamo = createDynamoDbClient(config, timeoutMs);
  const doc = documentClient(dynamo);
  const s3 = createS3Client(config, timeoutMs);
  const { tables } = config.dynamodb;

  let isMigrated = false;
  const migrateOnce = async (): Promise<void> => {
    if (isMigrated) return;
    await guard(MYSQL, () => migrate(pool));
    isMigrated = true;
  };
  try {
    await migrateOnce();
  } catch (err) {
    if (!(err instanceof Unavailable)) {
      await pool.end().catch(() => undefined);
      dynamo.destroy();
      s3.destroy();
      throw err;
    }
  }

  const users = new MysqlUserStore(db);
  const photos = new DynamoPhotoStore(doc, tables.photos);
  const blobs = new S3BlobStore(s3, config.s3.bucket);
  const mysqlReady: Pingable = {
    ping: async () => {
      await migrateOnce();
      await users.ping();
    },
  };

  return {
    users,
    sessions: new MysqlSessionStore(db),
    rateLimits: new MysqlRateLimitStore(db),
    friends: new MysqlFriendStore(db),
    photos,
    comments: new DynamoCommentStore(doc, { comments: tables.comments, photos: tables.photos }),
    messages: new DynamoMessageStore(doc, tables.messages, timeoutMs),
    blobs,
    health: [
      { name: MYSQL, check: mysqlReady },
      { name: DYNAMODB, check: photos },
      { name: S3, check: blobs },
    ],
    close: async () => {
      dynamo.destroy();
      s3.destroy();
      await db.close();
    },
  };
}
