import { DeleteCommand, GetCommand, QueryCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Conflict, noSuch } from '../../domain/errors';
import type { Comment, Page, PageRequest } from '../../domain/types';
import type { CommentStore } from '../../ports';
import { DYNAMODB, guard } from './clients';
import { deleteQueried, type Item, transactWrite } from './dynamo-ops';
import { COMMENT_SORT_PREFIX, commentKey, commentPartition, commentSortKey, ENTITY, photoKey } from './keys';

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
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: { comments: string; photos: string },
  ) {}

  ping(): Promise<void> {
    return guard(DYNAMODB, async () => {
      await this.doc.send(
        new GetCommand({ TableName: this.tables.comments, Key: { PK: 'PING', SK: 'PING' } }),
      );
    });
  }

  /** One transaction across both tables: the comment, and comment_count + 1 if the photo exists. */
  add(comment: Comment): Promise<Comment> {
    return guard(DYNAMODB, async () => {
      const item: CommentItem = {
        ...commentKey(comment.photoId, comment.id),
        type: ENTITY.comment,
        id: comment.id,
        photo_id: comment.photoId,
        user_id: comment.userId,
        username: comment.username,
        text: comment.text,
        created_at: comment.createdAt.toISOString(),
      };
      const failed = await transactWrite(this.doc, [
        {
          Put: {
            TableName: this.tables.comments,
            Item: item,
            ConditionExpression: 'attribute_not_exists(PK)',
          },
        },
        this.addToCount(comment.photoId, 1),
      ]);
      if (failed?.[1] === 'ConditionalCheckFailed') throw noSuch('photo');
      if (failed) throw new Conflict('A comment with this id already exists.', 'comment_exists');
      return comment;
    });
  }

  get(photoId: string, commentId: string): Promise<Comment | null> {
    return guard(DYNAMODB, async () => {
      const { Item } = await this.doc.send(
        new GetCommand({
          TableName: this.tables.comments,
          Key: commentKey(photoId, commentId),
          ConsistentRead: true,
        }),
      );
      return Item ? toComment(Item) : null;
    });
  }

  /**
   * Access pattern "comments of a photo, a page from the newest": one Query newest first of
   * limit + 1 below the cursor (the extra one only says there is more), returned oldest first.
   */
  list(photoId: string, page: PageRequest): Promise<Page<Comment>> {
    return guard(DYNAMODB, async () => {
      const { Items } = await this.doc.send(
        new QueryCommand({
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
        }),
      );
      const newestFirst = (Items ?? []).map(toComment).filter((c) => c.id !== page.before);
      const items = newestFirst.slice(0, page.limit);
      const next = newestFirst.length > page.limit ? (items.at(-1)?.id ?? null) : null;
      return { items: items.reverse(), next };
    });
  }

  /**
   * One transaction: delete the comment if it exists, and comment_count − 1 on the photo. A
   * comment whose photo is already gone is still deleted (there is no count left to keep).
   */
  delete(photoId: string, commentId: string): Promise<boolean> {
    return guard(DYNAMODB, async () => {
      const key = commentKey(photoId, commentId);
      const failed = await transactWrite(this.doc, [
        {
          Delete: { TableName: this.tables.comments, Key: key, ConditionExpression: 'attribute_exists(PK)' },
        },
        this.addToCount(photoId, -1),
      ]);
      if (!failed) return true;
      if (failed[0] === 'ConditionalCheckFailed') return false;
      const { Attributes } = await this.doc.send(
        new DeleteCommand({ TableName: this.tables.comments, Key: key, ReturnValues: 'ALL_OLD' }),
      );
      return Attributes !== undefined;
    });
  }

  /** Queries the photo's partition page by page (keys only) and batch-deletes what it finds. */
  deleteAllForPhoto(photoId: string): Promise<number> {
    return guard(DYNAMODB, () =>
      deleteQueried(this.doc, {
        TableName: this.tables.comments,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
        ExpressionAttributeValues: { ':pk': commentPartition(photoId), ':prefix': COMMENT_SORT_PREFIX },
        ConsistentRead: true,
      }),
    );
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
