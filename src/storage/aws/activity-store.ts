import type { ActivityEvent, Page, PageRequest, UserId } from '../../domain/types';
import { firstIdAt } from '../../lib/ulid';
import type { ActivityStore } from '../../ports';
import { ACTIVITY_TTL_MS as TTL_MS, ActivityItems, type ActivityItem } from './activity-items';
import type { DynamoBadgeStore } from './badge-store';
import type { DynamoClient, Item } from './dynamo-client';
import { activityPartition, pingKey } from './keys';

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
 * events in the acts' own transactions (activity-items.ts), by key. The read mark and what the
 * unread count needs are in the recipient's badge counters (badge-store.ts).
 */
export class DynamoActivityStore implements ActivityStore {
  private readonly items: ActivityItems;

  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
    private readonly counters: DynamoBadgeStore,
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

  /** The recipient's partition page by page, then the badge counters (with the read mark). */
  async removeAllFor(recipientId: UserId): Promise<void> {
    await this.db.deleteQueried({
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': activityPartition(recipientId) },
      ConsistentRead: true,
    });
    await this.counters.remove(recipientId);
  }

  removeEvents(refs: { recipientId: UserId; eventId: string }[]): Promise<void> {
    return this.items.remove(refs);
  }

  async readMark(recipientId: UserId): Promise<string | null> {
    return (await this.counters.read(recipientId)).act_mark ?? null;
  }

  markRead(recipientId: UserId, eventId: string): Promise<void> {
    return this.counters.markActivityRead(recipientId, eventId);
  }

  /** From the badge counters: a GetItem, and a Query only when events arrived since the last count found none. */
  async countUnread(recipientId: UserId, cap: number): Promise<number> {
    return (await this.counters.unread(recipientId, cap)).activity;
  }
}
