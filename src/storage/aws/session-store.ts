import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { SessionRecord, SessionStore } from '../../ports';
import type { MysqlClient } from './clients';

interface SessionRow extends RowDataPacket {
  data: string;
  expires_at: Date;
}

/**
 * express-session records in MySQL, so every worker and instance shares them. Expiry is judged
 * by the application's clock, the one that computed `expiresAt`.
 */
export class MysqlSessionStore implements SessionStore {
  constructor(private readonly db: MysqlClient) {}

  ping(): Promise<void> {
    return this.db.ping();
  }

  async get(sid: string): Promise<SessionRecord | null> {
    const [row] = await this.db.query<SessionRow[]>(
      'SELECT data, expires_at FROM sessions WHERE sid = ? AND expires_at > ?',
      [sid, new Date()],
    );
    return row ? { data: row.data, expiresAt: row.expires_at } : null;
  }

  async set(sid: string, data: string, expiresAt: Date): Promise<void> {
    await this.db.query<ResultSetHeader>(
      `INSERT INTO sessions (sid, data, expires_at) VALUES (?, ?, ?)
       ON DUPLICATE KEY UPDATE data = ?, expires_at = ?`,
      [sid, data, expiresAt, data, expiresAt],
    );
  }

  async touch(sid: string, expiresAt: Date): Promise<void> {
    // An expired record counts as missing: touching it does not bring it back.
    await this.db.query<ResultSetHeader>(
      'UPDATE sessions SET expires_at = ? WHERE sid = ? AND expires_at > ?',
      [expiresAt, sid, new Date()],
    );
  }

  async destroy(sid: string): Promise<void> {
    await this.db.query<ResultSetHeader>('DELETE FROM sessions WHERE sid = ?', [sid]);
  }

  async prune(now: Date): Promise<number> {
    const result = await this.db.query<ResultSetHeader>('DELETE FROM sessions WHERE expires_at <= ?', [now]);
    return result.affectedRows;
  }
}
