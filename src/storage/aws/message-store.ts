import { GetCommand, QueryCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { Conflict } from '../../domain/errors';
import type { Conversation, Message, UserId } from '../../domain/types';
import type { MessageStore } from '../../ports';
import { DYNAMODB, guard } from './clients';
import { isConditionFailed, type Item, queryPages, transactWrite } from './dynamo-ops';
import {
  ENTITY,
  INBOX_SORT_PREFIX,
  inboxKey,
  inboxPartition,
  MESSAGE_SORT_PREFIX,
  messageKey,
  messageSortKey,
} from './keys';

/**
 * conversations() and unreadTotal() read the user's whole INBOX partition (one small item per
 * person they have exchanged messages with, each a friend at the time) and sort it in memory by
 * last message id. This bound caps the entries read; past it, both answers cover the first
 * MAX_INBOX_ENTRIES partners by user id. Chosen over a GSI on (INBOX#user, last message id):
 * unreadTotal needs the whole partition anyway, a GSI is only eventually consistent (a message
 * just sent could list out of order) and would add an index write to both inbox updates of
 * every send.
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
    conversationId: m.PK,
    fromUserId: Number(m.from_user_id),
    fromUsername: m.from_username,
    toUserId: Number(m.to_user_id),
    toUsername: m.to_username,
    text: m.text,
    createdAt: new Date(m.created_at),
  };
}

/** Messages and inbox entries in lumina_messages. */
export class DynamoMessageStore implements MessageStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  ping(): Promise<void> {
    return guard(DYNAMODB, async () => {
      await this.doc.send(new GetCommand({ TableName: this.table, Key: { PK: 'PING', SK: 'PING' } }));
    });
  }

  /**
   * One transaction: the message (if its id is new), the sender's inbox entry and the
   * receiver's (unread + 1). An entry takes the message as its last one only if it is newer
   * than the entry's last (messages sent at once may commit out of order); when that condition
   * fails the transaction is retried without moving that entry's last message.
   */
  send(message: Message): Promise<Message> {
    return guard(DYNAMODB, async () => {
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
      const putMessage = {
        Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(PK)' },
      };
      let isSenderLast = true;
      let isReceiverLast = true;
      for (;;) {
        const failed = await transactWrite(this.doc, [
          putMessage,
          this.receiverUpdate(message, isReceiverLast),
          ...(isSenderLast ? [this.senderUpdate(message)] : []),
        ]);
        if (!failed) return message;
        if (failed[0] === 'ConditionalCheckFailed') {
          throw new Conflict('A message with this id already exists.', 'message_exists');
        }
        // Only the "newer than the entry's last message" conditions can fail here, and each
        // retry drops one, so this loop runs at most three times.
        const isReceiverOlder = failed[1] === 'ConditionalCheckFailed';
        const isSenderOlder = failed[2] === 'ConditionalCheckFailed';
        if (!isReceiverOlder && !isSenderOlder)
          throw new Error(`unexpected cancellation: ${failed.join(', ')}`);
        if (isReceiverOlder) isReceiverLast = false;
        if (isSenderOlder) isSenderLast = false;
      }
    });
  }

  /** Access pattern "latest n messages of a conversation": one Query newest first, reversed. */
  latest(conversationId: string, limit: number): Promise<Message[]> {
    return guard(DYNAMODB, async () => {
      const { Items } = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
          ExpressionAttributeValues: { ':pk': conversationId, ':prefix': MESSAGE_SORT_PREFIX },
          ScanIndexForward: false,
          Limit: limit,
          ConsistentRead: true,
        }),
      );
      return (Items ?? []).map(toMessage).reverse();
    });
  }

  /** Access pattern "chat poll": one Query for sort keys after the last seen message, oldest first. */
  after(conversationId: string, afterId: string, limit: number): Promise<Message[]> {
    return guard(DYNAMODB, async () => {
      const { Items } = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'PK = :pk AND SK > :after',
          ExpressionAttributeValues: { ':pk': conversationId, ':after': messageSortKey(afterId) },
          ScanIndexForward: true,
          Limit: limit,
          ConsistentRead: true,
        }),
      );
      return (Items ?? []).map(toMessage);
    });
  }

  conversations(userId: UserId, limit: number): Promise<Conversation[]> {
    return guard(DYNAMODB, async () => {
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
    });
  }

  /** Sets unread to 0 on an existing inbox entry; no entry, nothing to do. */
  markRead(userId: UserId, otherUserId: UserId): Promise<void> {
    return guard(DYNAMODB, async () => {
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.table,
            Key: inboxKey(userId, otherUserId),
            UpdateExpression: 'SET unread = :zero',
            ConditionExpression: 'attribute_exists(PK)',
            ExpressionAttributeValues: { ':zero': 0 },
          }),
        );
      } catch (err) {
        if (!isConditionFailed(err)) throw err;
      }
    });
  }

  unreadTotal(userId: UserId): Promise<number> {
    return guard(DYNAMODB, async () => {
      const entries = await this.readInbox(userId, 'unread');
      return entries.reduce((sum, e) => sum + Number(e.unread ?? 0), 0);
    });
  }

  /** Access pattern "a user's inbox": the INBOX partition, page by page, at most MAX_INBOX_ENTRIES. */
  private async readInbox(userId: UserId, projection?: string): Promise<Item[]> {
    const entries: Item[] = [];
    for await (const items of queryPages(this.doc, {
      TableName: this.table,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': inboxPartition(userId), ':prefix': INBOX_SORT_PREFIX },
      Limit: MAX_INBOX_ENTRIES,
      ConsistentRead: true,
      ...(projection ? { ProjectionExpression: projection } : {}),
    })) {
      entries.push(...items);
      if (entries.length >= MAX_INBOX_ENTRIES) break;
    }
    return entries.slice(0, MAX_INBOX_ENTRIES);
  }

  /** The sender's entry: last message if newer; unread starts at 0 and is otherwise unchanged. */
  private senderUpdate(message: Message) {
    return {
      Update: {
        TableName: this.table,
        Key: inboxKey(message.fromUserId, message.toUserId),
        UpdateExpression: `SET ${ENTRY_FIELDS}, other_username = :otherName, ${LAST_FIELDS}, unread = if_not_exists(unread, :zero)`,
        ConditionExpression: NEWER_THAN_LAST,
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

  /** The receiver's entry: unread + 1, the sender's name, and the last message if newer. */
  private receiverUpdate(message: Message, isLast: boolean) {
    return {
      Update: {
        TableName: this.table,
        Key: inboxKey(message.toUserId, message.fromUserId),
        UpdateExpression: `SET ${ENTRY_FIELDS}, other_username = :otherName${isLast ? `, ${LAST_FIELDS}` : ''} ADD unread :one`,
        ...(isLast ? { ConditionExpression: NEWER_THAN_LAST } : {}),
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ...this.entryValues(message.toUserId, message.fromUserId),
          ...(isLast ? lastValues(message) : {}),
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

const ENTRY_FIELDS = '#type = :inbox, user_id = :me, other_user_id = :other, updated_at = :now';
const LAST_FIELDS =
  'last_message_id = :id, last_text = :text, last_from_user_id = :from, last_created_at = :at';
const NEWER_THAN_LAST = 'attribute_not_exists(last_message_id) OR last_message_id < :id';

function lastValues(message: Message) {
  return {
    ':id': message.id,
    ':text': message.text,
    ':from': message.fromUserId,
    ':at': message.createdAt.toISOString(),
  };
}
