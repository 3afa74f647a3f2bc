import { Conflict, noSuch } from '../../domain/errors';
import type { ActivityEvent, Comment, Page, PageRequest, UserId } from '../../domain/types';
import type { CommentStore } from '../../ports';
import { byId, oldestFirst, toPage } from '../paging';
import { ActivityItems, recipientsOf } from './activity-items';
import type { DynamoClient, Item } from './dynamo-client';
import {
  COMMENT_SORT_PREFIX,
  commentKey,
  commentPartition,
  commentSortKey,
  ENTITY,
  newestCommentsBy,
  photoKey,
  pingKey,
} from './keys';
import { DynamoRequestKeys, keyRefused, madeItem } from './request-keys';

export interface CommentItem extends Item {
  PK: string;
  SK: string;
  type: typeof ENTITY.comment;
  id: string;
  photo_id: string;
  user_id: number;
  username: string;
  text: string;
  created_at: string;
  /** The recipients of the comment's events (each event's id is the comment's): its undo deletes them by key. */
  event_to?: number[];
}

function toComment(item: Item): Comment {
  const c = item as CommentItem;
  return {
    id: c.id,
    photoId: c.photo_id,
    userId: Number(c.user_id),
    username: c.username,
    text: c.text,
    createdAt: new Date(c.created_at),
  };
}

/**
 * Comments in lumina_comments (`PHOTO#<photoId>`, `COMMENT#<ms13>#<id>`), with the count kept on
 * the photo's META item in the photos table by the same transactions.
 */
export class DynamoCommentStore implements CommentStore {
  private readonly events: ActivityItems;
  private readonly requestKeys: DynamoRequestKeys;

  constructor(
    private readonly db: DynamoClient,
    private readonly tables: { comments: string; photos: string },
  ) {
    this.events = new ActivityItems(db, tables.photos);
    this.requestKeys = new DynamoRequestKeys(db, tables.comments);
  }

  async ping(): Promise<void> {
    await this.db.get({ TableName: this.tables.comments, Key: pingKey() });
  }

  /**
   * One transaction across both tables: the comment, comment_count + 1 if the photo exists, and
   * the comment's events (activity items live in the photos table).
   */
  async add(comment: Comment, requestKey?: string, events: ActivityEvent[] = []): Promise<Comment> {
    const item: CommentItem = {
      ...commentKey(comment.photoId, comment.id),
      type: ENTITY.comment,
      id: comment.id,
      photo_id: comment.photoId,
      user_id: comment.userId,
      username: comment.username,
      text: comment.text,
      created_at: comment.createdAt.toISOString(),
      ...(events.length > 0 ? { event_to: events.map((e) => e.recipientId) } : {}),
    };
    const failed = await this.db.transact({
      ...this.events.puts('event', events),
      comment: {
        Put: {
          TableName: this.tables.comments,
          Item: item,
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      },
      photo: this.addToCount(comment.photoId, 1),
      ...this.requestKeys.writes(comment.userId, 'COMMENT', requestKey, madeItem(item), comment.createdAt),
    });
    if (requestKey && keyRefused(failed)) {
      const earlier = await this.requestKeys.itemMadeWith(comment.userId, 'COMMENT', requestKey, failed);
      if (earlier) return toComment(earlier);
    }
    if (failed?.has('photo')) throw noSuch('photo');
    if (failed?.has('comment')) {
      // Ids are made fresh for each comment: one already stored under this id is this comment,
      // whose first attempt landed though its answer was lost (and was sent again).
      const stored = await this.get(comment.photoId, comment.id);
      if (stored?.userId === comment.userId && stored.text === comment.text) return stored;
    }
    if (failed) throw new Conflict('A comment with this id already exists.', 'comment_exists');
    return comment;
  }
  removeRequestKeysOf(userId: UserId): Promise<number> {
    return this.requestKeys.removeAllOf(userId);
  }

  async get(photoId: string, commentId: string): Promise<Comment | null> {
    const item = await this.db.get({
      TableName: this.tables.comments,
      Key: commentKey(photoId, commentId),
      ConsistentRead: true,
    });
    return item ? toComment(item) : null;
  }

  /**
   * Access pattern "comments of a photo, a page from the newest": one Query newest first of
   * limit + 1 below the cursor (the extra one only says there is more), returned oldest first.
   */
  async list(photoId: string, page: PageRequest): Promise<Page<Comment>> {
    const { items } = await this.db.query({
      TableName: this.tables.comments,
      ...(page.before
        ? {
            KeyConditionExpression: 'PK = :pk AND SK BETWEEN :first AND :before',
            ExpressionAttributeValues: {
              ':pk': commentPartition(photoId),
              ':first': COMMENT_SORT_PREFIX,
              ':before': commentSortKey(page.before),
            },
          }
        : {
            KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
            ExpressionAttributeValues: {
              ':pk': commentPartition(photoId),
              ':prefix': COMMENT_SORT_PREFIX,
            },
          }),
      ScanIndexForward: false,
      // BETWEEN includes the cursor's own key, if a comment has it: one more to drop.
      Limit: page.limit + (page.before ? 2 : 1),
      ConsistentRead: true,
    });
    const newestFirst = items.map(toComment).filter((c) => c.id !== page.before);
    return oldestFirst(toPage(newestFirst, page.limit, byId));
  }

  /**
   * A consistent read of the comment's event recipients, then one transaction: delete the
   * comment if it exists, its events (by key: each has the comment's id), and comment_count − 1
   * on the photo. A comment whose photo is already gone is still deleted, with its events
   * (there is no count left to keep).
   */
  async delete(photoId: string, commentId: string): Promise<boolean> {
    const key = commentKey(photoId, commentId);
    const item = await this.db.get({
      TableName: this.tables.comments,
      Key: key,
      ConsistentRead: true,
      ProjectionExpression: 'event_to',
    });
    if (!item) return false;
    const refs = recipientsOf(item.event_to).map((recipientId) => ({ recipientId, eventId: commentId }));
    const failed = await this.db.transact({
      comment: {
        Delete: { TableName: this.tables.comments, Key: key, ConditionExpression: 'attribute_exists(PK)' },
      },
      photo: this.addToCount(photoId, -1),
      ...this.events.deletes('event', refs),
    });
    if (!failed) return true;
    if (failed.has('comment')) return false;
    // Only the photo is gone: delete the comment alone, then its events.
    const deleted = (await this.db.delete({ TableName: this.tables.comments, Key: key })) !== null;
    await this.events.remove(refs);
    return deleted;
  }

  /** Queries the photo's partition page by page and batch-deletes the comments with their events. */
  async deleteAllForPhoto(photoId: string): Promise<number> {
    let count = 0;
    for await (const items of this.db.queryPages({
      TableName: this.tables.comments,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': commentPartition(photoId), ':prefix': COMMENT_SORT_PREFIX },
      ProjectionExpression: 'PK, SK, id, event_to',
      ConsistentRead: true,
    })) {
      await this.events.remove(
        items.flatMap((item) =>
          recipientsOf(item.event_to).map((recipientId) => ({ recipientId, eventId: String(item.id) })),
        ),
      );
      await this.db.batchWrite(
        this.tables.comments,
        items.map((item) => ({ DeleteRequest: { Key: { PK: String(item.PK), SK: String(item.SK) } } })),
      );
      count += items.length;
    }
    return count;
  }

  /** Access pattern "a person's comments, newest first": one Query of AUTHOR_INDEX (keys.ts). */
  async listByAuthor(userId: UserId, page: PageRequest): Promise<Page<Comment>> {
    const { items } = await this.db.query({
      TableName: this.tables.comments,
      ...newestCommentsBy(userId, page.before),
      Limit: page.limit + 1,
    });
    return toPage(items.map(toComment), page.limit, byId);
  }

  private addToCount(photoId: string, delta: 1 | -1) {
    return {
      Update: {
        TableName: this.tables.photos,
        Key: photoKey(photoId),
        UpdateExpression: 'ADD comment_count :delta',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':delta': delta },
      },
    };
  }
}
