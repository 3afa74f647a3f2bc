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
import { run, type SqliteClient } from './sqlite-client';

interface GroupRow {
  target_type: ReportTargetType;
  target_id: string;
  parent_id: string | null;
  reasons: string;
  texts: string;
  reports: number;
  first_at: number;
  last_at: number;
}

interface ActionRow {
  id: number;
  moderator_id: number;
  moderator: string;
  target_type: ReportTargetType;
  target_id: string;
  parent_id: string | null;
  action: ModerationActionKind;
  created_at: number;
}

const toAction = (row: ActionRow): ModerationAction => ({
  id: row.id,
  moderatorId: row.moderator_id,
  moderator: row.moderator,
  target: { type: row.target_type, id: row.target_id, parentId: row.parent_id },
  action: row.action,
  createdAt: new Date(row.created_at),
});

/** Reports and the moderation log in SQLite. */
export class SqliteReportStore implements ReportStore {
  private readonly insert;
  private readonly existing;
  private readonly groups;
  private readonly closeItem;
  private readonly insertAction;
  private readonly actions;

  constructor(db: SqliteClient) {
    this.insert = db.prepare<[number, string, string, string | null, string, string, number], { id: number }>(
      `INSERT INTO reports (reporter_id, target_type, target_id, parent_id, reason, text, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
    );
    this.existing = db
      .prepare<[number, string, string], number>(
        'SELECT id FROM reports WHERE reporter_id = ? AND target_type = ? AND target_id = ?',
      )
      .pluck();
    this.groups = db.prepare<[string, number], GroupRow>(
      `SELECT target_type, target_id, max(parent_id) AS parent_id, group_concat(reason) AS reasons,
              group_concat(CASE WHEN text <> '' THEN replace(text, char(30), ' ') END, char(30)) AS texts,
              count(*) AS reports, min(created_at) AS first_at, max(created_at) AS last_at
       FROM reports WHERE status = ?
       GROUP BY target_type, target_id
       ORDER BY last_at DESC, target_id DESC
       LIMIT +?`,
    );
    this.closeItem = db.prepare<[number, string, string]>(
      `UPDATE reports SET status = 'closed', closed_at = ?
       WHERE status = 'open' AND target_type = ? AND target_id = ?`,
    );
    this.insertAction = db.prepare<
      [number, string, string, string, string | null, string, number],
      ActionRow
    >(
      `INSERT INTO moderation_actions (moderator_id, moderator, target_type, target_id, parent_id, action, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *`,
    );
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
        const row = this.insert.get(
          reporterId,
          target.type,
          target.id,
          target.parentId,
          report.reason,
          report.text,
          Date.now(),
        )!;
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
    return run(() =>
      this.groups.all(status, limit).map((row) => ({
        target: { type: row.target_type, id: row.target_id, parentId: row.parent_id },
        reasons: countReasons(row.reasons),
        reports: row.reports,
        texts: row.texts ? row.texts.split(String.fromCharCode(30)) : [],
        firstAt: new Date(row.first_at),
        lastAt: new Date(row.last_at),
      })),
    );
  }

  close(target: ReportTarget): Promise<number> {
    return run(() => this.closeItem.run(Date.now(), target.type, target.id).changes);
  }

  logAction(action: Omit<ModerationAction, 'id' | 'createdAt'>): Promise<ModerationAction> {
    return run(() =>
      toAction(
        this.insertAction.get(
          action.moderatorId,
          action.moderator,
          action.target.type,
          action.target.id,
          action.target.parentId,
          action.action,
          Date.now(),
        )!,
      ),
    );
  }

  listActions(limit: number): Promise<ModerationAction[]> {
    return run(() => this.actions.all(limit).map(toAction));
  }
}
