import { Forbidden, InvalidInput, noSuch } from '../domain/errors';
import { MESSAGE_WINDOW } from '../domain/limits';
import {
  conversationIdOf,
  type Conversation,
  type Message,
  type User,
  type UserId,
  type Viewer,
} from '../domain/types';
import type { BlockStore, FriendStore, MessageStore, UserStore } from '../ports';

export const messages = {
  self: 'You cannot send a message to yourself.',
  notFriends: 'You can only message your friends.',
  blocked: 'You cannot exchange messages with this person.',
};

const CONVERSATION_LIST_LIMIT = 100;

/** The other person of a conversation whose account is deleted: no name, nothing else. */
export const deletedAccount = (id: UserId): User => ({
  id,
  username: '',
  email: '',
  createdAt: new Date(0),
  bio: '',
  avatarId: null,
  state: 'active',
  isModerator: false,
});

/** Chat between friends. Reading a conversation marks it read. */
export class MessageService {
  constructor(
    private readonly messages: MessageStore,
    private readonly friends: FriendStore,
    private readonly users: UserStore,
    private readonly blocks: BlockStore,
  ) {}

  /**
   * Sends to a friend. The store gives the message its id and time (ports.ts MessageStore). A
   * `requestKey` (the client's idempotency key) makes a retry of the same send store nothing new
   * and answer the message stored the first time.
   */
  async send(viewer: Viewer, toUserId: UserId, text: string, requestKey?: string): Promise<Message> {
    if (toUserId === viewer.id) throw new InvalidInput(messages.self, 'self_message');
    const receiver = await this.partner(viewer, toUserId);
    return this.messages.send({
      conversationId: conversationIdOf(viewer.id, toUserId),
      fromUserId: viewer.id,
      fromUsername: viewer.username,
      toUserId,
      toUsername: receiver.username,
      text,
      ...(requestKey ? { requestKey } : {}),
    });
  }

  /**
   * The latest 100 messages, oldest first; with `after`, only newer ones (the chat poll: one
   * query, and the read marker is only written when something new arrived).
   */
  async list(viewer: Viewer, otherId: UserId, after?: string): Promise<Message[]> {
    const conversationId = conversationIdOf(viewer.id, otherId);
    if (after) {
      const [newer] = await Promise.all([
        this.messages.after(conversationId, after, MESSAGE_WINDOW),
        this.partner(viewer, otherId, { allowFormer: true }),
      ]);
      // What arrived for the viewer is, as a rule, what is unread: a hint that saves the store a read.
      const toViewer = newer.filter((m) => m.toUserId === viewer.id).length;
      if (toViewer > 0) await this.messages.markRead(viewer.id, otherId, toViewer);
      return newer;
    }
    await this.partner(viewer, otherId, { allowFormer: true });
    const latest = await this.messages.latest(conversationId, MESSAGE_WINDOW);
    await this.messages.markRead(viewer.id, otherId);
    return latest;
  }

  /** Opens a conversation page: the other person and the latest messages, marked read. */
  async open(
    viewer: Viewer,
    username: string,
  ): Promise<{ other: User; messages: Message[]; canSend: boolean }> {
    const other = await this.users.findByUsername(username);
    if (!other) throw noSuch('user');
    const canSend = other.id !== viewer.id && (await this.isFriend(viewer.id, other.id));
    return { other, messages: await this.list(viewer, other.id), canSend };
  }

  /**
   * Opens the conversation with someone whose account is deleted: the messages that stayed, read
   * only. NotFound while the account exists (its page is by name) or when nothing is left.
   */
  async openDeleted(
    viewer: Viewer,
    userId: UserId,
  ): Promise<{ other: User; messages: Message[]; canSend: boolean }> {
    if (await this.users.findById(userId)) throw noSuch('user');
    return { other: deletedAccount(userId), messages: await this.list(viewer, userId), canSend: false };
  }

  /** The viewer's conversations, without those with people either of them blocks. */
  async conversations(viewer: Viewer): Promise<Conversation[]> {
    const [hidden, list] = await Promise.all([
      this.blocks.hiddenFrom(viewer.id),
      this.messages.conversations(viewer.id, CONVERSATION_LIST_LIMIT),
    ]);
    return hidden.size === 0 ? list : list.filter((c) => !hidden.has(c.userId));
  }

  /**
   * The other person must exist and, to send, be a friend. Reading an old conversation with a
   * former friend is allowed (the history is theirs too), also once their account is deleted.
   */
  private async partner(
    viewer: Viewer,
    otherId: UserId,
    options: { allowFormer?: boolean } = {},
  ): Promise<User> {
    // The person and the block check in one read: the chat poll's most frequent store call.
    const { person, blocked } = await this.blocks.personAndBlock(viewer.id, otherId);
    const other = person ?? (options.allowFormer ? await this.deletedPartner(viewer, otherId) : null);
    if (!other) throw noSuch('user');
    if (blocked) throw new Forbidden(messages.blocked, 'blocked');
    if (!options.allowFormer && !(await this.isFriend(viewer.id, otherId))) {
      throw new Forbidden(messages.notFriends, 'not_friends');
    }
    return other;
  }

  /**
   * Someone whose account is deleted, while the viewer still has their conversation (the
   * messages stay, without the name: MessageStore.forgetUser); null when there is none.
   */
  private async deletedPartner(viewer: Viewer, otherId: UserId): Promise<User | null> {
    const [kept] = await this.messages.latest(conversationIdOf(viewer.id, otherId), 1);
    if (!kept) return null;
    return deletedAccount(otherId);
  }

  private async isFriend(a: UserId, b: UserId): Promise<boolean> {
    return (await this.friends.findBetween(a, b))?.status === 'accepted';
  }
}
