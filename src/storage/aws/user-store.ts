import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { Conflict } from '../../domain/errors';
import type { AccountState, User, UserCredentials, UserId } from '../../domain/types';
import type { UserStore } from '../../ports';
import { isClashOn } from '../clash';
import { messages, toCredentials, toUser, type UserRow } from '../sql-rows';
import type { HiddenPeople } from './hidden-people';
import type { MysqlClient } from './mysql-client';

type Row = UserRow & RowDataPacket;

/** Every column a User needs (not the password hash). */
export const USER_COLUMNS = 'id, username, email, created_at, bio, avatar_id, state, is_moderator';

/** `%` and `_` are LIKE's own characters (usernames may contain `_`); `!` is our escape. */
const likePrefix = (prefix: string): string => `${prefix.replace(/[!%_]/g, (c) => `!${c}`)}%`;

/**
 * Users in MySQL. `username` has a case-insensitive collation, so both `=` and the unique key
 * ignore case: two people can never hold "Ann" and "ann", even when their inserts race.
 */
export class MysqlUserStore implements UserStore {
  /** `hidden`: read again after every change of who is hidden (a state, or a row removed). */
  constructor(
    private readonly db: MysqlClient,
    private readonly hidden?: HiddenPeople,
  ) {}

  ping(): Promise<void> {
    return this.db.ping();
  }

  async create(input: { username: string; email: string; passwordHash: string }): Promise<User> {
    // Milliseconds, as DATETIME(3) keeps them, so the returned user equals the one read back.
    const createdAt = new Date();
    try {
      const result = await this.db.query<ResultSetHeader>(
        'INSERT INTO users (username, email, password_hash, created_at) VALUES (?, ?, ?, ?)',
        [input.username, input.email, input.passwordHash, createdAt],
      );
      return {
        id: result.insertId,
        username: input.username,
        email: input.email,
        createdAt,
        bio: '',
        avatarId: null,
        state: 'active',
        isModerator: false,
      };
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      // Report the name whenever it is the name that clashes, whichever unique key MySQL checked first.
      const isNameTaken =
        isClashOn(err, 'users_username_unique') || (await this.findByUsername(input.username)) !== null;
      throw isNameTaken
        ? new Conflict(messages.usernameTaken, 'username_taken')
        : new Conflict(messages.emailTaken, 'email_taken');
    }
  }

  async findCredentials(username: string): Promise<UserCredentials | null> {
    const row = await this.byUsername(username);
    return row ? toCredentials(row) : null;
  }

  async findByUsername(username: string): Promise<User | null> {
    const row = await this.byUsername(username);
    return row ? toUser(row) : null;
  }

  async findById(id: UserId): Promise<User | null> {
    const [row] = await this.db.query<Row[]>(`SELECT ${USER_COLUMNS} FROM users WHERE id = ?`, [id]);
    return row ? toUser(row) : null;
  }

  async searchByPrefix(prefix: string, limit: number): Promise<User[]> {
    // A range on the lower-cased name's index, read in order and stopped at the limit.
    const rows = await this.db.query<Row[]>(
      `SELECT ${USER_COLUMNS} FROM users
       WHERE username_lower LIKE ? ESCAPE '!'
       ORDER BY username_lower, id
       LIMIT ?`,
      [likePrefix(prefix.toLowerCase()), limit],
    );
    return rows.map(toUser);
  }

  async setPasswordHash(id: UserId, passwordHash: string): Promise<boolean> {
    const result = await this.db.query<ResultSetHeader>('UPDATE users SET password_hash = ? WHERE id = ?', [
      passwordHash,
      id,
    ]);
    return result.affectedRows > 0;
  }

  async setState(id: UserId, state: AccountState): Promise<boolean> {
    const result = await this.db.query<ResultSetHeader>(
      // The time first: MySQL assigns left to right, so `state` there is still the old one.
      `UPDATE users SET state_changed_at = IF(state = ?, state_changed_at, UTC_TIMESTAMP(3)), state = ?
       WHERE id = ? AND (state <> 'deleting' OR ? = 'deleting')`,
      [state, state, id, state],
    );
    await this.hiddenChanged();
    return result.affectedRows > 0;
  }

  async listDeleting(limit: number): Promise<UserId[]> {
    const rows = await this.db.query<RowDataPacket[]>(
      "SELECT id FROM users WHERE state = 'deleting' ORDER BY id LIMIT ?",
      [limit],
    );
    return rows.map((row) => Number(row.id));
  }

  async remove(id: UserId): Promise<boolean> {
    const result = await this.db.query<ResultSetHeader>('DELETE FROM users WHERE id = ?', [id]);
    await this.hiddenChanged();
    return result.affectedRows > 0;
  }

  /** The change is made: a failed read of the set leaves it to the next timed one. */
  private async hiddenChanged(): Promise<void> {
    await this.hidden?.refresh().catch(() => undefined);
  }

  async setModerator(id: UserId, isModerator: boolean): Promise<boolean> {
    const result = await this.db.query<ResultSetHeader>('UPDATE users SET is_moderator = ? WHERE id = ?', [
      isModerator ? 1 : 0,
      id,
    ]);
    return result.affectedRows > 0;
  }

  async findByIds(ids: UserId[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<Row[]>(`SELECT ${USER_COLUMNS} FROM users WHERE id IN (?)`, [
      [...new Set(ids)],
    ]);
    return rows.map(toUser);
  }

  async findByUsernames(usernames: string[]): Promise<User[]> {
    if (usernames.length === 0) return [];
    // `username` compares without regard to case (its collation), as findByUsername's `=` does.
    const rows = await this.db.query<Row[]>(`SELECT ${USER_COLUMNS} FROM users WHERE username IN (?)`, [
      [...new Set(usernames)],
    ]);
    return rows.map(toUser);
  }

  async setBio(id: UserId, bio: string): Promise<User | null> {
    await this.db.query<ResultSetHeader>('UPDATE users SET bio = ? WHERE id = ?', [bio, id]);
    return this.findById(id);
  }

  async replaceAvatar(id: UserId, from: string | null, to: string | null): Promise<boolean> {
    // `<=>` is MySQL's NULL-safe equality: "no avatar yet" is a value the swap can expect.
    const result = await this.db.query<ResultSetHeader>(
      'UPDATE users SET avatar_id = ? WHERE id = ? AND avatar_id <=> ?',
      [to, id, from],
    );
    return result.affectedRows > 0;
  }

  private async byUsername(username: string): Promise<Row | undefined> {
    const [row] = await this.db.query<Row[]>(
      `SELECT ${USER_COLUMNS}, password_hash FROM users WHERE username = ?`,
      [username],
    );
    return row;
  }
}
