import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { UserId } from '../../domain/types';
import type { SessionInfo, SessionOwner, SessionRecord, SessionStore } from '../../ports';
import type { MysqlClient } from './mysql-client';

interface SessionRow extends RowDataPacket {
  data: string;
  expires_at: Date;
}

interface SessionInfoRow extends RowDataPacket {
  sid: string;
  device: string;
  created_at: Date;
  last_used_at: Date;
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

  async set(sid: string, data: string, expiresAt: Date, owner?: SessionOwner | null): Promise<void> {
    const now = new Date();
    const userId = owner?.userId ?? null;
    const device = owner?.device ?? '';
    await this.db.query<ResultSetHeader>(
      `INSERT INTO sessions (sid, data, expires_at, user_id, device, created_at, last_used_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON DUPLICATE KEY UPDATE data = ?, expires_at = ?, user_id = ?, device = ?, last_used_at = ?`,
      [sid, data, expiresAt, userId, device, now, now, data, expiresAt, userId, device, now],
    );
  }

  async touch(sid: string, expiresAt: Date): Promise<void> {
    // An expired record counts as missing: touching it does not bring it back.
    const now = new Date();
    await this.db.query<ResultSetHeader>(
      'UPDATE sessions SET expires_at = ?, last_used_at = ? WHERE sid = ? AND expires_at > ?',
      [expiresAt, now, sid, now],
    );
  }

  async listByUser(userId: UserId): Promise<SessionInfo[]> {
    const rows = await this.db.query<SessionInfoRow[]>(
      `SELECT sid, device, created_at, last_used_at, expires_at FROM sessions
       WHERE user_id = ? AND expires_at > ? ORDER BY last_used_at DESC, sid`,
      [userId, new Date()],
    );
    return rows.map((row) => ({
      sid: row.sid,
      device: row.device,
      createdAt: row.created_at,
      lastUsedAt: row.last_used_at,
      expiresAt: row.expires_at,
    }));
  }

  async destroyByUser(userId: UserId, exceptSid = ''): Promise<number> {
    const result = await this.db.query<ResultSetHeader>(
      'DELETE FROM sessions WHERE user_id = ? AND sid <> ?',
      [userId, exceptSid],
    );
    return result.affectedRows;
  }

  async destroy(sid: string): Promise<void> {
    await this.db.query<ResultSetHeader>('DELETE FROM sessions WHERE sid = ?', [sid]);
  }

  async prune(now: Date): Promise<number> {
    const result = await this.db.query<ResultSetHeader>('DELETE FROM sessions WHERE expires_at <= ?', [now]);
    return result.affectedRows;
  }
}
