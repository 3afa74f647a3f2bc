import { ACTIVITY_TTL_DAYS } from '../../domain/limits';
import type { ActivityEvent, ActivityKind, UserId } from '../../domain/types';
import type { DynamoClient, Item, TransactItem } from './dynamo-client';
import { activityKey, badgesKey, ENTITY } from './keys';

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
 * Activity items as the acts write them (lumina_photos): puts and deletes to go into the act's
 * own transaction, or transactions of their own for writers that are not one. Every put and
 * delete of an event goes with an update of its recipient's badge counters (badge-store.ts).
 */
export class ActivityItems {
  constructor(
    private readonly db: DynamoClient,
    readonly table: string,
  ) {}

  /**
   * The named transaction items putting `events` (`<prefix>:<recipient>`), each with the update of
   * its recipient's badge counters (`<prefix>:badges:<recipient>`), to spread into a transact().
   * At most one event per recipient.
   */
  puts(prefix: string, events: readonly ActivityEvent[]): Record<string, TransactItem> {
    return Object.fromEntries(
      events.flatMap((e) => [
        [`${prefix}:${e.recipientId}`, this.put(e)],
        [`${prefix}:badges:${e.recipientId}`, this.changed(e.recipientId)],
      ]),
    );
  }

  /** The named transaction items deleting `refs`, each with its recipient's counters' update (as puts). */
  deletes(prefix: string, refs: readonly EventRef[]): Record<string, TransactItem> {
    return Object.fromEntries(
      refs.flatMap((r) => [
        [`${prefix}:${r.recipientId}`, this.delete(r)],
        [`${prefix}:badges:${r.recipientId}`, this.changed(r.recipientId)],
      ]),
    );
  }

  /** Puts the events outside an act's transaction: see perRecipient. */
  async write(events: readonly ActivityEvent[]): Promise<void> {
    await this.perRecipient(events, (e) => this.put(e));
  }

  /** Deletes the events (missing ones are no error) outside an act's transaction: see perRecipient. */
  async remove(refs: readonly EventRef[]): Promise<void> {
    await this.perRecipient(refs, (r) => this.delete(r));
  }

  private put(e: ActivityEvent): TransactItem {
    return { Put: { TableName: this.table, Item: toActivityItem(e) } };
  }

  private delete(ref: EventRef): TransactItem {
    return { Delete: { TableName: this.table, Key: activityKey(ref.recipientId, ref.eventId) } };
  }

  /**
   * The update telling the recipient's badge counters that their events changed (`act_seq`), in
   * the same write as the change, so a count the counters keep is never taken for current once
   * an event came or went.
   */
  private changed(recipientId: UserId): TransactItem {
    return {
      Update: {
        TableName: this.table,
        Key: badgesKey(recipientId),
        UpdateExpression: 'SET #type = :type ADD act_seq :one',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: { ':type': ENTITY.badges, ':one': 1 },
      },
    };
  }

  /**
   * The puts or deletes with, for each recipient, one update of their counters in the same
   * transaction, so no event comes or goes without its counters knowing: a recipient's events in
   * runs of up to 99 beside their counters' update, runs packed into transactions of up to 100
   * items (a photo's comments by 500 people: 10 transactions).
   */
  private async perRecipient<T extends { recipientId: UserId }>(
    all: readonly T[],
    write: (one: T) => TransactItem,
  ): Promise<void> {
    const byRecipient = new Map<UserId, T[]>();
    for (const one of all)
      byRecipient.set(one.recipientId, [...(byRecipient.get(one.recipientId) ?? []), one]);
    const runs: TransactItem[][] = [];
    for (const [recipientId, theirs] of byRecipient) {
      for (let i = 0; i < theirs.length; i += MAX_TRANSACTION_ITEMS - 1) {
        runs.push([this.changed(recipientId), ...theirs.slice(i, i + MAX_TRANSACTION_ITEMS - 1).map(write)]);
      }
    }
    let batch: TransactItem[] = [];
    const flush = async () => {
      if (batch.length > 0)
        await this.db.transact(Object.fromEntries(batch.map((item, n) => [`item:${n}`, item])));
      batch = [];
    };
    for (const run of runs) {
      if (batch.length + run.length > MAX_TRANSACTION_ITEMS) await flush();
      batch.push(...run);
    }
    await flush();
  }
}

/** Items of one DynamoDB transaction. */
const MAX_TRANSACTION_ITEMS = 100;

/** The recipients a comment's or photo's item lists (`event_to`), as numbers. */
export const recipientsOf = (value: unknown): UserId[] =>
  Array.isArray(value) ? value.map(Number).filter((n) => Number.isSafeInteger(n)) : [];
