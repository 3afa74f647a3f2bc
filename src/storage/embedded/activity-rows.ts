import type { ActivityEvent, UserId } from '../../domain/types';
import type { SqliteClient } from './sqlite-client';

export interface ActivityRow {
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

/**
 * The activity table as the acts write it: events are inserted and deleted by the store that
 * writes the act, in the act's own transaction (a like with its event, a deleted comment with
 * its events). Call every method inside that transaction. Deletes go through the indexes on
 * photo_id and subject_id.
 */
export class SqliteActivityRows {
  private readonly insert;
  private readonly byLike;
  private readonly byComment;
  private readonly byPhoto;
  private readonly byCaption;
  private readonly byRequest;

  constructor(db: SqliteClient) {
    this.insert = db.prepare<[ActivityRow]>(
      `INSERT OR IGNORE INTO activity (recipient_id, id, kind, actor_id, actor_username, photo_id, subject_id, text, created_at)
       VALUES (:recipient_id, :id, :kind, :actor_id, :actor_username, :photo_id, :subject_id, :text, :created_at)`,
    );
    this.byLike = db.prepare<[string, number]>(
      "DELETE FROM activity WHERE photo_id = ? AND kind = 'like' AND actor_id = ?",
    );
    this.byComment = db.prepare<[string, string]>(
      'DELETE FROM activity WHERE photo_id = ? AND subject_id = ?',
    );
    this.byPhoto = db.prepare<[string]>('DELETE FROM activity WHERE photo_id = ?');
    this.byCaption = db.prepare<[string, number]>(
      "DELETE FROM activity WHERE photo_id = ? AND kind = 'mention' AND subject_id IS NULL AND recipient_id = ?",
    );
    this.byRequest = db.prepare<[string]>(
      "DELETE FROM activity WHERE subject_id = ? AND kind = 'friend_request'",
    );
  }

  add(events: readonly ActivityEvent[]): void {
    for (const event of events) this.insert.run(toRow(event));
  }

  /** The owner's event about the user's like of the photo. */
  deleteLike(photoId: string, actorId: UserId): void {
    this.byLike.run(photoId, actorId);
  }

  /** Every event a comment caused (its owner's, mentions', earlier commenters'). */
  deleteComment(photoId: string, commentId: string): void {
    this.byComment.run(photoId, commentId);
  }

  /** Every event about the photo: its likes, its comments, its caption's mentions. */
  deletePhoto(photoId: string): void {
    this.byPhoto.run(photoId);
  }

  /** The caption mentions of the photo that these people had. */
  deleteCaptionMentions(photoId: string, recipients: readonly UserId[]): void {
    for (const id of recipients) this.byCaption.run(photoId, id);
  }

  /** The receiver's event about a pending request. */
  deleteRequest(requestId: number): void {
    this.byRequest.run(String(requestId));
  }
}
