import { ACTIVITY_TTL_DAYS } from '../../domain/limits';
import type { ActivityEvent, ActivityKind, Page, PageRequest, UserId } from '../../domain/types';
import { firstIdAt } from '../../lib/ulid';
import type { ActivityStore } from '../../ports';
import { byId, toPage } from '../paging';
import { type ActivityRow, SqliteActivityRows } from './activity-rows';
import { run, type SqliteClient } from './sqlite-client';

const toEvent = (row: ActivityRow): ActivityEvent => ({
  id: row.id,
  recipientId: row.recipient_id,
  kind: row.kind as ActivityKind,
  actorId: row.actor_id,
  actorUsername: row.actor_username,
  photoId: row.photo_id,
  subjectId: row.subject_id,
  text: row.text,
  createdAt: new Date(row.created_at),
});

/** Sorts after every ULID. */
const NEWEST = '~';
const TTL_MS = ACTIVITY_TTL_DAYS * 24 * 60 * 60_000;

export class SqliteActivityStore implements ActivityStore {
  readonly ping: () => Promise<void>;
  private readonly page;
  private readonly mark;
  private readonly setMark;
  private readonly unread;
  private readonly prune;
  private readonly rows: SqliteActivityRows;
  private readonly addTx;
  private readonly removeAllTx;
  private readonly removeByKeyTx;

  constructor(db: SqliteClient) {
    this.ping = db.pinger();
    this.rows = new SqliteActivityRows(db);
    this.page = db.prepare<[number, string, string, number], ActivityRow>(
      'SELECT * FROM activity WHERE recipient_id = ? AND id < ? AND id >= ? ORDER BY id DESC LIMIT +?',
    );
    this.mark = db.prepare<[number], string>('SELECT last_id FROM activity_read WHERE user_id = ?').pluck();
    this.setMark = db.prepare<[number, string]>(
      `INSERT INTO activity_read (user_id, last_id) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET last_id = max(last_id, excluded.last_id)`,
    );
    this.unread = db
      .prepare<[number, string, string, number], number>(
        // Events by people hidden from everyone (suspended, being deleted) are left out, as the
        // activity page leaves them out.
        `SELECT count(*) FROM (SELECT 1 FROM activity a
           WHERE a.recipient_id = ? AND a.id > ? AND a.id >= ? AND NOT EXISTS (SELECT 1 FROM users u
             WHERE u.id = a.actor_id AND (u.state = 'suspended' OR u.deleting_at IS NOT NULL))
           LIMIT +?)`,
      )
      .pluck();
    this.prune = db.prepare<[number, string]>('DELETE FROM activity WHERE recipient_id = ? AND id < ?');
    this.addTx = db.transaction((events: ActivityEvent[]) => this.rows.add(events));
    const removeEvents = db.prepare<[number]>('DELETE FROM activity WHERE recipient_id = ?');
    const removeMark = db.prepare<[number]>('DELETE FROM activity_read WHERE user_id = ?');
    this.removeAllTx = db.transaction((recipientId: UserId) => {
      removeEvents.run(recipientId);
      removeMark.run(recipientId);
    });
    const removeOne = db.prepare<[number, string]>('DELETE FROM activity WHERE recipient_id = ? AND id = ?');
    this.removeByKeyTx = db.transaction((refs: { recipientId: UserId; eventId: string }[]) => {
      for (const ref of refs) removeOne.run(ref.recipientId, ref.eventId);
    });
  }

  add(events: ActivityEvent[]): Promise<void> {
    return run(() => {
      if (events.length > 0) this.addTx.immediate(events);
    });
  }

  list(recipientId: UserId, page: PageRequest): Promise<Page<ActivityEvent>> {
    return run(() => {
      const rows = this.page.all(recipientId, page.before ?? NEWEST, this.oldestKept(), page.limit + 1);
      return toPage(rows.map(toEvent), page.limit, byId);
    });
  }

  removeAllFor(recipientId: UserId): Promise<void> {
    return run(() => this.removeAllTx.immediate(recipientId));
  }

  removeEvents(refs: { recipientId: UserId; eventId: string }[]): Promise<void> {
    return run(() => this.removeByKeyTx.immediate(refs));
  }

  readMark(recipientId: UserId): Promise<string | null> {
    return run(() => this.mark.get(recipientId) ?? null);
  }

  /** Also drops the recipient's events past their 90 days (what DynamoDB's TTL does there). */
  markRead(recipientId: UserId, eventId: string): Promise<void> {
    return run(() => {
      this.setMark.run(recipientId, eventId);
      this.prune.run(recipientId, this.oldestKept());
    });
  }

  countUnread(recipientId: UserId, cap: number): Promise<number> {
    return run(() => {
      const mark = this.mark.get(recipientId) ?? '';
      return this.unread.get(recipientId, mark, this.oldestKept(), cap) ?? 0;
    });
  }

  private oldestKept(): string {
    return firstIdAt(Date.now() - TTL_MS);
  }
}
