import type { Pool, PoolConnection, RowDataPacket } from 'mysql2/promise';

/**
 * A migration that adds columns and keys to a table. MySQL commits a DDL statement on its own, so
 * a crash can land between the ALTER and its version record; the next run then adds only what
 * information_schema says is still missing (MySQL 8 has no `ADD COLUMN IF NOT EXISTS`; MariaDB
 * has, but RDS MySQL is the target), so running it again is safe.
 */
interface AddColumns {
  table: string;
  /** Column name to its definition, in the order they are added. */
  columns: Record<string, string>;
  /** Key name to its column list, e.g. `(user_id)`. */
  keys?: Record<string, string>;
}

/**
 * The MySQL schema of the AWS backend (MySQL 8 and MariaDB 10.6+ alike), as versioned
 * migrations: entry i is version i + 1. Append only: a released entry keeps its effect, a change
 * is a new entry. One statement per entry, because MySQL commits each DDL statement on its own,
 * so the version recorded is always the last statement that really ran; and each entry is safe
 * to run again (CREATE TABLE IF NOT EXISTS, an UPDATE that finds nothing left, AddColumns), for
 * a crash between a statement and its record.
 *
 * Text is utf8mb4 with the case-insensitive utf8mb4_unicode_ci, so the unique key on
 * users.username ignores case; ids of sessions and rate-limit keys compare byte for byte.
 * Times are DATETIME(3) in UTC (the pool's session time zone).
 */
export const MIGRATIONS: readonly (string | AddColumns)[] = [
  // 1
  `CREATE TABLE IF NOT EXISTS users (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    username VARCHAR(30) NOT NULL,
    email VARCHAR(254) NOT NULL,
    password_hash VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    created_at DATETIME(3) NOT NULL,
    -- Prefix search walks this in order and stops at its limit: ordered by lower-cased name, byte for byte.
    username_lower VARCHAR(30) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin
      GENERATED ALWAYS AS (LOWER(username)) STORED,
    PRIMARY KEY (id),
    UNIQUE KEY users_username_unique (username),
    UNIQUE KEY users_email_unique (email),
    KEY users_username_lower (username_lower)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,

  // 2: one row per unordered pair of users, whatever races happen (user_low, user_high).
  // The foreign keys have no ON DELETE action: MySQL refuses CASCADE on a column a stored generated column uses.
  `CREATE TABLE IF NOT EXISTS friend_requests (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    requester_id INT UNSIGNED NOT NULL,
    receiver_id INT UNSIGNED NOT NULL,
    status ENUM('pending', 'accepted') NOT NULL DEFAULT 'pending',
    created_at DATETIME(3) NOT NULL,
    responded_at DATETIME(3) NULL,
    user_low INT UNSIGNED GENERATED ALWAYS AS (LEAST(requester_id, receiver_id)) STORED,
    user_high INT UNSIGNED GENERATED ALWAYS AS (GREATEST(requester_id, receiver_id)) STORED,
    PRIMARY KEY (id),
    UNIQUE KEY friend_requests_pair (user_low, user_high),
    KEY friend_requests_receiver (receiver_id, status),
    KEY friend_requests_requester (requester_id, status),
    CONSTRAINT friend_requests_requester_fk FOREIGN KEY (requester_id) REFERENCES users (id),
    CONSTRAINT friend_requests_receiver_fk FOREIGN KEY (receiver_id) REFERENCES users (id),
    CONSTRAINT friend_requests_not_self CHECK (requester_id <> receiver_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,

  // 3
  `CREATE TABLE IF NOT EXISTS sessions (
    sid VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    data MEDIUMTEXT NOT NULL,
    expires_at DATETIME(3) NOT NULL,
    PRIMARY KEY (sid),
    KEY sessions_expires_at (expires_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,

  // 4
  `CREATE TABLE IF NOT EXISTS rate_limits (
    rl_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
    hits INT UNSIGNED NOT NULL,
    reset_at DATETIME(3) NOT NULL,
    PRIMARY KEY (rl_key),
    KEY rate_limits_reset_at (reset_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,

  // 5: a person's sessions are listed and ended through an index on their owner.
  {
    table: 'sessions',
    columns: {
      user_id: 'INT UNSIGNED NULL',
      device: "VARCHAR(120) NOT NULL DEFAULT ''",
      created_at: 'DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)',
      last_used_at: 'DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)',
    },
    keys: { sessions_user: '(user_id)' },
  },

  // 6: records made before 5 learn their owner from their own data.
  `UPDATE sessions SET user_id = CAST(JSON_EXTRACT(data, '$.userId') AS UNSIGNED)
    WHERE JSON_VALID(data) AND JSON_EXTRACT(data, '$.userId') IS NOT NULL`,

  // 7: profiles. The bio is at most 150 characters (utf8mb4, so up to 600 bytes).
  {
    table: 'users',
    columns: {
      bio: "VARCHAR(150) NOT NULL DEFAULT ''",
      avatar_id: 'CHAR(26) CHARACTER SET ascii COLLATE ascii_bin NULL',
    },
  },

  // 8: who blocks whom; the key on blocked_id answers "who blocks me" without a scan.
  `CREATE TABLE IF NOT EXISTS blocks (
    blocker_id INT UNSIGNED NOT NULL,
    blocked_id INT UNSIGNED NOT NULL,
    created_at DATETIME(3) NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id),
    KEY blocks_blocked (blocked_id, blocker_id),
    CONSTRAINT blocks_blocker_fk FOREIGN KEY (blocker_id) REFERENCES users (id),
    CONSTRAINT blocks_blocked_fk FOREIGN KEY (blocked_id) REFERENCES users (id),
    CONSTRAINT blocks_not_self CHECK (blocker_id <> blocked_id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,

  // 9: account state and the moderator role.
  {
    table: 'users',
    columns: {
      state: "ENUM('active', 'suspended') NOT NULL DEFAULT 'active'",
      is_moderator: 'TINYINT(1) NOT NULL DEFAULT 0',
    },
    keys: { users_state: '(state)' },
  },

  // 10: one report per person and item (reports_once); the moderators' queue reads reports_item.
  `CREATE TABLE IF NOT EXISTS reports (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    reporter_id INT UNSIGNED NOT NULL,
    target_type ENUM('photo', 'comment', 'user') NOT NULL,
    target_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    parent_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
    reason VARCHAR(20) NOT NULL,
    text VARCHAR(1000) NOT NULL,
    status ENUM('open', 'closed') NOT NULL DEFAULT 'open',
    created_at DATETIME(3) NOT NULL,
    closed_at DATETIME(3) NULL,
    PRIMARY KEY (id),
    UNIQUE KEY reports_once (reporter_id, target_type, target_id),
    KEY reports_item (status, target_type, target_id),
    CONSTRAINT reports_reporter_fk FOREIGN KEY (reporter_id) REFERENCES users (id)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,

  // 11: every moderation action, who did what to which item and when.
  `CREATE TABLE IF NOT EXISTS moderation_actions (
    id INT UNSIGNED NOT NULL AUTO_INCREMENT,
    moderator_id INT UNSIGNED NOT NULL,
    moderator VARCHAR(30) NOT NULL,
    target_type VARCHAR(10) NOT NULL,
    target_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    parent_id VARCHAR(40) CHARACTER SET ascii COLLATE ascii_bin NULL,
    action VARCHAR(10) NOT NULL,
    created_at DATETIME(3) NOT NULL,
    PRIMARY KEY (id),
    KEY moderation_actions_created (created_at)
  ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci`,

  // 12: an account being deleted (services/account-deletion.service.ts); users_state finds them.
  `ALTER TABLE users
    MODIFY COLUMN state ENUM('active', 'suspended', 'deleting') NOT NULL DEFAULT 'active'`,

  // 13: when the state last changed, so each change of who is hidden has a name of its own
  // (aws/hidden-people.ts); NULL for a state set before this column.
  { table: 'users', columns: { state_changed_at: 'DATETIME(3) NULL' } },
];

/** Seconds to wait for another process that is migrating the same database. */
const LOCK_WAIT_SECONDS = 60;

interface VersionRow extends RowDataPacket {
  version: number | null;
}

/**
 * Brings the database up to the latest version. Idempotent, and safe when several workers start
 * at once: a named lock (GET_LOCK, per database) lets one migrate while the others wait, and
 * then find nothing left to do. A database newer than this code is left alone.
 * Returns the versions applied by this call.
 */
export async function migrate(pool: Pool): Promise<number[]> {
  const connection = await pool.getConnection();
  try {
    const [[db]] = await connection.query<RowDataPacket[]>('SELECT DATABASE() AS name');
    const name = typeof db?.name === 'string' ? db.name : '';
    if (!name) throw new Error('migrate: the MySQL connection has no database selected');
    // Lock names are server-wide and at most 64 characters.
    const lock = `lumina_migrate:${name}`.slice(0, 64);
    const [[locked]] = await connection.query<RowDataPacket[]>('SELECT GET_LOCK(?, ?) AS ok', [
      lock,
      LOCK_WAIT_SECONDS,
    ]);
    if (locked?.ok !== 1)
      throw new Error(`migrate: could not get the lock "${lock}" within ${LOCK_WAIT_SECONDS} s`);
    try {
      await connection.query(
        `CREATE TABLE IF NOT EXISTS schema_migrations (
          version INT UNSIGNED NOT NULL,
          applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
          PRIMARY KEY (version)
        ) ENGINE=InnoDB`,
      );
      const [[row]] = await connection.query<VersionRow[]>(
        'SELECT MAX(version) AS version FROM schema_migrations',
      );
      const current = row?.version ?? 0;
      const applied: number[] = [];
      for (let version = current + 1; version <= MIGRATIONS.length; version++) {
        await runMigration(connection, MIGRATIONS[version - 1] ?? '');
        await connection.query('INSERT INTO schema_migrations (version) VALUES (?)', [version]);
        applied.push(version);
      }
      return applied;
    } finally {
      await connection.query('SELECT RELEASE_LOCK(?)', [lock]);
    }
  } finally {
    connection.release();
  }
}

/** Runs one entry: its SQL, or for AddColumns one ALTER of what the table still lacks (none: nothing). */
async function runMigration(connection: PoolConnection, migration: string | AddColumns): Promise<void> {
  if (typeof migration === 'string') {
    await connection.query(migration);
    return;
  }
  const { table, columns, keys = {} } = migration;
  const [haveColumns] = await connection.query<RowDataPacket[]>(
    `SELECT COLUMN_NAME AS name FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
    [table],
  );
  const [haveKeys] = await connection.query<RowDataPacket[]>(
    `SELECT DISTINCT INDEX_NAME AS name FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = ?`,
    [table],
  );
  const has = (rows: RowDataPacket[], name: string) =>
    rows.some((row) => String(row.name).toLowerCase() === name.toLowerCase());
  const clauses = [
    ...Object.entries(columns)
      .filter(([name]) => !has(haveColumns, name))
      .map(([name, definition]) => `ADD COLUMN \`${name}\` ${definition}`),
    ...Object.entries(keys)
      .filter(([name]) => !has(haveKeys, name))
      .map(([name, parts]) => `ADD KEY \`${name}\` ${parts}`),
  ];
  if (clauses.length > 0) await connection.query(`ALTER TABLE \`${table}\` ${clauses.join(', ')}`);
}
