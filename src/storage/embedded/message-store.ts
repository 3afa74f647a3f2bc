import type { Conversation, Message, UserId } from '../../domain/types';
import type { MessageStore } from '../../ports';
import { pinger, run, type Db } from './db';

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

const toMessage = (row: MessageRow): Message => ({
  id: row.id,
  conversationId: row.conversation_id,
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

export class SqliteMessageStore implements MessageStore {
  readonly ping: () => Promise<void>;
  private readonly insert;
  private readonly upsertInbox;
  private readonly newestFirst;
  private readonly newerThan;
  private readonly inbox;
  private readonly clearUnread;
  private readonly unreadSum;
  private readonly sendTx;

  constructor(db: Db) {
    this.ping = pinger(db);
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
    // The other person's current name comes from users: a message only carries its sender's.
    this.inbox = db.prepare<[number, number], InboxRow>(
      `SELECT i.other_user_id, u.username, i.last_message_id, i.last_text, i.last_from_user_id,
              i.last_created_at, i.unread
       FROM inbox i JOIN users u ON u.id = i.other_user_id
       WHERE i.user_id = ? ORDER BY i.last_message_id DESC LIMIT +?`,
    );
    this.clearUnread = db.prepare<[number, number]>(
      'UPDATE inbox SET unread = 0 WHERE user_id = ? AND other_user_id = ?',
    );
    this.unreadSum = db
      .prepare<[number], number>('SELECT coalesce(sum(unread), 0) FROM inbox WHERE user_id = ?')
      .pluck();

    this.sendTx = db.transaction((m: Message) => {
      const at = m.createdAt.getTime();
      this.insert.run({
        conversation_id: m.conversationId,
        id: m.id,
        from_user_id: m.fromUserId,
        from_username: m.fromUsername,
        to_user_id: m.toUserId,
        to_username: m.toUsername,
        text: m.text,
        created_at: at,
      });
      const last = { id: m.id, text: m.text, from: m.fromUserId, at };
      this.upsertInbox.run({ ...last, user: m.fromUserId, other: m.toUserId, unread: 0 });
      this.upsertInbox.run({ ...last, user: m.toUserId, other: m.fromUserId, unread: 1 });
    });
  }

  send(message: Message): Promise<Message> {
    return run(() => {
      this.sendTx.immediate(message);
      return message;
    });
  }

  latest(conversationId: string, limit: number): Promise<Message[]> {
    return run(() => this.newestFirst.all(conversationId, limit).reverse().map(toMessage));
  }

  after(conversationId: string, afterId: string, limit: number): Promise<Message[]> {
    return run(() => this.newerThan.all(conversationId, afterId, limit).map(toMessage));
  }

  conversations(userId: UserId, limit: number): Promise<Conversation[]> {
    return run(() => this.inbox.all(userId, limit).map(toConversation));
  }

  markRead(userId: UserId, otherUserId: UserId): Promise<void> {
    return run(() => {
      this.clearUnread.run(userId, otherUserId);
    });
  }

  unreadTotal(userId: UserId): Promise<number> {
    return run(() => this.unreadSum.get(userId)!);
  }
}
