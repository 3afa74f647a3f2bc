import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { Conflict } from '../../domain/errors';
import type {
  ModerationAction,
  ModerationActionKind,
  NewReport,
  ReportGroup,
  ReportTarget,
  ReportTargetType,
} from '../../domain/types';
import type { ReportStore } from '../../ports';
import { countReasons } from '../report-reasons';
import type { MysqlClient } from './mysql-client';

interface GroupRow extends RowDataPacket {
  target_type: ReportTargetType;
  target_id: string;
  parent_id: string | null;
  reasons: string;
  texts: string | null;
  reports: number;
  first_at: Date;
  last_at: Date;
}

interface ActionRow extends RowDataPacket {
  id: number;
  moderator_id: number;
  moderator: string;
  target_type: ReportTargetType;
  target_id: string;
  parent_id: string | null;
  action: ModerationActionKind;
  created_at: Date;
}

interface IdRow extends RowDataPacket {
  id: number;
}

const SEPARATOR = String.fromCharCode(30);

const toAction = (row: ActionRow): ModerationAction => ({
  id: row.id,
  moderatorId: row.moderator_id,
  moderator: row.moderator,
  target: { type: row.target_type, id: row.target_id, parentId: row.parent_id },
  action: row.action,
  createdAt: row.created_at,
});

/** Reports and the moderation log in MySQL. */
export class MysqlReportStore implements ReportStore {
  constructor(private readonly db: MysqlClient) {}

  async add(report: NewReport): Promise<{ id: number; isNew: boolean }> {
    const { reporterId, target } = report;
    const existing = () =>
      this.db.query<IdRow[]>(
        'SELECT id FROM reports WHERE reporter_id = ? AND target_type = ? AND target_id = ?',
        [reporterId, target.type, target.id],
      );
    const [found] = await existing();
    if (found) return { id: found.id, isNew: false };
    try {
      const result = await this.db.query<ResultSetHeader>(
        `INSERT INTO reports (reporter_id, target_type, target_id, parent_id, reason, text, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
        [reporterId, target.type, target.id, target.parentId, report.reason, report.text, new Date()],
      );
      return { id: result.insertId, isNew: true };
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      const [winner] = await existing();
      if (!winner) throw err;
      return { id: winner.id, isNew: false };
    }
  }

  async listGroups(status: 'open' | 'closed', limit: number): Promise<ReportGroup[]> {
    const rows = await this.db.query<GroupRow[]>(
      `SELECT target_type, target_id, MAX(parent_id) AS parent_id, GROUP_CONCAT(reason) AS reasons,
              GROUP_CONCAT(CASE WHEN text <> '' THEN REPLACE(text, ?, ' ') END SEPARATOR ?) AS texts,
              COUNT(*) AS reports, MIN(created_at) AS first_at, MAX(created_at) AS last_at
       FROM reports WHERE status = ?
       GROUP BY target_type, target_id
       ORDER BY last_at DESC, target_id DESC
       LIMIT ?`,
      [SEPARATOR, SEPARATOR, status, limit],
    );
    return rows.map((row) => ({
      target: { type: row.target_type, id: row.target_id, parentId: row.parent_id },
      reasons: countReasons(row.reasons),
      reports: Number(row.reports),
      texts: row.texts ? row.texts.split(SEPARATOR) : [],
      firstAt: row.first_at,
      lastAt: row.last_at,
    }));
  }

  async close(target: ReportTarget): Promise<number> {
    const result = await this.db.query<ResultSetHeader>(
      `UPDATE reports SET status = 'closed', closed_at = ?
       WHERE status = 'open' AND target_type = ? AND target_id = ?`,
      [new Date(), target.type, target.id],
    );
    return result.affectedRows;
  }

  async logAction(action: Omit<ModerationAction, 'id' | 'createdAt'>): Promise<ModerationAction> {
    const createdAt = new Date();
    const result = await this.db.query<ResultSetHeader>(
      `INSERT INTO moderation_actions (moderator_id, moderator, target_type, target_id, parent_id, action, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
      [
        action.moderatorId,
        action.moderator,
        action.target.type,
        action.target.id,
        action.target.parentId,
        action.action,
        createdAt,
      ],
    );
    return { ...action, id: result.insertId, createdAt };
  }

  async listActions(limit: number): Promise<ModerationAction[]> {
    const rows = await this.db.query<ActionRow[]>(
      'SELECT * FROM moderation_actions ORDER BY created_at DESC, id DESC LIMIT ?',
      [limit],
    );
    return rows.map(toAction);
  }
}
