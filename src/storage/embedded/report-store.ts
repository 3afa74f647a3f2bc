import { Conflict } from '../../domain/errors';
import type { ModerationAction, NewReport, ReportGroup, ReportTarget, UserId } from '../../domain/types';
import type { ReportStore } from '../../ports';
import { actionValues, REPORT_SQL, reportValues, toAction, toReportGroup } from '../sql-rows';
import type { ActionRow, GroupRow } from '../sql-rows';
import { run, type SqliteClient } from './sqlite-client';

/** Reports and the moderation log in SQLite. */
export class SqliteReportStore implements ReportStore {
  private readonly insert;
  private readonly existing;
  private readonly groups;
  private readonly closeItem;
  private readonly insertAction;
  private readonly actions;
  private readonly deleteByReporter;

  constructor(db: SqliteClient) {
    this.insert = db.prepare<[number, string, string, string | null, string, string, number], { id: number }>(
      `${REPORT_SQL.insert} RETURNING id`,
    );
    this.existing = db.prepare<[number, string, string], number>(REPORT_SQL.selectId).pluck();
    this.groups = db.prepare<[string, number], GroupRow>(
      `SELECT target_type, target_id, max(parent_id) AS parent_id, group_concat(reason) AS reasons,
              group_concat(CASE WHEN text <> '' THEN replace(text, char(30), ' ') END, char(30)) AS texts,
              count(*) AS reports, min(created_at) AS first_at, max(created_at) AS last_at
       FROM reports WHERE status = ?
       GROUP BY target_type, target_id
       ORDER BY last_at DESC, target_id DESC
       LIMIT +?`,
    );
    this.closeItem = db.prepare<[number, string, string]>(REPORT_SQL.close);
    this.deleteByReporter = db.prepare<[number]>(REPORT_SQL.removeByReporter);
    this.insertAction = db.prepare<
      [number, string, string, string, string | null, string, number],
      ActionRow
    >(`${REPORT_SQL.insertAction} RETURNING *`);
    this.actions = db.prepare<[number], ActionRow>(
      'SELECT * FROM moderation_actions ORDER BY created_at DESC, id DESC LIMIT +?',
    );
  }

  add(report: NewReport): Promise<{ id: number; isNew: boolean }> {
    const { reporterId, target } = report;
    return run(() => {
      const found = this.existing.get(reporterId, target.type, target.id);
      if (found !== undefined) return { id: found, isNew: false };
      try {
        const row = this.insert.get(...reportValues(report, Date.now()))!;
        return { id: row.id, isNew: true };
      } catch (err) {
        // The same person's report racing in from the other worker: theirs is the one.
        const winner =
          err instanceof Conflict ? this.existing.get(reporterId, target.type, target.id) : undefined;
        if (winner === undefined) throw err;
        return { id: winner, isNew: false };
      }
    });
  }

  listGroups(status: 'open' | 'closed', limit: number): Promise<ReportGroup[]> {
    return run(() => this.groups.all(status, limit).map(toReportGroup));
  }

  close(target: ReportTarget): Promise<number> {
    return run(() => this.closeItem.run(Date.now(), target.type, target.id).changes);
  }

  removeByReporter(reporterId: UserId): Promise<number> {
    return run(() => this.deleteByReporter.run(reporterId).changes);
  }

  logAction(action: Omit<ModerationAction, 'id' | 'createdAt'>): Promise<ModerationAction> {
    return run(() => toAction(this.insertAction.get(...actionValues(action, Date.now()))!));
  }

  listActions(limit: number): Promise<ModerationAction[]> {
    return run(() => this.actions.all(limit).map(toAction));
  }
}
