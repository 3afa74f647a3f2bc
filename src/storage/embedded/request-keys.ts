import type { UserId } from '../../domain/types';
import type { SqliteClient } from './sqlite-client';

/** What kind of record a request with an idempotency key made. */
export type RequestKind = 'message' | 'comment' | 'photo';

/** Where the record a request made lives: its parent (conversation or photo id) and its own id. */
export interface RequestTarget {
  parentId: string;
  targetId: string;
}

/**
 * The request_keys table: one row per (user, kind, key), written in the same transaction as
 * the record the request made. Call both methods inside that transaction.
 */
export class SqliteRequestKeys {
  private readonly byKey;
  private readonly insert;

  constructor(db: SqliteClient) {
    this.byKey = db.prepare<[number, string, string], { parent_id: string; target_id: string }>(
      'SELECT parent_id, target_id FROM request_keys WHERE user_id = ? AND kind = ? AND key = ?',
    );
    this.insert = db.prepare<[number, string, string, string, string, number]>(
      `INSERT OR REPLACE INTO request_keys (user_id, kind, key, parent_id, target_id, created_at)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
  }

  find(userId: UserId, kind: RequestKind, key: string): RequestTarget | undefined {
    const row = this.byKey.get(userId, kind, key);
    return row ? { parentId: row.parent_id, targetId: row.target_id } : undefined;
  }

  record(userId: UserId, kind: RequestKind, key: string, target: RequestTarget): void {
    this.insert.run(userId, kind, key, target.parentId, target.targetId, Date.now());
  }
}
