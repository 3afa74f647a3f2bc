import type Database from 'better-sqlite3';

/**
 * Versioned schema. Append only: a released migration is never edited, a change is a new entry.
 * Times are integer milliseconds since the epoch; photo, comment and message ids are ULID text,
 * so ordering by id is ordering by time.
 */
const MIGRATIONS: { version: number; name: string; sql: string }[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        username TEXT NOT NULL COLLATE NOCASE UNIQUE,
        email TEXT NOT NULL COLLATE NOCASE UNIQUE,
        password_hash TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );

      CREATE TABLE friend_requests (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        requester_id INTEGER NOT NULL REFERENCES users(id),
        receiver_id INTEGER NOT NULL REFERENCES users(id),
        status TEXT NOT NULL CHECK (status IN ('pending', 'accepted')),
        created_at INTEGER NOT NULL,
        responded_at INTEGER,
        -- One row per unordered pair, whoever asked and whatever races happen.
        user_low INTEGER GENERATED ALWAYS AS (min(requester_id, receiver_id)) VIRTUAL,
        user_high INTEGER GENERATED ALWAYS AS (max(requester_id, receiver_id)) VIRTUAL,
        CHECK (requester_id <> receiver_id)
      );
      CREATE UNIQUE INDEX friend_requests_pair ON friend_requests (user_low, user_high);
      CREATE INDEX friend_requests_receiver ON friend_requests (receiver_id, status);
      CREATE INDEX friend_requests_requester ON friend_requests (requester_id, status);

      CREATE TABLE sessions (
        sid TEXT PRIMARY KEY,
        data TEXT NOT NULL,
        expires_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX sessions_expires_at ON sessions (expires_at);

      CREATE TABLE rate_limits (
        key TEXT PRIMARY KEY,
        count INTEGER NOT NULL,
        reset_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      CREATE TABLE photos (
        id TEXT PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id),
        username TEXT NOT NULL,
        topic TEXT,
        caption TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        likes INTEGER NOT NULL DEFAULT 0,
        comment_count INTEGER NOT NULL DEFAULT 0,
        width INTEGER NOT NULL,
        height INTEGER NOT NULL,
        full_key TEXT NOT NULL,
        thumb_key TEXT NOT NULL,
        content_type TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX photos_owner ON photos (user_id, id);

      CREATE TABLE likes (
        photo_id TEXT NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (photo_id, user_id)
      ) WITHOUT ROWID;

      CREATE TABLE photo_terms (
        term TEXT NOT NULL,
        photo_id TEXT NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
        user_id INTEGER NOT NULL,
        PRIMARY KEY (term, photo_id)
      ) WITHOUT ROWID;
      CREATE INDEX photo_terms_photo ON photo_terms (photo_id);

      -- No foreign key to photos: comments belong to the CommentStore, which deletes them after the photo.
      CREATE TABLE comments (
        photo_id TEXT NOT NULL,
        id TEXT NOT NULL,
        user_id INTEGER NOT NULL REFERENCES users(id),
        username TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (photo_id, id)
      ) WITHOUT ROWID;

      CREATE TABLE messages (
        conversation_id TEXT NOT NULL,
        id TEXT NOT NULL,
        from_user_id INTEGER NOT NULL REFERENCES users(id),
        from_username TEXT NOT NULL,
        to_user_id INTEGER NOT NULL REFERENCES users(id),
        to_username TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, id)
      ) WITHOUT ROWID;

      -- One row per user and conversation: the conversation list without reading messages.
      CREATE TABLE inbox (
        user_id INTEGER NOT NULL REFERENCES users(id),
        other_user_id INTEGER NOT NULL REFERENCES users(id),
        last_message_id TEXT NOT NULL,
        last_text TEXT NOT NULL,
        last_from_user_id INTEGER NOT NULL,
        last_created_at INTEGER NOT NULL,
        unread INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, other_user_id)
      ) WITHOUT ROWID;
      CREATE INDEX inbox_recent ON inbox (user_id, last_message_id);
    `,
  },
  {
    version: 2,
    name: 'sessions know their owner',
    // Existing records learn their owner from their own data, so "log out everywhere" reaches them too.
    sql: `
      ALTER TABLE sessions ADD COLUMN user_id INTEGER;
      ALTER TABLE sessions ADD COLUMN device TEXT NOT NULL DEFAULT '';
      ALTER TABLE sessions ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE sessions ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
      UPDATE sessions SET user_id = json_extract(data, '$.userId') WHERE json_valid(data);
      CREATE INDEX sessions_user ON sessions (user_id);
    `,
  },
  {
    version: 3,
    name: 'photo alt text, edits and medium images',
    sql: `
      ALTER TABLE photos ADD COLUMN alt TEXT;
      ALTER TABLE photos ADD COLUMN edited_at INTEGER;
      -- NULL until the medium image exists (photos from before it: npm run images:backfill).
      ALTER TABLE photos ADD COLUMN medium_key TEXT;
    `,
  },
  {
    version: 4,
    name: 'message sequence per conversation, request keys',
    sql: `
      -- The conversation's head: the last place given out and its time (message-store.ts).
      CREATE TABLE conversation_heads (
        conversation_id TEXT PRIMARY KEY,
        seq INTEGER NOT NULL,
        last_at INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- What a request carrying an idempotency key made, so a retry returns it instead of making
      -- another: kind 'message' (parent: conversation), 'comment' (parent: photo), 'photo'.
      CREATE TABLE request_keys (
        user_id INTEGER NOT NULL,
        kind TEXT NOT NULL,
        key TEXT NOT NULL,
        parent_id TEXT NOT NULL,
        target_id TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (user_id, kind, key)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 5,
    name: 'profiles: bio and avatar',
    sql: `
      ALTER TABLE users ADD COLUMN bio TEXT NOT NULL DEFAULT '';
      ALTER TABLE users ADD COLUMN avatar_id TEXT;
    `,
  },
  {
    version: 6,
    name: 'rate limit windows by end, for pruning',
    sql: 'CREATE INDEX rate_limits_reset_at ON rate_limits (reset_at);',
  },
  {
    version: 7,
    name: 'blocks',
    sql: `
      CREATE TABLE blocks (
        blocker_id INTEGER NOT NULL REFERENCES users(id),
        blocked_id INTEGER NOT NULL REFERENCES users(id),
        created_at INTEGER NOT NULL,
        PRIMARY KEY (blocker_id, blocked_id),
        CHECK (blocker_id <> blocked_id)
      ) WITHOUT ROWID;
      CREATE INDEX blocks_blocked ON blocks (blocked_id, blocker_id);
    `,
  },
  {
    version: 8,
    name: 'activity events',
    sql: `
      -- One row per recipient of an act; a page is a range of the primary key.
      CREATE TABLE activity (
        recipient_id INTEGER NOT NULL,
        id TEXT NOT NULL,
        kind TEXT NOT NULL,
        actor_id INTEGER NOT NULL,
        actor_username TEXT NOT NULL,
        photo_id TEXT,
        subject_id TEXT,
        text TEXT,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (recipient_id, id)
      ) WITHOUT ROWID;
      -- Undoing an act finds its events by photo (likes, comments, the photo) or by request.
      CREATE INDEX activity_photo ON activity (photo_id) WHERE photo_id IS NOT NULL;
      CREATE INDEX activity_subject ON activity (subject_id) WHERE subject_id IS NOT NULL;
      CREATE TABLE activity_read (
        user_id INTEGER PRIMARY KEY,
        last_id TEXT NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'account state, moderators, reports and the moderation log',
    sql: `
      ALTER TABLE users ADD COLUMN state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'suspended'));
      ALTER TABLE users ADD COLUMN is_moderator INTEGER NOT NULL DEFAULT 0;
      CREATE INDEX users_state ON users (state);

      CREATE TABLE reports (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        reporter_id INTEGER NOT NULL REFERENCES users(id),
        target_type TEXT NOT NULL CHECK (target_type IN ('photo', 'comment', 'user')),
        target_id TEXT NOT NULL,
        parent_id TEXT,
        reason TEXT NOT NULL,
        text TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
        created_at INTEGER NOT NULL,
        closed_at INTEGER
      );
      -- One report per person and item: a second one is the first.
      CREATE UNIQUE INDEX reports_once ON reports (reporter_id, target_type, target_id);
      CREATE INDEX reports_item ON reports (status, target_type, target_id);

      CREATE TABLE moderation_actions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        moderator_id INTEGER NOT NULL,
        moderator TEXT NOT NULL,
        target_type TEXT NOT NULL,
        target_id TEXT NOT NULL,
        parent_id TEXT,
        action TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 10,
    name: "a person's own comments and likes, by author (download my data)",
    sql: `
      CREATE INDEX comments_author ON comments (user_id, id);
      CREATE INDEX likes_user ON likes (user_id, photo_id);
    `,
  },
  {
    version: 11,
    name: 'request keys expire: pruned by age',
    sql: `
      CREATE INDEX request_keys_created ON request_keys (created_at);
    `,
  },
  {
    version: 12,
    name: 'account deletion',
    // The CHECK on users.state (version 9) cannot change in place, and users cannot be rebuilt
    // while other tables point at it, so "being deleted" is a column of its own: its time.
    // Messages and the other person's inbox row outlive a deleted sender (shown as from a
    // deleted account), so those two tables are rebuilt without foreign keys to users.
    sql: `
      ALTER TABLE users ADD COLUMN deleting_at INTEGER;
      CREATE INDEX users_deleting ON users (deleting_at) WHERE deleting_at IS NOT NULL;

      CREATE TABLE messages_v12 (
        conversation_id TEXT NOT NULL,
        id TEXT NOT NULL,
        from_user_id INTEGER NOT NULL,
        from_username TEXT NOT NULL,
        to_user_id INTEGER NOT NULL,
        to_username TEXT NOT NULL,
        text TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (conversation_id, id)
      ) WITHOUT ROWID;
      INSERT INTO messages_v12 SELECT conversation_id, id, from_user_id, from_username, to_user_id,
        to_username, text, created_at FROM messages;
      DROP TABLE messages;
      ALTER TABLE messages_v12 RENAME TO messages;

      CREATE TABLE inbox_v12 (
        user_id INTEGER NOT NULL,
        other_user_id INTEGER NOT NULL,
        last_message_id TEXT NOT NULL,
        last_text TEXT NOT NULL,
        last_from_user_id INTEGER NOT NULL,
        last_created_at INTEGER NOT NULL,
        unread INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, other_user_id)
      ) WITHOUT ROWID;
      INSERT INTO inbox_v12 SELECT user_id, other_user_id, last_message_id, last_text,
        last_from_user_id, last_created_at, unread FROM inbox;
      DROP TABLE inbox;
      ALTER TABLE inbox_v12 RENAME TO inbox;
      CREATE INDEX inbox_recent ON inbox (user_id, last_message_id);
    `,
  },
  {
    version: 13,
    name: 'photo deletes: the record of each unfinished delete',
    sql: `
      -- Written with the photo's removal, removed by the delete's last step (ports.ts
      -- PhotoStore.delete): the photo row as JSON, and when the delete began.
      CREATE TABLE photo_deletes (
        photo_id TEXT PRIMARY KEY,
        photo TEXT NOT NULL,
        deleted_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX photo_deletes_started ON photo_deletes (deleted_at);
    `,
  },
];

/**
 * Brings the schema up to date (or up to version `upTo`, for tests of a migration). Both PM2
 * workers may call this at the same moment: it runs under BEGIN IMMEDIATE, so the second waits
 * for the first (busy timeout) and then finds nothing to do.
 */
export function migrate(db: Database.Database, upTo = Infinity): void {
  db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at INTEGER NOT NULL
    )`);
    const applied = new Set(
      db
        .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
        .all()
        .map((row) => row.version),
    );
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of MIGRATIONS) {
      if (applied.has(migration.version) || migration.version > upTo) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, Date.now());
    }
  }).immediate();
}

/** The newest schema version this code knows; exported for tests. */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));
