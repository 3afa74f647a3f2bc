import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Storage, StoreCallListener } from '../../ports';
import { LocalBlobStore } from './blob-store';
import { SqliteBlockStore } from './block-store';
import { SqliteActivityStore } from './activity-store';
import { SqliteBadgeStore } from './badge-store';
import { SqliteReportStore } from './report-store';
import { SqliteCommentStore } from './comment-store';
import { DISK, SQLITE } from './errors';
import { SqliteFriendStore } from './friend-store';
import { SqliteMessageStore } from './message-store';
import { SqlitePhotoStore } from './photo-store';
import { SqliteRateLimitStore } from './rate-limit-store';
import { SqliteSessionStore } from './session-store';
import { SqliteClient } from './sqlite-client';
import { SqliteUserStore } from './user-store';

export interface EmbeddedStorageOptions {
  dataDir: string;
  /** SQLite busy timeout: how long a write waits for the other worker's lock before Unavailable. */
  timeoutMs: number;
  /** Told of every statement run and file operation. */
  onCall?: StoreCallListener;
}

/**
 * The default backend: one SQLite file `<dataDir>/lumina.sqlite` for every record and the folder
 * `<dataDir>/images` for image bytes. Both PM2 workers open the same file and folder.
 */
export function createEmbeddedStorage(options: EmbeddedStorageOptions): Storage {
  mkdirSync(options.dataDir, { recursive: true });
  const imagesDir = join(options.dataDir, 'images');
  mkdirSync(imagesDir, { recursive: true });
  const db = SqliteClient.open(join(options.dataDir, 'lumina.sqlite'), options.timeoutMs, options.onCall);

  const users = new SqliteUserStore(db);
  const blobs = new LocalBlobStore(imagesDir, options.onCall);
  const messages = new SqliteMessageStore(db);
  const activity = new SqliteActivityStore(db);
  const badges = new SqliteBadgeStore(messages, activity);
  return {
    users,
    sessions: new SqliteSessionStore(db),
    blocks: new SqliteBlockStore(db),
    reports: new SqliteReportStore(db),
    rateLimits: new SqliteRateLimitStore(db),
    friends: new SqliteFriendStore(db),
    photos: new SqlitePhotoStore(db, badges),
    comments: new SqliteCommentStore(db),
    messages,
    activity,
    badges,
    blobs,
    health: [
      { name: SQLITE, check: users },
      { name: DISK, check: blobs },
    ],
    close: () => {
      db.close();
      return Promise.resolve();
    },
  };
}
