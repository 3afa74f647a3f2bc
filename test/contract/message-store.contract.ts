import { describe, expect, it } from 'vitest';
import { conversationIdOf, type Message, type User } from '../../src/domain/types';
import type { Storage } from '../../src/ports';
import { ulid } from 'ulid';
import { newId, timeOfId, ULID_PATTERN } from '../../src/lib/ulid';
import { ascending, createUsers, inBatches, newMessage, useStorage, type MakeStorage } from './fixtures';

export function messageStoreContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const messages = () => storage().messages;

  /** Sends `count` messages from `from` to `to`, `width` at a time; returns them in the stored order. */
  async function sendMany(from: User, to: User, count: number, width = 25): Promise<Message[]> {
    const drafts = Array.from({ length: count }, (_, i) => newMessage(from, to, `message ${i}`));
    const sent = await inBatches(
      drafts.map((m) => () => messages().send(m)),
      width,
    );
    return sent.sort((x, y) => (x.id < y.id ? -1 : 1));
  }

  describe('MessageStore', () => {
    it('MessageStore.ping with a reachable backend resolves', async () => {
      await expect(messages().ping()).resolves.toBeUndefined();
    });

    it('MessageStore.send stores the message with an id and time it gives, and latest returns it unchanged', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const draft = newMessage(a!, b!, 'Hello — ünïcødé ✓ <b>not html</b>');
      const before = Date.now();
      const message = await messages().send(draft);
      expect(message).toEqual({
        ...draft,
        id: expect.stringMatching(ULID_PATTERN),
        createdAt: expect.any(Date),
      });
      expect(message.createdAt.getTime()).toBe(timeOfId(message.id));
      expect(message.createdAt.getTime()).toBeGreaterThanOrEqual(before - 5);
      expect(message.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 5);
      expect(await messages().latest(conversationIdOf(a!.id, b!.id), 100)).toEqual([message]);
    });

    it('MessageStore.send one after another gives ids in send order and times that never decrease', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const sent: Message[] = [];
      for (let i = 0; i < 30; i++)
        sent.push(await messages().send(newMessage(i % 2 ? a! : b!, i % 2 ? b! : a!, `m${i}`)));
      expect(sent.map((m) => m.id)).toEqual(ascending(sent.map((m) => m.id)));
      expect(new Set(sent.map((m) => m.id)).size).toBe(30);
      for (let i = 1; i < sent.length; i++) expect(sent[i]!.createdAt >= sent[i - 1]!.createdAt).toBe(true);
      expect(await messages().latest(sent[0]!.conversationId, 100)).toEqual(sent);
    });

    it('MessageStore.send with a request key already used by the sender stores nothing and returns the first message', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const key = `key-${newId()}`;
      const first = await messages().send(newMessage(a!, b!, 'only once', key));
      const again = await messages().send(newMessage(a!, b!, 'only once', key));
      expect(again).toEqual(first);
      const [retriedAtOnce] = await Promise.all([
        messages().send(newMessage(a!, b!, 'only once', key)),
        messages().send(newMessage(a!, b!, 'only once', key)),
      ]);
      expect(retriedAtOnce).toEqual(first);
      expect(await messages().latest(first.conversationId, 100)).toEqual([first]);
      expect(await messages().unreadTotal(b!.id)).toBe(1);
      // Keys belong to their sender: the other person's same key is another message.
      const reply = await messages().send(newMessage(b!, a!, 'mine', key));
      expect(reply.id).not.toBe(first.id);
      expect(await messages().latest(first.conversationId, 100)).toEqual([first, reply]);
    });

    it('MessageStore.latest with 150 messages returns the latest 100, oldest first', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const sent = await sendMany(a!, b!, 150);
      const latest = await messages().latest(conversationIdOf(a!.id, b!.id), 100);
      expect(latest.map((m) => m.id)).toEqual(sent.slice(50).map((m) => m.id));
      expect(latest[0]).toEqual(sent[50]);
    });

    it('MessageStore.latest on an empty conversation returns an empty list', async () => {
      const [a, b] = await createUsers(storage(), 2);
      expect(await messages().latest(conversationIdOf(a!.id, b!.id), 100)).toEqual([]);
    });

    it('MessageStore.latest keeps conversations apart', async () => {
      const [a, b, c] = await createUsers(storage(), 3);
      const ab = await messages().send(newMessage(a!, b!, 'to b'));
      const ac = await messages().send(newMessage(a!, c!, 'to c'));
      expect(await messages().latest(conversationIdOf(b!.id, a!.id), 100)).toEqual([ab]);
      expect(await messages().latest(conversationIdOf(a!.id, c!.id), 100)).toEqual([ac]);
    });

    it('MessageStore.after returns only messages newer than the given id, oldest first, at most limit', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const conversation = conversationIdOf(a!.id, b!.id);
      const sent = await sendMany(a!, b!, 5, 1);
      const reply = await messages().send(newMessage(b!, a!, 'reply'));
      const all = [...sent, reply];

      expect(await messages().after(conversation, all[1]!.id, 100)).toEqual(all.slice(2));
      expect(await messages().after(conversation, all[1]!.id, 2)).toEqual(all.slice(2, 4));
      expect(await messages().after(conversation, reply.id, 100)).toEqual([]);
      // Any id is a cursor: one made after the last message, and one made before the first.
      expect(await messages().after(conversation, newId(), 100)).toEqual([]);
      expect(await messages().after(conversation, '00000000000000000000000000', 100)).toEqual(all);
    });

    it('MessageStore.send by two users 50 each at once stores all 100 exactly once, in id order, times never decreasing', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const drafts = Array.from({ length: 50 }, (_, i) => [
        newMessage(a!, b!, `a${i}`),
        newMessage(b!, a!, `b${i}`),
      ]).flat();
      const sent = await Promise.all(drafts.map((m) => messages().send(m)));
      const conversation = conversationIdOf(a!.id, b!.id);
      const stored = await messages().latest(conversation, 100);
      expect(stored.map((m) => m.id)).toEqual(ascending(sent.map((m) => m.id)));
      expect(new Set(stored.map((m) => m.text)).size).toBe(100);
      for (let i = 1; i < stored.length; i++)
        expect(stored[i]!.createdAt >= stored[i - 1]!.createdAt).toBe(true);
      expect(await messages().after(conversation, stored[0]!.id, 200)).toEqual(stored.slice(1));

      const last = stored.at(-1)!;
      const [ofA] = await messages().conversations(a!.id, 10);
      expect(ofA?.lastMessage.id).toBe(last.id);
      expect(ofA?.unread).toBe(50);
      expect(await messages().unreadTotal(b!.id)).toBe(50);
    });

    it('MessageStore.conversations lists the most recently active first with last message and unread', async () => {
      const [me, bob, cat] = await createUsers(storage(), 3);
      await messages().send(newMessage(me!, bob!, 'hi bob'));
      const fromCat = await messages().send(newMessage(cat!, me!, 'hi from cat'));
      await messages().send(newMessage(bob!, me!, 'hey'));
      const lastFromBob = await messages().send(newMessage(bob!, me!, 'you there?'));

      const list = await messages().conversations(me!.id, 10);
      expect(list).toEqual([
        {
          userId: bob!.id,
          username: bob!.username,
          lastMessage: {
            id: lastFromBob.id,
            text: 'you there?',
            fromUserId: bob!.id,
            createdAt: lastFromBob.createdAt,
          },
          unread: 2,
        },
        {
          userId: cat!.id,
          username: cat!.username,
          lastMessage: {
            id: fromCat.id,
            text: 'hi from cat',
            fromUserId: cat!.id,
            createdAt: fromCat.createdAt,
          },
          unread: 1,
        },
      ]);

      expect(await messages().conversations(bob!.id, 10)).toEqual([
        {
          userId: me!.id,
          username: me!.username,
          lastMessage: expect.objectContaining({ id: lastFromBob.id, fromUserId: bob!.id }) as unknown,
          unread: 1,
        },
      ]);
      expect((await messages().conversations(me!.id, 1)).map((c) => c.userId)).toEqual([bob!.id]);
    });

    it('MessageStore.conversations names the receiver on the sender side of a first message', async () => {
      const [me, newFriend] = await createUsers(storage(), 2);
      await messages().send(newMessage(me!, newFriend!, 'first words'));
      const [conversation] = await messages().conversations(me!.id, 10);
      expect(conversation).toMatchObject({ userId: newFriend!.id, username: newFriend!.username, unread: 0 });
    });

    it('MessageStore.markRead zeroes one conversation and unreadTotal sums the rest', async () => {
      const [me, bob, cat] = await createUsers(storage(), 3);
      await sendMany(bob!, me!, 3, 1);
      await sendMany(cat!, me!, 2, 1);
      await messages().send(newMessage(me!, bob!, 'reading now'));
      expect(await messages().unreadTotal(me!.id)).toBe(5);

      await messages().markRead(me!.id, bob!.id);
      expect(await messages().unreadTotal(me!.id)).toBe(2);
      const list = await messages().conversations(me!.id, 10);
      expect(list.map((c) => [c.userId, c.unread])).toEqual([
        [bob!.id, 0],
        [cat!.id, 2],
      ]);
      expect(await messages().unreadTotal(bob!.id)).toBe(1);

      await messages().send(newMessage(bob!, me!, 'new one'));
      expect(await messages().unreadTotal(me!.id)).toBe(3);
    });

    it('MessageStore.unreadTotal and conversations for a user with no messages are zero and empty', async () => {
      const [loner, other] = await createUsers(storage(), 2);
      expect(await messages().unreadTotal(loner!.id)).toBe(0);
      expect(await messages().conversations(loner!.id, 10)).toEqual([]);
      await expect(messages().markRead(loner!.id, other!.id)).resolves.toBeUndefined();
      expect(await messages().conversations(loner!.id, 10)).toEqual([]);
    });
  });
}

/**
 * Messages stored before sequenced ids (random ULIDs made in a worker): their ids still work as
 * `after` cursors, and the first sequenced send of their conversation sorts after them.
 * `storeLegacy` writes a message as the old code did, straight to the backend.
 */
export function legacyMessageIdsContract(
  make: MakeStorage,
  storeLegacy: (storage: Storage, message: Message) => Promise<void>,
): void {
  const storage = useStorage(make);

  it('MessageStore with messages stored under old random ids: after(old id) finds the new ones, which sort after them', async () => {
    const [a, b] = await createUsers(storage(), 2);
    const conversation = conversationIdOf(a!.id, b!.id);
    const legacy: Message[] = [];
    // Made by a worker whose clock ran two seconds ahead: only starting the sequence after the
    // newest stored message (not at "now") keeps the new ones after them.
    const ahead = Date.now() + 2000;
    for (let i = 0; i < 3; i++) {
      const id = ulid(ahead + i);
      legacy.push({ ...newMessage(a!, b!, `old ${i}`), id, createdAt: new Date(timeOfId(id)) });
    }
    for (const message of legacy) await storeLegacy(storage(), message);
    expect(await storage().messages.latest(conversation, 10)).toEqual(legacy);

    const reply = await storage().messages.send(newMessage(b!, a!, 'new'));
    const next = await storage().messages.send(newMessage(a!, b!, 'newer'));
    expect(reply.id > legacy[2]!.id).toBe(true);
    expect(reply.createdAt > legacy[2]!.createdAt).toBe(true);
    expect(await storage().messages.latest(conversation, 10)).toEqual([...legacy, reply, next]);
    expect(await storage().messages.after(conversation, legacy[1]!.id, 10)).toEqual([legacy[2], reply, next]);
    expect(await storage().messages.after(conversation, legacy[2]!.id, 10)).toEqual([reply, next]);
  });
}
