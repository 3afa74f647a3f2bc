import { Conflict } from '../../domain/errors';
import type { Block, User, UserId } from '../../domain/types';
import type { BlockStore } from '../../ports';
import { toUser, type UserRow } from '../sql-rows';
import { run, type SqliteClient } from './sqlite-client';

const messages = { alreadyBlocked: 'You already block this person.' };

interface BlockRow {
  user_id: number;
  username: string;
  created_at: number;
}

/** A user's columns, null when the user is missing, and whether a block stands between the two. */
type PersonRow = { [K in keyof UserRow]: UserRow[K] | null } & { blocked: number };

/**
 * Whether a block stands between (a, b): a block row either way, or either account suspended or
 * being deleted. Its parameters: a, b, b, a, a, b.
 */
const BLOCK_BETWEEN = `EXISTS (SELECT 1 FROM blocks
    WHERE (blocker_id = ? AND blocked_id = ?) OR (blocker_id = ? AND blocked_id = ?))
  OR EXISTS (SELECT 1 FROM users
    WHERE id IN (?, ?) AND (state = 'suspended' OR deleting_at IS NOT NULL))`;

const toBlock = (row: BlockRow): Block => ({
  userId: row.user_id,
  username: row.username,
  createdAt: new Date(row.created_at),
});

/** Blocks in SQLite: primary key (blocker, blocked), and an index on blocked for the other direction. */
export class SqliteBlockStore implements BlockStore {
  private readonly insert;
  private readonly remove_;
  private readonly byBlocker;
  private readonly hidden;
  private readonly pair;
  private readonly person;
  private readonly nameOf;
  private readonly removeAll;

  constructor(db: SqliteClient) {
    this.nameOf = db.prepare<[number], string>('SELECT username FROM users WHERE id = ?').pluck();
    this.removeAll = db.prepare<[number, number]>(
      'DELETE FROM blocks WHERE blocker_id = ? OR blocked_id = ?',
    );
    this.insert = db.prepare<[number, number, number]>(
      'INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?)',
    );
    this.remove_ = db.prepare<[number, number]>('DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?');
    this.byBlocker = db.prepare<[number], BlockRow>(
      `SELECT b.blocked_id AS user_id, u.username, b.created_at
       FROM blocks b JOIN users u ON u.id = b.blocked_id
       WHERE b.blocker_id = ? ORDER BY b.created_at DESC, b.blocked_id DESC`,
    );
    this.hidden = db
      .prepare<[number, number], number>(
        `SELECT blocked_id FROM blocks WHERE blocker_id = ?
         UNION SELECT blocker_id FROM blocks WHERE blocked_id = ?
         UNION SELECT id FROM users WHERE state = 'suspended'
         UNION SELECT id FROM users WHERE deleting_at IS NOT NULL`,
      )
      .pluck();
    this.pair = db
      .prepare<[number, number, number, number, number, number], number>(`SELECT ${BLOCK_BETWEEN}`)
      .pluck();
    // One row whether or not b exists: b's columns (NULL when missing) beside the block test,
    // which reads b's own state from that row rather than looking b up again.
    this.person = db.prepare<[{ a: number; b: number }], PersonRow>(
      `SELECT users.*,
         (users.state IS 'suspended' OR users.deleting_at IS NOT NULL
          OR EXISTS (SELECT 1 FROM blocks WHERE blocker_id = @a AND blocked_id = @b)
          OR EXISTS (SELECT 1 FROM blocks WHERE blocker_id = @b AND blocked_id = @a)
          OR EXISTS (SELECT 1 FROM users AS self
            WHERE self.id = @a AND (self.state = 'suspended' OR self.deleting_at IS NOT NULL))) AS blocked
       FROM (SELECT @b AS wanted) AS w LEFT JOIN users ON users.id = w.wanted`,
    );
  }

  add(blockerId: UserId, blockedId: UserId): Promise<Block> {
    return run(
      () => {
        const createdAt = Date.now();
        this.insert.run(blockerId, blockedId, createdAt);
        const username = this.nameOf.get(blockedId) ?? '';
        return { userId: blockedId, username, createdAt: new Date(createdAt) };
      },
      (err: unknown) =>
        err instanceof Conflict ? new Conflict(messages.alreadyBlocked, 'already_blocked') : undefined,
    );
  }

  remove(blockerId: UserId, blockedId: UserId): Promise<boolean> {
    return run(() => this.remove_.run(blockerId, blockedId).changes > 0);
  }

  list(blockerId: UserId): Promise<Block[]> {
    return run(() => this.byBlocker.all(blockerId).map(toBlock));
  }

  hiddenFrom(userId: UserId): Promise<Set<UserId>> {
    return run(() => new Set(this.hidden.all(userId, userId)));
  }

  removeAllOf(userId: UserId): Promise<number> {
    return run(() => this.removeAll.run(userId, userId).changes);
  }

  between(a: UserId, b: UserId): Promise<boolean> {
    return run(() => this.pair.get(a, b, b, a, a, b) === 1);
  }

  personAndBlock(a: UserId, b: UserId): Promise<{ person: User | null; blocked: boolean }> {
    return run(() => {
      const row = this.person.get({ a, b });
      if (!row) throw new Error('personAndBlock read no row');
      return { person: row.id === null ? null : toUser(row as UserRow), blocked: row.blocked === 1 };
    });
  }
}
