import { ACTIVITY_TTL_DAYS } from '../../domain/limits';
import type {
  ActivityEvent,
  ActivityKind,
  ActivitySubject,
  Page,
  PageRequest,
  UserId,
} from '../../domain/types';
import { firstIdAt } from '../../lib/ulid';
import type { ActivityStore } from '../../ports';
import { byId, toPage } from '../paging';
import { run, type SqliteClient } from './sqlite-client';

interface ActivityRow {
  recipient_id: number;
  id: string;
  kind: string;
  actor_id: number;
  actor_username: string;
  photo_id: string | null;
  subject_id: string | null;
  text: string | null;
  created_at: number;
}

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

const toRow = (e: ActivityEvent): ActivityRow => ({
  recipient_id: e.recipientId,
  id: e.id,
  kind: e.kind,
  actor_id: e.actorId,
  actor_username: e.actorUsername,
  photo_id: e.photoId,
  subject_id: e.subjectId,
  text: e.text,
  created_at: e.createdAt.getTime(),
});

/** Sorts after every ULID. */
const NEWEST = '~';
const TTL_MS = ACTIVITY_TTL_DAYS * 24 * 60 * 60_000;

export class SqliteActivityStore implements ActivityStore {
  readonly ping: () => Promise<void>;
  private readonly insert;
  private readonly page;
  private readonly byLike;
  private readonly byComment;
  private readonly byPhoto;
  private readonly byRequest;
  private readonly mark;
  private readonly setMark;
  private readonly unread;
  private readonly prune;
  private readonly addTx;

  constructor(db: SqliteClient) {
    this.ping = db.pinger();
    this.insert = db.prepare<[ActivityRow]>(
      `INSERT OR IGNORE INTO activity (recipient_id, id, kind, actor_id, actor_username, photo_id, subject_id, text, created_at)
       VALUES (:recipient_id, :id, :kind, :actor_id, :actor_username, :photo_id, :subject_id, :text, :created_at)`,
    );
    this.page = db.prepare<[number, string, string, number], ActivityRow>(
      'SELECT * FROM activity WHERE recipient_id = ? AND id < ? AND id >= ? ORDER BY id DESC LIMIT +?',
    );
    this.byLike = db.prepare<[string, number]>(
      "DELETE FROM activity WHERE photo_id = ? AND kind = 'like' AND actor_id = ?",
    );
    this.byComment = db.prepare<[string, string]>(
      'DELETE FROM activity WHERE photo_id = ? AND subject_id = ?',
    );
    this.byPhoto = db.prepare<[string]>('DELETE FROM activity WHERE photo_id = ?');
    this.byRequest = db.prepare<[string]>(
      "DELETE FROM activity WHERE subject_id = ? AND kind IN ('friend_request', 'friend_accept')",
    );
    this.mark = db.prepare<[number], string>('SELECT last_id FROM activity_read WHERE user_id = ?').pluck();
    this.setMark = db.prepare<[number, string]>(
      `INSERT INTO activity_read (user_id, last_id) VALUES (?, ?)
       ON CONFLICT (user_id) DO UPDATE SET last_id = max(last_id, excluded.last_id)`,
    );
    this.unread = db
      .prepare<[number, string, string, number], number>(
        'SELECT count(*) FROM (SELECT 1 FROM activity WHERE recipient_id = ? AND id > ? AND id >= ? LIMIT +?)',
      )
      .pluck();
    this.prune = db.prepare<[number, string]>('DELETE FROM activity WHERE recipient_id = ? AND id < ?');
    this.addTx = db.transaction((events: ActivityEvent[]) => {
      for (const event of events) this.insert.run(toRow(event));
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

  remove(subject: ActivitySubject): Promise<void> {
    return run(() => {
      switch (subject.kind) {
        case 'like':
          this.byLike.run(subject.photoId, subject.actorId);
          return;
        case 'comment':
          this.byComment.run(subject.photoId, subject.commentId);
          return;
        case 'photo':
          this.byPhoto.run(subject.photoId);
          return;
        case 'request':
          this.byRequest.run(String(subject.requestId));
          return;
      }
    });
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
