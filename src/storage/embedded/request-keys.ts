import { REQUEST_KEY_TTL_HOURS } from '../../domain/limits';
import type { UserId } from '../../domain/types';
import { PRUNE_BATCH, pruneInBatches, shouldSweep } from '../rate-limit-sweep';
import { run, type SqliteClient } from './sqlite-client';

/** What kind of record a request with an idempotency key made. */
export type RequestKind = 'message' | 'comment' | 'photo';

/** Where the record a request made lives: its parent (conversation or photo id) and its own id. */
export interface RequestTarget {
  parentId: string;
  targetId: string;
}

const TTL_MS = REQUEST_KEY_TTL_HOURS * 60 * 60_000;

/** Rows made before this time are past the window: they replay nothing and are pruned. */
const expiredBefore = (now = Date.now()): number => now - TTL_MS;

/**
 * The request_keys table: one row per (user, kind, key), written in the same transaction as
 * the record the request made. Call find() and record() inside that transaction. A row replays
 * for REQUEST_KEY_TTL_HOURS (domain/limits.ts); after that find() no longer sees it, record()
 * replaces it, and a background prune (about once in SWEEP_EVERY records, rate-limit-sweep.ts)
 * deletes it.
 */
export class SqliteRequestKeys {
  private readonly byKey;
  private readonly insert;
  private readonly removeExpired;
  private readonly removeOfUser;

  constructor(db: SqliteClient) {
    this.byKey = db.prepare<[number, string, string, number], { parent_id: string; target_id: string }>(
      `SELECT parent_id, target_id FROM request_keys
       WHERE user_id = ? AND kind = ? AND key = ? AND created_at >= ?`,
    );
    this.insert = db.prepare<[number, string, string, string, string, number]>(
      `INSERT OR REPLACE INTO request_keys (user_id, kind, key, parent_id, target_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    // A batch at a time (by the created_at index), so one prune never holds the write lock for long.
    this.removeExpired = db.prepare<[number]>(
      `DELETE FROM request_keys WHERE (user_id, kind, key) IN
         (SELECT user_id, kind, key FROM request_keys WHERE created_at < ? LIMIT ${PRUNE_BATCH})`,
    );
    // By the primary key's (user_id, kind) prefix.
    this.removeOfUser = db.prepare<[number, string]>(
      'DELETE FROM request_keys WHERE user_id = ? AND kind = ?',
    );
  }

  find(userId: UserId, kind: RequestKind, key: string): RequestTarget | undefined {
    const row = this.byKey.get(userId, kind, key, expiredBefore());
    return row ? { parentId: row.parent_id, targetId: row.target_id } : undefined;
  }

  record(userId: UserId, kind: RequestKind, key: string, target: RequestTarget): void {
    this.insert.run(userId, kind, key, target.parentId, target.targetId, Date.now());
    if (shouldSweep()) setImmediate(() => void this.prune().catch(() => undefined));
  }

  /** Deletes the user's rows of this kind (an account deletion); returns how many. */
  removeAllOf(userId: UserId, kind: RequestKind): Promise<number> {
    return run(() => this.removeOfUser.run(userId, kind).changes);
  }

  /** Deletes the rows past the window (made before `before`); returns how many. */
  prune(before = new Date(expiredBefore())): Promise<number> {
    return pruneInBatches(() => run(() => this.removeExpired.run(before.getTime()).changes));
  }
}
