import type { UserId } from '../../domain/types';
import type { SessionInfo, SessionOwner, SessionRecord, SessionStore } from '../../ports';
import { run, type SqliteClient } from './sqlite-client';

interface SessionRow {
  sid: string;
  device: string;
  created_at: number;
  last_used_at: number;
  expires_at: number;
}

export class SqliteSessionStore implements SessionStore {
  readonly ping: () => Promise<void>;
  private readonly select;
  private readonly upsert;
  private readonly updateExpiry;
  private readonly remove;
  private readonly removeExpired;
  private readonly byUser;
  private readonly removeByUser;

  constructor(db: SqliteClient) {
    this.ping = db.pinger();
    this.select = db.prepare<[string, number], { data: string; expires_at: number }>(
      'SELECT data, expires_at FROM sessions WHERE sid = ? AND expires_at > ?',
    );
    this.upsert = db.prepare<[string, string, number, number | null, string, number, number]>(
      `INSERT INTO sessions (sid, data, expires_at, user_id, device, created_at, last_used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at,
         user_id = excluded.user_id, device = excluded.device, last_used_at = excluded.last_used_at`,
    );
    // An expired record counts as missing: touching it does not bring it back.
    this.updateExpiry = db.prepare<[number, number, string, number]>(
      'UPDATE sessions SET expires_at = ?, last_used_at = ? WHERE sid = ? AND expires_at > ?',
    );
    this.remove = db.prepare<[string]>('DELETE FROM sessions WHERE sid = ?');
    this.removeExpired = db.prepare<[number]>('DELETE FROM sessions WHERE expires_at <= ?');
    this.byUser = db.prepare<[number, number], SessionRow>(
      `SELECT sid, device, created_at, last_used_at, expires_at FROM sessions
       WHERE user_id = ? AND expires_at > ? ORDER BY last_used_at DESC, sid`,
    );
    this.removeByUser = db.prepare<[number, string]>('DELETE FROM sessions WHERE user_id = ? AND sid <> ?');
  }

  listByUser(userId: UserId): Promise<SessionInfo[]> {
    return run(() =>
      this.byUser.all(userId, Date.now()).map((row) => ({
        sid: row.sid,
        device: row.device,
        createdAt: new Date(row.created_at),
        lastUsedAt: new Date(row.last_used_at),
        expiresAt: new Date(row.expires_at),
      })),
    );
  }

  destroyByUser(userId: UserId, exceptSid = ''): Promise<number> {
    return run(() => this.removeByUser.run(userId, exceptSid).changes);
  }

  get(sid: string): Promise<SessionRecord | null> {
    return run(() => {
      const row = this.select.get(sid, Date.now());
      return row ? { data: row.data, expiresAt: new Date(row.expires_at) } : null;
    });
  }

  set(sid: string, data: string, expiresAt: Date, owner?: SessionOwner | null): Promise<void> {
    return run(() => {
      const now = Date.now();
      this.upsert.run(sid, data, expiresAt.getTime(), owner?.userId ?? null, owner?.device ?? '', now, now);
    });
  }

  touch(sid: string, expiresAt: Date): Promise<void> {
    return run(() => {
      const now = Date.now();
      this.updateExpiry.run(expiresAt.getTime(), now, sid, now);
    });
  }

  destroy(sid: string): Promise<void> {
    return run(() => {
      this.remove.run(sid);
    });
  }

  prune(now: Date): Promise<number> {
    return run(() => this.removeExpired.run(now.getTime()).changes);
  }
}
