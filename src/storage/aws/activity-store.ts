import type { ActivityEvent, Page, PageRequest, UserId } from '../../domain/types';
import { firstIdAt } from '../../lib/ulid';
import type { ActivityStore } from '../../ports';
import { ACTIVITY_TTL_MS as TTL_MS, ActivityItems, type ActivityItem } from './activity-items';
import type { DynamoClient, Item } from './dynamo-client';
import { activityPartition, activityReadKey, ENTITY, pingKey } from './keys';

/** Sorts after every ULID: "from the newest". */
const NEWEST = '~';

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
 * TTL of 90 days; a page is one Query on that partition. The acts' stores write and delete the
 * events in the acts' own transactions (activity-items.ts), by key.
 */
export class DynamoActivityStore implements ActivityStore {
  private readonly items: ActivityItems;

  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
  ) {
    this.items = new ActivityItems(db, table);
  }

  async ping(): Promise<void> {
    await this.db.get({ TableName: this.table, Key: pingKey() });
  }

  add(events: ActivityEvent[]): Promise<void> {
    return this.items.write(events);
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

  /** The recipient's partition page by page, then the read mark. */
  async removeAllFor(recipientId: UserId): Promise<void> {
    await this.db.deleteQueried({
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': activityPartition(recipientId) },
      ConsistentRead: true,
    });
    await this.db.delete({ TableName: this.table, Key: activityReadKey(recipientId) });
  }

  removeEvents(refs: { recipientId: UserId; eventId: string }[]): Promise<void> {
    return this.items.remove(refs);
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
