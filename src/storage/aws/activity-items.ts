import { ACTIVITY_TTL_DAYS } from '../../domain/limits';
import type { ActivityEvent, ActivityKind, UserId } from '../../domain/types';
import type { DynamoClient, Item, TransactItem, WriteRequest } from './dynamo-client';
import { activityKey, ENTITY } from './keys';

export const ACTIVITY_TTL_MS = ACTIVITY_TTL_DAYS * 24 * 60 * 60_000;

export interface ActivityItem extends Item {
  PK: string;
  SK: string;
  type: typeof ENTITY.activity;
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

export function toActivityItem(e: ActivityEvent): ActivityItem {
  return {
    ...activityKey(e.recipientId, e.id),
    type: ENTITY.activity,
    recipient_id: e.recipientId,
    kind: e.kind,
    actor_id: e.actorId,
    actor_username: e.actorUsername,
    ...(e.photoId !== null ? { photo_id: e.photoId } : {}),
    ...(e.subjectId !== null ? { subject_id: e.subjectId } : {}),
    ...(e.text !== null ? { text: e.text } : {}),
    created_at: e.createdAt.toISOString(),
    expires_at: Math.floor((e.createdAt.getTime() + ACTIVITY_TTL_MS) / 1000),
  };
}

/** Where an event is: its recipient and id (the key the act that made it keeps). */
export interface EventRef {
  recipientId: UserId;
  eventId: string;
}

/**
 * Activity items as the acts write them (lumina_photos): a put or a delete to go into the act's
 * own transaction, or a batch of them for the writes that are batches already (a photo's likes).
 */
export class ActivityItems {
  constructor(
    private readonly db: DynamoClient,
    readonly table: string,
  ) {}

  put(e: ActivityEvent): TransactItem {
    return { Put: { TableName: this.table, Item: toActivityItem(e) } };
  }

  delete(ref: EventRef): TransactItem {
    return { Delete: { TableName: this.table, Key: activityKey(ref.recipientId, ref.eventId) } };
  }

  /** The named transaction items putting `events` (`<prefix>:<recipient>`), to spread into a transact(). */
  puts(prefix: string, events: readonly ActivityEvent[]): Record<string, TransactItem> {
    return Object.fromEntries(events.map((e) => [`${prefix}:${e.recipientId}`, this.put(e)]));
  }

  /** The named transaction items deleting `refs`. */
  deletes(prefix: string, refs: readonly EventRef[]): Record<string, TransactItem> {
    return Object.fromEntries(refs.map((r) => [`${prefix}:${r.recipientId}`, this.delete(r)]));
  }

  deleteRequest(ref: EventRef): WriteRequest {
    return { DeleteRequest: { Key: activityKey(ref.recipientId, ref.eventId) } };
  }

  /** Puts the events in batches (for writers that are not one transaction). */
  async write(events: readonly ActivityEvent[]): Promise<void> {
    await this.db.batchWrite(
      this.table,
      events.map((e) => ({ PutRequest: { Item: toActivityItem(e) } })),
    );
  }

  /** Deletes the events in batches; missing ones are no error. */
  async remove(refs: readonly EventRef[]): Promise<void> {
    await this.db.batchWrite(
      this.table,
      refs.map((r) => this.deleteRequest(r)),
    );
  }
}

/** The recipients a comment's or photo's item lists (`event_to`), as numbers. */
export const recipientsOf = (value: unknown): UserId[] =>
  Array.isArray(value) ? value.map(Number).filter((n) => Number.isSafeInteger(n)) : [];
