import type {
  AccountState,
  Friend,
  FriendRequest,
  FriendRequestStatus,
  ModerationAction,
  ModerationActionKind,
  NewReport,
  ReportGroup,
  ReportReason,
  ReportTargetType,
  User,
  UserCredentials,
} from '../domain/types';

/**
 * What the two relational stores (SQLite in embedded/, MySQL in aws/) read alike: each table's
 * row as the driver returns it, its mapping to the domain, the sentences of its clashes, and the
 * SQL that is the same in both dialects. A time is epoch milliseconds from SQLite (INTEGER) and a
 * Date from MySQL (DATETIME(3)); `new Date()` takes either. MySQL stores add `RowDataPacket`.
 */
type Time = number | Date;

export const messages = {
  usernameTaken: 'That username is taken.',
  emailTaken: 'That e-mail address is already registered.',
  requestExists: 'You are already friends or have a pending request.',
};

// --- users ------------------------------------------------------------------------------------

export interface UserRow {
  id: number;
  username: string;
  email: string;
  password_hash: string;
  created_at: Time;
  bio: string;
  avatar_id: string | null;
  state: AccountState;
  is_moderator: number;
  /**
   * SQLite only: set when the deletion began, and the state is then `deleting` (SQLite's CHECK on
   * `state` cannot take a new value in place: embedded/migrations.ts version 12).
   */
  deleting_at?: number | null;
}

export const toUser = (row: UserRow): User => ({
  id: row.id,
  username: row.username,
  email: row.email,
  createdAt: new Date(row.created_at),
  bio: row.bio,
  avatarId: row.avatar_id,
  state: row.deleting_at != null ? 'deleting' : row.state,
  isModerator: Number(row.is_moderator) === 1,
});

export const toCredentials = (row: UserRow): UserCredentials => ({
  ...toUser(row),
  passwordHash: row.password_hash,
});

// --- friend requests --------------------------------------------------------------------------

export interface RequestRow {
  id: number;
  requester_id: number;
  requester_username: string;
  receiver_id: number;
  receiver_username: string;
  status: FriendRequestStatus;
  created_at: Time;
  responded_at: Time | null;
}

export const toRequest = (row: RequestRow): FriendRequest => ({
  id: row.id,
  requesterId: row.requester_id,
  requesterUsername: row.requester_username,
  receiverId: row.receiver_id,
  receiverUsername: row.receiver_username,
  status: row.status,
  createdAt: new Date(row.created_at),
  respondedAt: row.responded_at === null ? null : new Date(row.responded_at),
});

/** A request with both usernames; callers append WHERE / ORDER BY. */
export const SELECT_REQUEST = `
  SELECT f.id, f.requester_id, requester.username AS requester_username,
         f.receiver_id, receiver.username AS receiver_username,
         f.status, f.created_at, f.responded_at
  FROM friend_requests f
  JOIN users requester ON requester.id = f.requester_id
  JOIN users receiver ON receiver.id = f.receiver_id`;

export interface FriendRow {
  id: number;
  username: string;
  since: Time;
}

export const toFriend = (row: FriendRow): Friend => ({
  id: row.id,
  username: row.username,
  since: new Date(row.since),
});

// --- reports and the moderation log -----------------------------------------------------------

/** Joins the texts of a report group (the ASCII record separator, which no text keeps). */
export const TEXT_SEPARATOR = String.fromCharCode(30);

export interface GroupRow {
  target_type: ReportTargetType;
  target_id: string;
  parent_id: string | null;
  /** The group's reasons joined with commas: "spam,spam,other". */
  reasons: string;
  /** The group's non-empty texts joined with TEXT_SEPARATOR, or null (MySQL) / '' without any. */
  texts: string | null;
  reports: number;
  first_at: Time;
  last_at: Time;
}

export const toReportGroup = (row: GroupRow): ReportGroup => ({
  target: { type: row.target_type, id: row.target_id, parentId: row.parent_id },
  reasons: countReasons(row.reasons),
  reports: Number(row.reports),
  texts: row.texts ? row.texts.split(TEXT_SEPARATOR) : [],
  firstAt: new Date(row.first_at),
  lastAt: new Date(row.last_at),
});

/** "spam,spam,other" → { spam: 2, other: 1 }. */
function countReasons(list: string): Partial<Record<ReportReason, number>> {
  const counts: Partial<Record<ReportReason, number>> = {};
  for (const reason of list.split(',').filter(Boolean) as ReportReason[])
    counts[reason] = (counts[reason] ?? 0) + 1;
  return counts;
}

export interface ActionRow {
  id: number;
  moderator_id: number;
  moderator: string;
  target_type: ReportTargetType;
  target_id: string;
  parent_id: string | null;
  action: ModerationActionKind;
  created_at: Time;
}

export const toAction = (row: ActionRow): ModerationAction => ({
  id: row.id,
  moderatorId: row.moderator_id,
  moderator: row.moderator,
  target: { type: row.target_type, id: row.target_id, parentId: row.parent_id },
  action: row.action,
  createdAt: new Date(row.created_at),
});

/** The report statements both dialects write alike; SQLite adds RETURNING to the inserts. */
export const REPORT_SQL = {
  /** (reporter_id, target_type, target_id) → id */
  selectId: 'SELECT id FROM reports WHERE reporter_id = ? AND target_type = ? AND target_id = ?',
  /** reportValues() */
  insert: `INSERT INTO reports (reporter_id, target_type, target_id, parent_id, reason, text, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)`,
  /** Closes an item's open reports: (closed_at, target_type, target_id). */
  close: `UPDATE reports SET status = 'closed', closed_at = ?
    WHERE status = 'open' AND target_type = ? AND target_id = ?`,
  /** Every report one person made: (reporter_id). */
  removeByReporter: 'DELETE FROM reports WHERE reporter_id = ?',
  /** actionValues() */
  insertAction: `INSERT INTO moderation_actions (moderator_id, moderator, target_type, target_id, parent_id, action, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?)`,
};

/** REPORT_SQL.insert's values, in its order. */
export const reportValues = <T extends Time>(report: NewReport, createdAt: T) =>
  [
    report.reporterId,
    report.target.type,
    report.target.id,
    report.target.parentId,
    report.reason,
    report.text,
    createdAt,
  ] as const;

/** Closes an item's open reports: (closed_at, target_type, target_id). */
export const CLOSE_REPORTS = `UPDATE reports SET status = 'closed', closed_at = ?
  WHERE status = 'open' AND target_type = ? AND target_id = ?`;

export const INSERT_ACTION = `INSERT INTO moderation_actions (moderator_id, moderator, target_type, target_id, parent_id, action, created_at)
  VALUES (?, ?, ?, ?, ?, ?, ?)`;

/** REPORT_SQL.insertAction's values, in its order. */
export const actionValues = <T extends Time>(
  action: Omit<ModerationAction, 'id' | 'createdAt'>,
  createdAt: T,
) =>
  [
    action.moderatorId,
    action.moderator,
    action.target.type,
    action.target.id,
    action.target.parentId,
    action.action,
    createdAt,
  ] as const;
