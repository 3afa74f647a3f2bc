import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { Conflict } from '../../domain/errors';
import type { ModerationAction, NewReport, ReportGroup, ReportTarget, UserId } from '../../domain/types';
import type { ReportStore } from '../../ports';
import { actionValues, REPORT_SQL, reportValues, TEXT_SEPARATOR, toAction, toReportGroup } from '../sql-rows';
import type { ActionRow, GroupRow } from '../sql-rows';
import type { MysqlClient } from './mysql-client';

type Row<T> = T & RowDataPacket;

/** Reports and the moderation log in MySQL. */
export class MysqlReportStore implements ReportStore {
  constructor(private readonly db: MysqlClient) {}

  async add(report: NewReport): Promise<{ id: number; isNew: boolean }> {
    const { reporterId, target } = report;
    const existing = () =>
      this.db.query<Row<{ id: number }>[]>(REPORT_SQL.selectId, [reporterId, target.type, target.id]);
    const [found] = await existing();
    if (found) return { id: found.id, isNew: false };
    try {
      const result = await this.db.query<ResultSetHeader>(
        REPORT_SQL.insert,
        reportValues(report, new Date()),
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
    const rows = await this.db.query<Row<GroupRow>[]>(
      `SELECT target_type, target_id, MAX(parent_id) AS parent_id, GROUP_CONCAT(reason) AS reasons,
              GROUP_CONCAT(CASE WHEN text <> '' THEN REPLACE(text, ?, ' ') END SEPARATOR ?) AS texts,
              COUNT(*) AS reports, MIN(created_at) AS first_at, MAX(created_at) AS last_at
       FROM reports WHERE status = ?
       GROUP BY target_type, target_id
       ORDER BY last_at DESC, target_id DESC
       LIMIT ?`,
      [TEXT_SEPARATOR, TEXT_SEPARATOR, status, limit],
    );
    return rows.map(toReportGroup);
  }

  async close(target: ReportTarget): Promise<number> {
    const result = await this.db.query<ResultSetHeader>(REPORT_SQL.close, [
      new Date(),
      target.type,
      target.id,
    ]);
    return result.affectedRows;
  }

  async removeByReporter(reporterId: UserId): Promise<number> {
    const result = await this.db.query<ResultSetHeader>(REPORT_SQL.removeByReporter, [reporterId]);
    return result.affectedRows;
  }

  async logAction(action: Omit<ModerationAction, 'id' | 'createdAt'>): Promise<ModerationAction> {
    const createdAt = new Date();
    const result = await this.db.query<ResultSetHeader>(
      REPORT_SQL.insertAction,
      actionValues(action, createdAt),
    );
    return { ...action, id: result.insertId, createdAt };
  }

  async listActions(limit: number): Promise<ModerationAction[]> {
    const rows = await this.db.query<Row<ActionRow>[]>(
      'SELECT * FROM moderation_actions ORDER BY created_at DESC, id DESC LIMIT ?',
      [limit],
    );
    return rows.map(toAction);
  }
}
