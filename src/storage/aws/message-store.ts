import { setTimeout as sleep } from 'node:timers/promises';
import { Unavailable } from '../../domain/errors';
import { conversationIdOf } from '../../domain/types';
import type { Conversation, ConversationId, Message, NewMessage, UserId } from '../../domain/types';
import { boundedMs } from '../../lib/deadline';
import { sequencedId, timeOfId } from '../../lib/ulid';
import type { MessageStore } from '../../ports';
import type { DynamoBadgeStore } from './badge-store';
import type { DynamoClient, Item } from './dynamo-client';
import { DYNAMODB } from './errors';
import {
  conversationHeadKey,
  conversationPartition,
  ENTITY,
  INBOX_SORT_PREFIX,
  inboxKey,
  inboxPartition,
  messageKey,
  messagesOf,
  messageSortKey,
  pingKey,
} from './keys';
import { DynamoRequestKeys, keyRefused, madeItem } from './request-keys';

/**
 * conversations() reads the user's whole INBOX partition (one small item per person they have
 * exchanged messages with, each a friend at the time) and sorts it in memory by last message id.
 * This bound caps the entries read; past it, the list covers the first MAX_INBOX_ENTRIES partners
 * by user id. Chosen over a GSI on (INBOX#user, last message id): a GSI is only eventually
 * consistent (a message just sent could list out of order) and would add an index write to both
 * inbox updates of every send. unreadTotal() reads no entry: the badge counters keep the sum.
 */
export const MAX_INBOX_ENTRIES = 1000;

export interface MessageItem extends Item {
  PK: string;
  SK: string;
  type: typeof ENTITY.message;
  id: string;
  from_user_id: number;
  from_username: string;
  to_user_id: number;
  to_username: string;
  text: string;
  created_at: string;
}

export interface InboxItem extends Item {
  PK: string;
  SK: string;
  type: typeof ENTITY.inbox;
  user_id: number;
  other_user_id: number;
  /** The other person's name, copied from each message either way. */
  other_username: string;
  last_message_id: string;
  last_text: string;
  last_from_user_id: number;
  last_created_at: string;
  unread: number;
  updated_at: string;
}

function toMessage(item: Item): Message {
  const m = item as MessageItem;
  return {
    id: m.id,
    conversationId: conversationIdOf(Number(m.from_user_id), Number(m.to_user_id)),
    fromUserId: Number(m.from_user_id),
    fromUsername: m.from_username,
    toUserId: Number(m.to_user_id),
    toUsername: m.to_username,
    text: m.text,
    createdAt: new Date(m.created_at),
  };
}

/** Message updates an account deletion has in flight at once. */
const FORGET_PARALLEL = 16;

/** Conversations whose head one process keeps in memory (the most recently written). */
const MAX_REMEMBERED_HEADS = 10_000;

/** Messages and inbox entries in lumina_messages. */
export class DynamoMessageStore implements MessageStore {
  private readonly lanes = new Map<string, Lane>();
  private readonly heads = new Map<string, Head>();
  private readonly requestKeys: DynamoRequestKeys;

  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
    /** How long a send keeps retrying when other sends of its conversation commit first. */
    private readonly timeoutMs: number,
    /** The receiver's unread total, kept in the transactions that change an entry's unread. */
    private readonly counters: DynamoBadgeStore,
  ) {
    this.requestKeys = new DynamoRequestKeys(db, table);
  }

  async ping(): Promise<void> {
    await this.db.get({ TableName: this.table, Key: pingKey() });
  }

  /**
   * Gives the message the next place in its conversation and stores it in one TransactWrite
   * (ports.ts MessageStore): the HEAD item moves to the new place on the condition that it still
   * holds the place read just before, the message is put, both inbox entries are updated, and
   * with a request key its REQUEST item is put if absent. When another send moved the head first,
   * the head is read again and the transaction retried (short jittered pauses, within the
   * store's timeout); the receiver's badge counters add 1 in it. Only one send per conversation commits at a time, so each is the newest
   * of its conversation when it commits and the inbox entries need no "is it newer" condition.
   */
  async send(draft: NewMessage): Promise<Message> {
    const { requestKey, ...fields } = draft;
    if (requestKey) {
      const earlier = await this.sentWithKey(draft.fromUserId, requestKey);
      if (earlier) return earlier;
    }
    const partition = conversationPartition(draft.conversationId);
    return this.inLane(partition, async () => {
      // Retries while the request has time left (lib/deadline.ts), at most the store timeout.
      const until = Date.now() + boundedMs(this.timeoutMs);
      let head = this.heads.get(partition) ?? (await this.readHead(draft.conversationId));
      for (;;) {
        const seq = head.seq + 1;
        const at = Math.max(Date.now(), head.lastAt);
        const message: Message = { ...fields, id: sequencedId(at, seq), createdAt: new Date(at) };
        const failed = await this.db.transact({
          head: this.headUpdate(message, head, seq),
          message: this.messagePut(message),
          receiver: this.receiverUpdate(message),
          receiverBadges: this.counters.messagesAdded(message.toUserId, 1, message.fromUserId),
          sender: this.senderUpdate(message),
          ...this.requestKeys.writes(
            message.fromUserId,
            'MESSAGE',
            requestKey,
            madeItem(messageKey(message.conversationId, message.id)),
            message.createdAt,
          ),
        });
        if (!failed) {
          this.rememberHead(partition, { seq, lastAt: at, exists: true });
          return message;
        }
        this.heads.delete(partition);
        if (requestKey && keyRefused(failed)) {
          const earlier = await this.sentWithKey(draft.fromUserId, requestKey, failed);
          if (earlier) return earlier;
        }
        if (!failed.has('head')) throw new Error(`unexpected cancellation: ${[...failed.keys()].join(', ')}`);
        const previous = failed.get('head');
        // This very transaction landed before (its answer was lost and it was sent again): done.
        if (previous?.last_message_id === message.id) return message;
        if (Date.now() >= until) throw new Unavailable(DYNAMODB);
        // Another process moved the head first: the failed condition returned it as it is now.
        const current = previous && headOf(previous);
        head = current && Number.isFinite(current.seq) ? current : await this.readHead(draft.conversationId);
      }
    });
  }

  /**
   * Runs sends of one conversation one after another within this process, so they never race
   * each other for the head (only sends from other processes can), and the head this process
   * wrote last can be used without reading it again.
   */
  private inLane<T>(partition: string, work: () => Promise<T>): Promise<T> {
    const lane = this.lanes.get(partition) ?? { tail: Promise.resolve(), queued: 0 };
    lane.queued++;
    const turn = async () => {
      lane.queued--;
      // DynamoDB answers the transaction that committed before the one that lost to it, so a
      // process sending a burst would send its next one before the loser (another process) can
      // retry, and win again, every time. A random pause of up to one commit's round trip between
      // the sends of a burst gives the other process its turn.
      if (lane.pauseMs) await sleep(Math.random() * lane.pauseMs);
      const started = Date.now();
      try {
        return await work();
      } finally {
        lane.pauseMs = lane.queued > 0 ? Math.min(Date.now() - started, 100) : 0;
      }
    };
    const result = lane.tail.then(turn, turn);
    lane.tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.lanes.set(partition, lane);
    const tail = lane.tail;
    void tail.then(() => {
      if (lane.tail === tail) this.lanes.delete(partition);
    });
    return result;
  }

  /** The head this process last wrote, per conversation; a stale one fails its condition and is read again. */
  private rememberHead(partition: string, head: Head): void {
    this.heads.delete(partition);
    this.heads.set(partition, head);
    if (this.heads.size > MAX_REMEMBERED_HEADS) this.heads.delete(this.heads.keys().next().value!);
  }

  /** Access pattern "latest n messages of a conversation": one Query newest first, reversed. */
  removeRequestKeysOf(userId: UserId): Promise<number> {
    return this.requestKeys.removeAllOf(userId);
  }

  async latest(conversation: ConversationId, limit: number): Promise<Message[]> {
    const { items } = await this.db.query({
      TableName: this.table,
      ...messagesOf(conversation),
      ScanIndexForward: false,
      Limit: limit,
      ConsistentRead: true,
    });
    return items.map(toMessage).reverse();
  }

  /** Access pattern "chat poll": one Query for sort keys after the last seen message, oldest first. */
  async after(conversation: ConversationId, afterId: string, limit: number): Promise<Message[]> {
    const { items } = await this.db.query({
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk AND SK > :after',
      ExpressionAttributeValues: {
        ':pk': conversationPartition(conversation),
        ':after': messageSortKey(afterId),
      },
      ScanIndexForward: true,
      Limit: limit,
      ConsistentRead: true,
    });
    return items.map(toMessage);
  }

  async conversations(userId: UserId, limit: number): Promise<Conversation[]> {
    const entries = (await this.readInbox(userId)) as InboxItem[];
    entries.sort((a, b) =>
      a.last_message_id < b.last_message_id ? 1 : a.last_message_id > b.last_message_id ? -1 : 0,
    );
    return entries.slice(0, limit).map((e) => ({
      userId: Number(e.other_user_id),
      username: e.other_username,
      lastMessage: {
        id: e.last_message_id,
        text: e.last_text,
        fromUserId: Number(e.last_from_user_id),
        createdAt: new Date(e.last_created_at),
      },
      unread: Number(e.unread ?? 0),
    }));
  }

  /**
   * For each of (up to `limit` of) the user's inbox entries: while the other person still has the
   * conversation, their entry and every message lose the user's name (an UpdateItem per message
   * that names them); otherwise the messages and the head go. The user's entry goes last (its
   * unread off their badge counters in the same transaction), so a rerun after a crash redoes
   * that conversation.
   */
  async forgetUser(userId: UserId, limit: number): Promise<number> {
    const { items: entries } = await this.db.query({
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': inboxPartition(userId), ':prefix': INBOX_SORT_PREFIX },
      ProjectionExpression: 'PK, SK, other_user_id, unread',
      Limit: limit,
      ConsistentRead: true,
    });
    for (const entry of entries) {
      const otherId = Number(entry.other_user_id);
      const conversation = conversationIdOf(userId, otherId);
      const kept = await this.db.update({
        TableName: this.table,
        Key: inboxKey(otherId, userId),
        UpdateExpression: 'SET other_username = :none',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':none': '' },
      });
      if (kept) await this.forgetNameIn(conversation, userId);
      else {
        await this.db.deleteQueried({
          TableName: this.table,
          ...messagesOf(conversation),
          ConsistentRead: true,
        });
        await this.db.delete({ TableName: this.table, Key: conversationHeadKey(conversation) });
      }
      await this.takeUnread(userId, otherId, Number(entry.unread ?? 0), 'delete');
    }
    return entries.length;
  }

  /** Blanks the user's name on every message of the conversation that carries it. */
  private async forgetNameIn(conversation: ConversationId, userId: UserId): Promise<void> {
    for await (const items of this.db.queryPages({
      TableName: this.table,
      ...messagesOf(conversation),
      ProjectionExpression: 'PK, SK, from_user_id, from_username, to_user_id, to_username',
      ConsistentRead: true,
    })) {
      const named = items.flatMap((item) => {
        const fields = [
          ...(Number(item.from_user_id) === userId && item.from_username !== '' ? ['from_username'] : []),
          ...(Number(item.to_user_id) === userId && item.to_username !== '' ? ['to_username'] : []),
        ];
        return fields.length === 0 ? [] : [{ Key: { PK: String(item.PK), SK: String(item.SK) }, fields }];
      });
      for (let i = 0; i < named.length; i += FORGET_PARALLEL) {
        await Promise.all(
          named.slice(i, i + FORGET_PARALLEL).map(({ Key, fields }) =>
            this.db.update({
              TableName: this.table,
              Key,
              UpdateExpression: `SET ${fields.map((f) => `${f} = :none`).join(', ')}`,
              ExpressionAttributeValues: { ':none': '' },
            }),
          ),
        );
      }
    }
  }

  /**
   * Sets unread to 0 on an existing inbox entry (no entry, or nothing unread: nothing written):
   * see takeUnread. With `expectedUnread`, tried at once on that count; the entry is read first
   * only without it.
   */
  async markRead(userId: UserId, otherUserId: UserId, expectedUnread?: number): Promise<void> {
    if (expectedUnread !== undefined && expectedUnread > 0) {
      return this.takeUnread(userId, otherUserId, expectedUnread, 'read');
    }
    const entry = await this.db.get({
      TableName: this.table,
      Key: inboxKey(userId, otherUserId),
      ProjectionExpression: 'unread',
      ConsistentRead: true,
    });
    if (entry) await this.takeUnread(userId, otherUserId, Number(entry.unread ?? 0), 'read');
  }

  /**
   * Zeroes (`read`) or deletes (`delete`) the user's inbox entry and takes its unread count off
   * their badge counters, in one transaction on the condition that the entry still holds `unread`
   * (as read just before): a send that lands in between fails it, and it is done again with the
   * count the failed condition returned. An entry that is gone, or zeroing one with nothing
   * unread, writes nothing.
   */
  private async takeUnread(
    userId: UserId,
    otherUserId: UserId,
    unread: number,
    action: 'read' | 'delete',
  ): Promise<void> {
    const until = Date.now() + boundedMs(this.timeoutMs);
    const target = { TableName: this.table, Key: inboxKey(userId, otherUserId) };
    for (;;) {
      if (unread === 0 && action === 'read') return;
      const condition = {
        ConditionExpression:
          unread === 0 ? 'attribute_not_exists(unread) OR unread = :unread' : 'unread = :unread',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      };
      const failed = await this.db.transact({
        entry:
          action === 'read'
            ? {
                Update: {
                  ...target,
                  ...condition,
                  UpdateExpression: 'SET unread = :zero',
                  ExpressionAttributeValues: { ':zero': 0, ':unread': unread },
                },
              }
            : { Delete: { ...target, ...condition, ExpressionAttributeValues: { ':unread': unread } } },
        badges: unread === 0 ? undefined : this.counters.messagesAdded(userId, -unread, otherUserId),
      });
      if (!failed) return;
      const now = failed.get('entry');
      if (!now) return;
      if (Date.now() >= until) throw new Unavailable(DYNAMODB);
      unread = Number(now.unread ?? 0);
    }
  }

  unreadTotal(userId: UserId): Promise<number> {
    return this.counters.unreadMessages(userId);
  }

  /** Access pattern "a user's inbox": the INBOX partition, page by page, at most MAX_INBOX_ENTRIES. */
  private async readInbox(userId: UserId): Promise<Item[]> {
    const entries: Item[] = [];
    for await (const items of this.db.queryPages({
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': inboxPartition(userId), ':prefix': INBOX_SORT_PREFIX },
      Limit: MAX_INBOX_ENTRIES,
      ConsistentRead: true,
    })) {
      entries.push(...items);
      if (entries.length >= MAX_INBOX_ENTRIES) break;
    }
    return entries.slice(0, MAX_INBOX_ENTRIES);
  }

  /**
   * The conversation's place counter. A conversation without a HEAD item starts after its
   * newest stored message (stored before heads existed), a millisecond later so the next id
   * sorts after it; that costs one extra Query, once per conversation.
   */
  private async readHead(conversation: ConversationId): Promise<Head> {
    const Item = await this.db.get({
      TableName: this.table,
      Key: conversationHeadKey(conversation),
      ConsistentRead: true,
    });
    if (Item) return { seq: Number(Item.seq), lastAt: Number(Item.last_at), exists: true };
    const { items } = await this.db.query({
      TableName: this.table,
      ...messagesOf(conversation),
      ProjectionExpression: 'id, created_at',
      ScanIndexForward: false,
      Limit: 1,
      ConsistentRead: true,
    });
    const newest = items[0];
    if (!newest) return { seq: 0, lastAt: 0, exists: false };
    const lastAt = Math.max(Date.parse(String(newest.created_at)), timeOfId(String(newest.id)));
    return { seq: 0, lastAt: lastAt + 1, exists: false };
  }

  /** Moves HEAD to `seq`, only if no other send moved it since `head` was read. */
  private headUpdate(message: Message, head: Head, seq: number) {
    return {
      Update: {
        TableName: this.table,
        Key: conversationHeadKey(message.conversationId),
        UpdateExpression: 'SET #type = :type, seq = :seq, last_at = :at, last_message_id = :id',
        ConditionExpression: head.exists ? 'seq = :previous' : 'attribute_not_exists(PK)',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':type': ENTITY.conversationHead,
          ':seq': seq,
          ':at': message.createdAt.getTime(),
          ':id': message.id,
          ...(head.exists ? { ':previous': head.seq } : {}),
        },
      },
    };
  }

  private messagePut(message: Message) {
    const item: MessageItem = {
      ...messageKey(message.conversationId, message.id),
      type: ENTITY.message,
      id: message.id,
      from_user_id: message.fromUserId,
      from_username: message.fromUsername,
      to_user_id: message.toUserId,
      to_username: message.toUsername,
      text: message.text,
      created_at: message.createdAt.toISOString(),
    };
    return { Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(PK)' } };
  }

  /** The message an earlier send with this key stored, or null (DynamoRequestKeys.itemMadeWith). */
  private async sentWithKey(
    userId: UserId,
    requestKey: string,
    refused?: ReadonlyMap<string, unknown>,
  ): Promise<Message | null> {
    const item = await this.requestKeys.itemMadeWith(userId, 'MESSAGE', requestKey, refused);
    return item ? toMessage(item) : null;
  }

  /** The sender's entry: the last message; unread starts at 0 and is otherwise unchanged. */
  private senderUpdate(message: Message) {
    return {
      Update: {
        TableName: this.table,
        Key: inboxKey(message.fromUserId, message.toUserId),
        UpdateExpression: `SET ${ENTRY_FIELDS}, other_username = :otherName, ${LAST_FIELDS}, unread = if_not_exists(unread, :zero)`,
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ...this.entryValues(message.fromUserId, message.toUserId),
          ...lastValues(message),
          ':otherName': message.toUsername,
          ':zero': 0,
        },
      },
    };
  }

  /** The receiver's entry: unread + 1, the sender's name, and the last message. */
  private receiverUpdate(message: Message) {
    return {
      Update: {
        TableName: this.table,
        Key: inboxKey(message.toUserId, message.fromUserId),
        UpdateExpression: `SET ${ENTRY_FIELDS}, other_username = :otherName, ${LAST_FIELDS} ADD unread :one`,
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ...this.entryValues(message.toUserId, message.fromUserId),
          ...lastValues(message),
          ':otherName': message.fromUsername,
          ':one': 1,
        },
      },
    };
  }

  private entryValues(userId: UserId, otherUserId: UserId) {
    return { ':inbox': ENTITY.inbox, ':me': userId, ':other': otherUserId, ':now': new Date().toISOString() };
  }
}

/** Sends of one conversation waiting in this process, and the pause before the next one. */
interface Lane {
  tail: Promise<void>;
  queued: number;
  pauseMs?: number;
}

interface Head {
  seq: number;
  lastAt: number;
  exists: boolean;
}

/** A HEAD item as a failed condition returns it. */
function headOf(item: Item): Head {
  return { seq: Number(item.seq), lastAt: Number(item.last_at), exists: true };
}

const ENTRY_FIELDS = '#type = :inbox, user_id = :me, other_user_id = :other, updated_at = :now';
const LAST_FIELDS =
  'last_message_id = :id, last_text = :text, last_from_user_id = :from, last_created_at = :at';

function lastValues(message: Message) {
  return {
    ':id': message.id,
    ':text': message.text,
    ':from': message.fromUserId,
    ':at': message.createdAt.toISOString(),
  };
}
