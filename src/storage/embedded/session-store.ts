import type { SessionRecord, SessionStore } from '../../ports';
import { pinger, run, type Db } from './db';

export class SqliteSessionStore implements SessionStore {
  readonly ping: () => Promise<void>;
  private readonly select;
  private readonly upsert;
  private readonly updateExpiry;
  private readonly remove;
  private readonly removeExpired;

  constructor(db: Db) {
    this.ping = pinger(db);
    this.select = db.prepare<[string, number], { data: string; expires_at: number }>(
      'SELECT data, expires_at FROM sessions WHERE sid = ? AND expires_at > ?',
    );
    this.upsert = db.prepare<[string, string, number]>(
      `INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (sid) DO UPDATE SET data = excluded.data, expires_at = excluded.expires_at`,
    );
    // An expired record counts as missing: touching it does not bring it back.
    this.updateExpiry = db.prepare<[number, string, number]>(
      'UPDATE sessions SET expires_at = ? WHERE sid = ? AND expires_at > ?',
    );
    this.remove = db.prepare<[string]>('DELETE FROM sessions WHERE sid = ?');
    this.removeExpired = db.prepare<[number]>('DELETE FROM sessions WHERE expires_at <= ?');
  }

  get(sid: string): Promise<SessionRecord | null> {
    return run(() => {
      const row = this.select.get(sid, Date.now());
      return row ? { data: row.data, expiresAt: new Date(row.expires_at) } : null;
    });
  }

  set(sid: string, data: string, expiresAt: Date): Promise<void> {
    return run(() => {
      this.upsert.run(sid, data, expiresAt.getTime());
    });
  }

  touch(sid: string, expiresAt: Date): Promise<void> {
    return run(() => {
      this.updateExpiry.run(expiresAt.getTime(), sid, Date.now());
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
