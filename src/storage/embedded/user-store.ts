import { Conflict } from '../../domain/errors';
import type { AccountState, User, UserCredentials, UserId } from '../../domain/types';
import type { UserStore } from '../../ports';
import { isClashOn } from '../clash';
import { messages, toCredentials, toUser, type UserRow } from '../sql-rows';
import { run, type SqliteClient } from './sqlite-client';

/** `\`, `%` and `_` are LIKE's own characters; usernames may contain `_`. */
const likePrefix = (prefix: string): string => `${prefix.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

export class SqliteUserStore implements UserStore {
  readonly ping: () => Promise<void>;
  private readonly insert;
  private readonly byUsername;
  private readonly byId;
  private readonly byPrefix;
  private readonly updateHash;
  private readonly byIdList;
  private readonly byNameList;
  private readonly updateBio;
  private readonly swapAvatar;
  private readonly updateState;
  private readonly updateModerator;
  private readonly markDeleting;
  private readonly deleting;
  private readonly removeTx;

  constructor(db: SqliteClient) {
    this.ping = db.pinger();
    this.insert = db.prepare<[string, string, string, number], UserRow>(
      'INSERT INTO users (username, email, password_hash, created_at) VALUES (?, ?, ?, ?) RETURNING *',
    );
    // username is COLLATE NOCASE, so `=` and the unique index both ignore case.
    this.byUsername = db.prepare<[string], UserRow>('SELECT * FROM users WHERE username = ?');
    this.byId = db.prepare<[number], UserRow>('SELECT * FROM users WHERE id = ?');
    this.byPrefix = db.prepare<[string, number], UserRow>(
      "SELECT * FROM users WHERE username LIKE ? ESCAPE '\\' ORDER BY username LIMIT +?",
    );
    this.updateHash = db.prepare<[string, number]>('UPDATE users SET password_hash = ? WHERE id = ?');
    this.byIdList = db.prepare<[string], UserRow>(
      'SELECT * FROM users WHERE id IN (SELECT value FROM json_each(?))',
    );
    // The left operand's NOCASE collation decides the comparison, as for findByUsername's `=`.
    this.byNameList = db.prepare<[string], UserRow>(
      'SELECT * FROM users WHERE username IN (SELECT value FROM json_each(?))',
    );
    this.updateBio = db.prepare<[string, number], UserRow>(
      'UPDATE users SET bio = ? WHERE id = ? RETURNING *',
    );
    // `IS` compares NULL with NULL as equal, so "no avatar yet" is a value the swap can expect.
    this.updateState = db.prepare<[string, number]>(
      'UPDATE users SET state = ? WHERE id = ? AND deleting_at IS NULL',
    );
    this.markDeleting = db.prepare<[number, number]>(
      'UPDATE users SET deleting_at = coalesce(deleting_at, ?) WHERE id = ?',
    );
    this.deleting = db
      .prepare<[number], number>('SELECT id FROM users WHERE deleting_at IS NOT NULL ORDER BY id LIMIT +?')
      .pluck();
    const removeKeys = db.prepare<[number]>('DELETE FROM request_keys WHERE user_id = ?');
    const removeUser = db.prepare<[number]>('DELETE FROM users WHERE id = ?');
    this.removeTx = db.transaction((id: number): boolean => {
      removeKeys.run(id);
      return removeUser.run(id).changes > 0;
    });
    this.updateModerator = db.prepare<[number, number]>('UPDATE users SET is_moderator = ? WHERE id = ?');
    this.swapAvatar = db.prepare<[string | null, number, string | null]>(
      'UPDATE users SET avatar_id = ? WHERE id = ? AND avatar_id IS ?',
    );
  }

  setState(id: UserId, state: AccountState): Promise<boolean> {
    return run(() =>
      state === 'deleting'
        ? this.markDeleting.run(Date.now(), id).changes > 0
        : this.updateState.run(state, id).changes > 0,
    );
  }

  listDeleting(limit: number): Promise<UserId[]> {
    return run(() => this.deleting.all(limit));
  }

  remove(id: UserId): Promise<boolean> {
    return run(() => this.removeTx.immediate(id));
  }

  setModerator(id: UserId, isModerator: boolean): Promise<boolean> {
    return run(() => this.updateModerator.run(isModerator ? 1 : 0, id).changes > 0);
  }

  findByIds(ids: UserId[]): Promise<User[]> {
    return run(() =>
      ids.length === 0 ? [] : this.byIdList.all(JSON.stringify([...new Set(ids)])).map(toUser),
    );
  }

  findByUsernames(usernames: string[]): Promise<User[]> {
    return run(() =>
      usernames.length === 0 ? [] : this.byNameList.all(JSON.stringify([...new Set(usernames)])).map(toUser),
    );
  }

  setBio(id: UserId, bio: string): Promise<User | null> {
    return run(() => {
      const row = this.updateBio.get(bio, id);
      return row ? toUser(row) : null;
    });
  }

  replaceAvatar(id: UserId, from: string | null, to: string | null): Promise<boolean> {
    return run(() => this.swapAvatar.run(to, id, from).changes > 0);
  }

  setPasswordHash(id: UserId, passwordHash: string): Promise<boolean> {
    return run(() => this.updateHash.run(passwordHash, id).changes > 0);
  }

  create(input: { username: string; email: string; passwordHash: string }): Promise<User> {
    return run(
      () => toUser(this.insert.get(input.username, input.email, input.passwordHash, Date.now())!),
      (err) => {
        if (!(err instanceof Conflict)) return undefined;
        // Report the name whenever it is the name that clashes, whichever index SQLite checked first.
        const nameTaken =
          isClashOn(err, 'users.username') || this.byUsername.get(input.username) !== undefined;
        return nameTaken
          ? new Conflict(messages.usernameTaken, 'username_taken')
          : new Conflict(messages.emailTaken, 'email_taken');
      },
    );
  }

  findCredentials(username: string): Promise<UserCredentials | null> {
    return run(() => {
      const row = this.byUsername.get(username);
      return row ? toCredentials(row) : null;
    });
  }

  findByUsername(username: string): Promise<User | null> {
    return run(() => {
      const row = this.byUsername.get(username);
      return row ? toUser(row) : null;
    });
  }

  findById(id: UserId): Promise<User | null> {
    return run(() => {
      const row = this.byId.get(id);
      return row ? toUser(row) : null;
    });
  }

  searchByPrefix(prefix: string, limit: number): Promise<User[]> {
    return run(() => this.byPrefix.all(likePrefix(prefix), limit).map(toUser));
  }
}
