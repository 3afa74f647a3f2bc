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
import type { DynamoClient, Item } from './dynamo-client';
import {
  activityKey,
  activityPartition,
  activityReadKey,
  activityUndoKey,
  activityUndoPrefix,
  activityUndoPartition,
  ENTITY,
  GSI1,
  pingKey,
} from './keys';

const TTL_MS = ACTIVITY_TTL_DAYS * 24 * 60 * 60_000;
/** Sorts after every ULID: "from the newest". */
const NEWEST = '~';

export interface ActivityItem extends Item {
  PK: string;
  SK: string;
  type: typeof ENTITY.activity;
  /** Where an undo finds the event (see keys.ts activityUndoKey); absent when nothing undoes it. */
  GSI1PK?: string;
  GSI1SK?: string;
  recipient_id: number;
  kind: ActivityKind;
  actor_id: number;
  actor_username: string;
  photo_id?: string;
  subject_id?: string;
  text?: string;
  created_at: string;
  /** DynamoDB TTL attribute (epoch seconds): the item disappears 90 days after the event. */
  expires_at: number;
}

function toItem(e: ActivityEvent): ActivityItem {
  return {
    ...activityKey(e.recipientId, e.id),
    type: ENTITY.activity,
    ...(activityUndoKey(e) ?? {}),
    recipient_id: e.recipientId,
    kind: e.kind,
    actor_id: e.actorId,
    actor_username: e.actorUsername,
    ...(e.photoId !== null ? { photo_id: e.photoId } : {}),
    ...(e.subjectId !== null ? { subject_id: e.subjectId } : {}),
    ...(e.text !== null ? { text: e.text } : {}),
    created_at: e.createdAt.toISOString(),
    expires_at: Math.floor((e.createdAt.getTime() + TTL_MS) / 1000),
  };
}

function toEvent(item: Item): ActivityEvent {
  const a = item as ActivityItem;
  return {
    id: a.SK,
    recipientId: Number(a.recipient_id),
    kind: a.kind,
    actorId: Number(a.actor_id),
    actorUsername: a.actor_username,
    photoId: a.photo_id ?? null,
    subjectId: a.subject_id ?? null,
    text: a.text ?? null,
    createdAt: new Date(a.created_at),
  };
}

/**
 * Activity events in lumina_photos under their recipient (`USER#<id>#ACT`, `<event id>`), with a
 * TTL of 90 days; a page is one Query on that partition. Undoing an act finds its events through
 * GSI1 (`ACTOF#PHOTO#<photoId>` or `ACTOF#REQ#<requestId>`), then deletes them by key.
 */
export class DynamoActivityStore implements ActivityStore {
  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
  ) {}

  async ping(): Promise<void> {
    await this.db.get({ TableName: this.table, Key: pingKey() });
  }

  async add(events: ActivityEvent[]): Promise<void> {
    await this.db.batchWrite(
      this.table,
      events.map((e) => ({ PutRequest: { Item: toItem(e) } })),
    );
  }

  /** Newest first below the cursor; events past their 90 days (TTL deletes lazily) are cut off. */
  async list(recipientId: UserId, page: PageRequest): Promise<Page<ActivityEvent>> {
    const oldest = firstIdAt(Date.now() - TTL_MS);
    const { items } = await this.db.query({
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk AND SK BETWEEN :oldest AND :before',
      ExpressionAttributeValues: {
        ':pk': activityPartition(recipientId),
        ':oldest': oldest,
        ':before': page.before ?? NEWEST,
      },
      ScanIndexForward: false,
      // One more than asked (to know of a next page), and one for `before` itself, which BETWEEN includes.
      Limit: page.limit + 2,
      ConsistentRead: true,
    });
    const events = items.filter((item) => item.SK !== page.before).map(toEvent);
    const shown = events.slice(0, page.limit);
    return { items: shown, next: events.length > page.limit ? (shown.at(-1)?.id ?? null) : null };
  }

  async remove(subject: ActivitySubject): Promise<void> {
    const prefix = activityUndoPrefix(subject);
    await this.db.deleteQueried({
      TableName: this.table,
      IndexName: GSI1,
      KeyConditionExpression: prefix ? 'GSI1PK = :pk AND begins_with(GSI1SK, :prefix)' : 'GSI1PK = :pk',
      ExpressionAttributeValues: {
        ':pk': activityUndoPartition(subject),
        ...(prefix ? { ':prefix': prefix } : {}),
      },
    });
  }

  async readMark(recipientId: UserId): Promise<string | null> {
    const item = await this.db.get({
      TableName: this.table,
      Key: activityReadKey(recipientId),
      ConsistentRead: true,
    });
    return typeof item?.last_id === 'string' ? item.last_id : null;
  }

  async markRead(recipientId: UserId, eventId: string): Promise<void> {
    // Refused (false) when the mark is already further: it never moves back.
    await this.db.update({
      TableName: this.table,
      Key: activityReadKey(recipientId),
      UpdateExpression: 'SET last_id = :id, #type = :type',
      ConditionExpression: 'attribute_not_exists(last_id) OR last_id < :id',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':id': eventId, ':type': ENTITY.activityRead },
    });
  }

  /** One Query counting keys newer than the mark, stopping at `cap`. */
  async countUnread(recipientId: UserId, cap: number): Promise<number> {
    const mark = await this.readMark(recipientId);
    const oldest = firstIdAt(Date.now() - TTL_MS);
    const from = mark !== null && mark > oldest ? mark : oldest;
    const { items } = await this.db.query({
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk AND SK > :from',
      ExpressionAttributeValues: { ':pk': activityPartition(recipientId), ':from': from },
      ProjectionExpression: 'SK',
      Limit: cap,
      ConsistentRead: true,
    });
    return items.length;
  }
}
