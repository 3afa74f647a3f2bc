import { noSuch } from '../../domain/errors';
import type { ActivityEvent, Comment, Page, PageRequest, UserId } from '../../domain/types';
import type { CommentStore } from '../../ports';
import { byId, oldestFirst, toPage } from '../paging';
import { SqliteActivityRows } from './activity-rows';
import { run, type SqliteClient } from './sqlite-client';
import { SqliteRequestKeys } from './request-keys';

/** Sorts after every ULID, so "older than NEWEST" means "from the newest". */
const NEWEST = '~';

interface CommentRow {
  id: string;
  photo_id: string;
  user_id: number;
  username: string;
  text: string;
  created_at: number;
}

const toComment = (row: CommentRow): Comment => ({
  id: row.id,
  photoId: row.photo_id,
  userId: row.user_id,
  username: row.username,
  text: row.text,
  createdAt: new Date(row.created_at),
});

export class SqliteCommentStore implements CommentStore {
  readonly ping: () => Promise<void>;
  private readonly insert;
  private readonly byId;
  private readonly newest;
  private readonly newestOfAuthor;
  private readonly remove;
  private readonly removeAll;
  private readonly addToCount;
  private readonly zeroCount;
  private readonly requestKeys: SqliteRequestKeys;
  private readonly events: SqliteActivityRows;
  private readonly addTx;
  private readonly deleteTx;
  private readonly deleteAllTx;

  constructor(db: SqliteClient) {
    this.ping = db.pinger();
    this.insert = db.prepare<[CommentRow]>(
      `INSERT INTO comments (photo_id, id, user_id, username, text, created_at)
       VALUES (:photo_id, :id, :user_id, :username, :text, :created_at)`,
    );
    this.byId = db.prepare<[string, string], CommentRow>(
      'SELECT * FROM comments WHERE photo_id = ? AND id = ?',
    );
    this.newest = db.prepare<[string, string, number], CommentRow>(
      'SELECT * FROM comments WHERE photo_id = ? AND id < ? ORDER BY id DESC LIMIT +?',
    );
    this.newestOfAuthor = db.prepare<[number, string, number], CommentRow>(
      'SELECT * FROM comments WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT +?',
    );
    this.remove = db.prepare<[string, string]>('DELETE FROM comments WHERE photo_id = ? AND id = ?');
    this.removeAll = db.prepare<[string]>('DELETE FROM comments WHERE photo_id = ?');
    this.addToCount = db.prepare<[number, string]>(
      'UPDATE photos SET comment_count = max(comment_count + ?, 0) WHERE id = ?',
    );
    this.zeroCount = db.prepare<[string]>('UPDATE photos SET comment_count = 0 WHERE id = ?');

    this.requestKeys = new SqliteRequestKeys(db);
    this.events = new SqliteActivityRows(db);
    // With a request key used before, the comment stored then (if it is still there) instead, and
    // no event. Otherwise the comment, its count and its events in one transaction.
    this.addTx = db.transaction(
      (comment: Comment, requestKey: string | undefined, events: ActivityEvent[]): Comment => {
        if (requestKey) {
          const earlier = this.requestKeys.find(comment.userId, 'comment', requestKey);
          const row = earlier && this.byId.get(earlier.parentId, earlier.targetId);
          if (row) return toComment(row);
          this.requestKeys.record(comment.userId, 'comment', requestKey, {
            parentId: comment.photoId,
            targetId: comment.id,
          });
        }
        if (this.addToCount.run(1, comment.photoId).changes === 0) throw noSuch('photo');
        this.insert.run({
          photo_id: comment.photoId,
          id: comment.id,
          user_id: comment.userId,
          username: comment.username,
          text: comment.text,
          created_at: comment.createdAt.getTime(),
        });
        this.events.add(events);
        return comment;
      },
    );
    this.deleteTx = db.transaction((photoId: string, commentId: string): boolean => {
      if (this.remove.run(photoId, commentId).changes === 0) return false;
      this.addToCount.run(-1, photoId);
      this.events.deleteComment(photoId, commentId);
      return true;
    });
    // The photo may already be gone (a photo's metadata is deleted before its comments).
    this.deleteAllTx = db.transaction((photoId: string): number => {
      const removed = this.removeAll.run(photoId).changes;
      this.zeroCount.run(photoId);
      this.events.deletePhoto(photoId);
      return removed;
    });
  }

  add(comment: Comment, requestKey?: string, events: ActivityEvent[] = []): Promise<Comment> {
    return run(() => this.addTx.immediate(comment, requestKey, events));
  }

  removeRequestKeysOf(userId: UserId): Promise<number> {
    return this.requestKeys.removeAllOf(userId, 'comment');
  }

  get(photoId: string, commentId: string): Promise<Comment | null> {
    return run(() => {
      const row = this.byId.get(photoId, commentId);
      return row ? toComment(row) : null;
    });
  }

  /** The newest limit + 1 before the cursor, newest first; the extra one only says there is more. */
  list(photoId: string, page: PageRequest): Promise<Page<Comment>> {
    return run(() =>
      oldestFirst(
        toPage(
          this.newest.all(photoId, page.before ?? NEWEST, page.limit + 1).map(toComment),
          page.limit,
          byId,
        ),
      ),
    );
  }

  /** Walks the index comments_author (user_id, id). */
  listByAuthor(userId: UserId, page: PageRequest): Promise<Page<Comment>> {
    return run(() =>
      toPage(
        this.newestOfAuthor.all(userId, page.before ?? NEWEST, page.limit + 1).map(toComment),
        page.limit,
        byId,
      ),
    );
  }

  delete(photoId: string, commentId: string): Promise<boolean> {
    return run(() => this.deleteTx.immediate(photoId, commentId));
  }

  deleteAllForPhoto(photoId: string): Promise<number> {
    return run(() => this.deleteAllTx.immediate(photoId));
  }
}
