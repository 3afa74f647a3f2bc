import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { Conflict } from '../../domain/errors';
import type { Block, User, UserId } from '../../domain/types';
import type { BlockStore } from '../../ports';
import { toUser, type UserRow } from '../sql-rows';
import type { MysqlClient } from './mysql-client';
import { USER_COLUMNS } from './user-store';

const messages = { alreadyBlocked: 'You already block this person.' };

interface BlockRow extends RowDataPacket {
  user_id: number;
  username: string;
  created_at: Date;
}

interface IdRow extends RowDataPacket {
  id: number;
}

/** A user's columns, null when the user is missing, and whether a block stands between the two. */
type PersonRow = RowDataPacket & ({ [K in keyof UserRow]: UserRow[K] | null } & { blocked: number });

/**
 * Whether a block stands between (a, b): a block row either way, or either account suspended or
 * being deleted. Its parameters: a, b, b, a, a, b.
 */
const BLOCK_BETWEEN = `EXISTS (SELECT 1 FROM blocks
    WHERE (blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?))
  OR EXISTS (SELECT 1 FROM users WHERE id IN (?, ?) AND state IN ('suspended', 'deleting'))`;

const toBlock = (row: BlockRow): Block => ({
  userId: row.user_id,
  username: row.username,
  createdAt: row.created_at,
});

/** Blocks in MySQL: primary key (blocker, blocked), and a key on blocked for the other direction. */
export class MysqlBlockStore implements BlockStore {
  constructor(private readonly db: MysqlClient) {}

  async add(blockerId: UserId, blockedId: UserId): Promise<Block> {
    const createdAt = new Date();
    try {
      await this.db.query<ResultSetHeader>(
        'INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?)',
        [blockerId, blockedId, createdAt],
      );
    } catch (err) {
      if (err instanceof Conflict) throw new Conflict(messages.alreadyBlocked, 'already_blocked');
      throw err;
    }
    const [row] = await this.db.query<(RowDataPacket & { username: string })[]>(
      'SELECT username FROM users WHERE id = ?',
      [blockedId],
    );
    return { userId: blockedId, username: row?.username ?? '', createdAt };
  }

  async remove(blockerId: UserId, blockedId: UserId): Promise<boolean> {
    const result = await this.db.query<ResultSetHeader>(
      'DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?',
      [blockerId, blockedId],
    );
    return result.affectedRows > 0;
  }

  async list(blockerId: UserId): Promise<Block[]> {
    const rows = await this.db.query<BlockRow[]>(
      `SELECT b.blocked_id AS user_id, u.username, b.created_at
       FROM blocks b JOIN users u ON u.id = b.blocked_id
       WHERE b.blocker_id = ? ORDER BY b.created_at DESC, b.blocked_id DESC`,
      [blockerId],
    );
    return rows.map(toBlock);
  }

  async hiddenFrom(userId: UserId): Promise<Set<UserId>> {
    const rows = await this.db.query<IdRow[]>(
      `SELECT blocked_id AS id FROM blocks WHERE blocker_id = ?
       UNION SELECT blocker_id FROM blocks WHERE blocked_id = ?
       UNION SELECT id FROM users WHERE state IN ('suspended', 'deleting')`,
      [userId, userId],
    );
    return new Set(rows.map((r) => r.id));
  }

  async removeAllOf(userId: UserId): Promise<number> {
    const result = await this.db.query<ResultSetHeader>(
      'DELETE FROM blocks WHERE blocker_id = ? OR blocked_id = ?',
      [userId, userId],
    );
    return result.affectedRows;
  }

  async between(a: UserId, b: UserId): Promise<boolean> {
    const [row] = await this.db.query<(RowDataPacket & { blocked: number })[]>(
      `SELECT ${BLOCK_BETWEEN} AS blocked`,
      [a, b, b, a, a, b],
    );
    return Number(row?.blocked) === 1;
  }

  async personAndBlock(a: UserId, b: UserId): Promise<{ person: User | null; blocked: boolean }> {
    // One row whether or not b exists: b's columns (NULL when missing) beside the block test.
    const [row] = await this.db.query<PersonRow[]>(
      `SELECT ${USER_COLUMNS}, ${BLOCK_BETWEEN} AS blocked
       FROM (SELECT ? AS wanted) AS w LEFT JOIN users ON users.id = w.wanted`,
      [a, b, b, a, a, b, b],
    );
    if (!row) throw new Error('personAndBlock read no row');
    return { person: row.id === null ? null : toUser(row as UserRow), blocked: Number(row.blocked) === 1 };
  }
}
