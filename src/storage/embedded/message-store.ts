import { conversationIdOf } from '../../domain/types';
import type { Conversation, ConversationId, Message, NewMessage, UserId } from '../../domain/types';
import { sequencedId, timeOfId } from '../../lib/ulid';
import type { MessageStore } from '../../ports';
import { run, type SqliteClient } from './sqlite-client';
import { SqliteRequestKeys } from './request-keys';

interface MessageRow {
  conversation_id: string;
  id: string;
  from_user_id: number;
  from_username: string;
  to_user_id: number;
  to_username: string;
  text: string;
  created_at: number;
}

interface InboxRow {
  other_user_id: number;
  username: string;
  last_message_id: string;
  last_text: string;
  last_from_user_id: number;
  last_created_at: number;
  unread: number;
}

/** The `conversation_id` column: `CONV#<lo>#<hi>`, the smaller user id first (as rows have always held). */
const conversationColumn = (c: ConversationId): string => `CONV#${c.low}#${c.high}`;

const toMessage = (row: MessageRow): Message => ({
  id: row.id,
  conversationId: conversationIdOf(row.from_user_id, row.to_user_id),
  fromUserId: row.from_user_id,
  fromUsername: row.from_username,
  toUserId: row.to_user_id,
  toUsername: row.to_username,
  text: row.text,
  createdAt: new Date(row.created_at),
});

const toConversation = (row: InboxRow): Conversation => ({
  userId: row.other_user_id,
  username: row.username,
  lastMessage: {
    id: row.last_message_id,
    text: row.last_text,
    fromUserId: row.last_from_user_id,
    createdAt: new Date(row.last_created_at),
  },
  unread: row.unread,
});

interface HeadRow {
  seq: number;
  last_at: number;
}

/**
 * Messages and inbox entries in SQLite. `send` runs in one IMMEDIATE transaction: it reads the
 * conversation's head (seq, last time), gives the message the next place and a time that never
 * goes back, and writes message, head and inbox entries together. Holding the write lock, no
 * other process can commit a message of any conversation in between, so commit order is
 * sequence order (ports.ts MessageStore).
 */
export class SqliteMessageStore implements MessageStore {
  readonly ping: () => Promise<void>;
  private readonly requestKeys: SqliteRequestKeys;
  private readonly insert;
  private readonly head;
  private readonly newestStored;
  private readonly saveHead;
  private readonly byId;
  private readonly upsertInbox;
  private readonly newestFirst;
  private readonly newerThan;
  private readonly inbox;
  private readonly clearUnread;
  private readonly unreadSum;
  private readonly sendTx;
  private readonly forgetTx;

  constructor(db: SqliteClient) {
    this.ping = db.pinger();
    this.requestKeys = new SqliteRequestKeys(db);
    this.head = db.prepare<[string], HeadRow>(
      'SELECT seq, last_at FROM conversation_heads WHERE conversation_id = ?',
    );
    this.newestStored = db.prepare<[string], { id: string; created_at: number }>(
      'SELECT id, created_at FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT 1',
    );
    this.saveHead = db.prepare<[string, number, number]>(
      `INSERT INTO conversation_heads (conversation_id, seq, last_at) VALUES (?, ?, ?)
       ON CONFLICT (conversation_id) DO UPDATE SET seq = excluded.seq, last_at = excluded.last_at`,
    );
    this.byId = db.prepare<[string, string], MessageRow>(
      'SELECT * FROM messages WHERE conversation_id = ? AND id = ?',
    );
    this.insert = db.prepare<[MessageRow]>(
      `INSERT INTO messages (conversation_id, id, from_user_id, from_username, to_user_id, to_username, text, created_at)
       VALUES (:conversation_id, :id, :from_user_id, :from_username, :to_user_id, :to_username, :text, :created_at)`,
    );
    // Messages may commit out of id order (two workers), so the last message only moves forward.
    this.upsertInbox = db.prepare<
      [{ user: number; other: number; id: string; text: string; from: number; at: number; unread: number }]
    >(
      `INSERT INTO inbox (user_id, other_user_id, last_message_id, last_text, last_from_user_id, last_created_at, unread)
       VALUES (:user, :other, :id, :text, :from, :at, :unread)
       ON CONFLICT (user_id, other_user_id) DO UPDATE SET
         unread = unread + excluded.unread,
         last_text = iif(excluded.last_message_id > last_message_id, excluded.last_text, last_text),
         last_from_user_id = iif(excluded.last_message_id > last_message_id, excluded.last_from_user_id, last_from_user_id),
         last_created_at = iif(excluded.last_message_id > last_message_id, excluded.last_created_at, last_created_at),
         last_message_id = max(excluded.last_message_id, last_message_id)`,
    );
    this.newestFirst = db.prepare<[string, number], MessageRow>(
      'SELECT * FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT +?',
    );
    this.newerThan = db.prepare<[string, string, number], MessageRow>(
      'SELECT * FROM messages WHERE conversation_id = ? AND id > ? ORDER BY id LIMIT +?',
    );
    // The other person's current name comes from users ('' once their account is deleted).
    this.inbox = db.prepare<[number, number], InboxRow>(
      `SELECT i.other_user_id, coalesce(u.username, '') AS username, i.last_message_id, i.last_text,
              i.last_from_user_id, i.last_created_at, i.unread
       FROM inbox i LEFT JOIN users u ON u.id = i.other_user_id
       WHERE i.user_id = ? ORDER BY i.last_message_id DESC LIMIT +?`,
    );
    this.clearUnread = db.prepare<[number, number]>(
      'UPDATE inbox SET unread = 0 WHERE user_id = ? AND other_user_id = ?',
    );
    // Conversations with people hidden from everyone (suspended, being deleted) are left out, as
    // the pages leave them out.
    this.unreadSum = db
      .prepare<[number], number>(
        `SELECT coalesce(sum(i.unread), 0) FROM inbox i
         WHERE i.user_id = ? AND i.unread > 0 AND NOT EXISTS (SELECT 1 FROM users u
           WHERE u.id = i.other_user_id AND (u.state = 'suspended' OR u.deleting_at IS NOT NULL))`,
      )
      .pluck();

    const inboxOf = db
      .prepare<[number, number], number>('SELECT other_user_id FROM inbox WHERE user_id = ? LIMIT +?')
      .pluck();
    const hasEntry = db.prepare<[number, number], number>(
      'SELECT 1 FROM inbox WHERE user_id = ? AND other_user_id = ?',
    );
    const blankFrom = db.prepare<[string, number]>(
      "UPDATE messages SET from_username = '' WHERE conversation_id = ? AND from_user_id = ?",
    );
    const blankTo = db.prepare<[string, number]>(
      "UPDATE messages SET to_username = '' WHERE conversation_id = ? AND to_user_id = ?",
    );
    const removeMessages = db.prepare<[string]>('DELETE FROM messages WHERE conversation_id = ?');
    const removeHead = db.prepare<[string]>('DELETE FROM conversation_heads WHERE conversation_id = ?');
    const removeEntry = db.prepare<[number, number]>(
      'DELETE FROM inbox WHERE user_id = ? AND other_user_id = ?',
    );
    this.forgetTx = db.transaction((userId: UserId, limit: number): number => {
      const others = inboxOf.all(userId, limit);
      for (const otherId of others) {
        const conversation = conversationColumn(conversationIdOf(userId, otherId));
        if (hasEntry.get(otherId, userId) !== undefined) {
          blankFrom.run(conversation, userId);
          blankTo.run(conversation, userId);
        } else {
          removeMessages.run(conversation);
          removeHead.run(conversation);
        }
        removeEntry.run(userId, otherId);
      }
      return others.length;
    });

    this.sendTx = db.transaction((draft: NewMessage): Message => {
      const { requestKey, ...fields } = draft;
      if (requestKey) {
        const earlier = this.requestKeys.find(draft.fromUserId, 'message', requestKey);
        const row = earlier && this.byId.get(earlier.parentId, earlier.targetId);
        if (row) return toMessage(row);
      }
      const conversation = conversationColumn(draft.conversationId);
      const head = this.head.get(conversation) ?? this.firstHead(conversation);
      const seq = head.seq + 1;
      const at = Math.max(Date.now(), head.last_at);
      const m: Message = { ...fields, id: sequencedId(at, seq), createdAt: new Date(at) };
      this.insert.run({
        conversation_id: conversation,
        id: m.id,
        from_user_id: m.fromUserId,
        from_username: m.fromUsername,
        to_user_id: m.toUserId,
        to_username: m.toUsername,
        text: m.text,
        created_at: at,
      });
      this.saveHead.run(conversation, seq, at);
      const last = { id: m.id, text: m.text, from: m.fromUserId, at };
      this.upsertInbox.run({ ...last, user: m.fromUserId, other: m.toUserId, unread: 0 });
      this.upsertInbox.run({ ...last, user: m.toUserId, other: m.fromUserId, unread: 1 });
      if (requestKey) {
        this.requestKeys.record(m.fromUserId, 'message', requestKey, {
          parentId: conversation,
          targetId: m.id,
        });
      }
      return m;
    });
  }

  /**
   * The head of a conversation that has none yet: empty, or (messages stored before heads
   * existed) after its newest message, a millisecond later so the next id sorts after it.
   */
  private firstHead(conversationId: string): HeadRow {
    const newest = this.newestStored.get(conversationId);
    if (!newest) return { seq: 0, last_at: 0 };
    return { seq: 0, last_at: Math.max(newest.created_at, timeOfId(newest.id)) + 1 };
  }

  send(message: NewMessage): Promise<Message> {
    return run(() => this.sendTx.immediate(message));
  }

  removeRequestKeysOf(userId: UserId): Promise<number> {
    return this.requestKeys.removeAllOf(userId, 'message');
  }

  latest(conversation: ConversationId, limit: number): Promise<Message[]> {
    return run(() => this.newestFirst.all(conversationColumn(conversation), limit).reverse().map(toMessage));
  }

  after(conversation: ConversationId, afterId: string, limit: number): Promise<Message[]> {
    return run(() => this.newerThan.all(conversationColumn(conversation), afterId, limit).map(toMessage));
  }

  conversations(userId: UserId, limit: number): Promise<Conversation[]> {
    return run(() => this.inbox.all(userId, limit).map(toConversation));
  }

  markRead(userId: UserId, otherUserId: UserId): Promise<void> {
    return run(() => {
      this.clearUnread.run(userId, otherUserId);
    });
  }

  /** One transaction per call, so a crash leaves each conversation done or untouched. */
  forgetUser(userId: UserId, limit: number): Promise<number> {
    return run(() => this.forgetTx.immediate(userId, limit));
  }

  unreadTotal(userId: UserId): Promise<number> {
    return run(() => this.unreadSum.get(userId)!);
  }
}
