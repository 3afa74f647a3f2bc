import { describe, expect, it } from 'vitest';
import { requestEventId } from '../../src/domain/activity';
import type { User } from '../../src/domain/types';
import { newId } from '../../src/lib/ulid';
import {
  createUsers,
  newComment,
  newEvent,
  newMessage,
  newPhoto,
  useStorage,
  type MakeStorage,
} from './fixtures';

/** Rounds of concurrent sends and reads: enough to fail a total kept outside the entries' transactions. */
const RACE_ROUNDS = 6;
const SENDERS = 4;
const SENDS_PER_ROUND = 6;

export function badgeStoreContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const badges = () => storage().badges;

  const event = newEvent;

  /** What the badges must say, from the entries and the events themselves. */
  async function truthOf(userId: number, cap: number): Promise<{ messages: number; activity: number }> {
    const st = storage();
    const [conversations, { items }, mark] = await Promise.all([
      st.messages.conversations(userId, 1000),
      st.activity.list(userId, { limit: 500 }),
      st.activity.readMark(userId),
    ]);
    return {
      messages: conversations.reduce((sum, c) => sum + c.unread, 0),
      activity: Math.min(cap, items.filter((e) => mark === null || e.id > mark).length),
    };
  }

  /** The badges, read twice (the second read may come from what the first wrote down), and both stores say `counts`. */
  async function expectCounts(
    user: User,
    counts: { messages: number; activity: number },
    cap = 100,
  ): Promise<void> {
    expect(await badges().unread(user.id, cap)).toEqual(counts);
    expect(await badges().unread(user.id, cap)).toEqual(counts);
    expect(await storage().messages.unreadTotal(user.id)).toBe(counts.messages);
    expect(await storage().activity.countUnread(user.id, cap)).toBe(counts.activity);
  }

  /** The badges equal the truth of the entries and the events. */
  async function expectTruth(user: User, cap = 100): Promise<void> {
    await expectCounts(user, await truthOf(user.id, cap), cap);
  }

  describe('BadgeStore', () => {
    it('BadgeStore.unread for a person with nothing is zero for both', async () => {
      const [loner] = await createUsers(storage(), 1);
      expect(await badges().unread(loner!.id, 100)).toEqual({ messages: 0, activity: 0 });
    });

    it('BadgeStore.unread with concurrent senders and concurrent reads of the conversations always equals the sum of the entries’ unread', async () => {
      const [reader, ...senders] = await createUsers(storage(), 1 + SENDERS);
      const st = storage();
      let mostUnread = 0;
      for (let round = 0; round < RACE_ROUNDS; round++) {
        await Promise.all([
          ...senders.map(async (sender) => {
            for (let i = 0; i < SENDS_PER_ROUND; i++) {
              await st.messages.send(newMessage(sender, reader!, `round ${round} message ${i}`));
            }
          }),
          // The reader opens each conversation again and again while messages arrive.
          ...senders.map(async (sender) => {
            for (let i = 0; i < SENDS_PER_ROUND / 2; i++) {
              const { messages } = await badges().unread(reader!.id, 100);
              mostUnread = Math.max(mostUnread, messages);
              // Every other read with a guess of the unread count (as the chat poll gives), often wrong.
              await st.messages.markRead(reader!.id, sender.id, i % 2 ? i : undefined);
            }
          }),
        ]);
        await expectTruth(reader!);
      }
      // The reads raced sends, and found something unread to clear (else the race proved nothing).
      expect(mostUnread).toBeGreaterThan(0);
      await Promise.all(
        senders.map((s) => Promise.all([0, 1].map(() => st.messages.markRead(reader!.id, s.id)))),
      );
      expect(await badges().unread(reader!.id, 100)).toEqual({ messages: 0, activity: 0 });
    });

    it('MessageStore.markRead with a wrong expectation of the unread count zeroes it all the same, exactly', async () => {
      const [reader, a, b, c] = await createUsers(storage(), 4);
      const st = storage();
      for (const sender of [a!, b!, c!]) {
        for (let i = 0; i < 3; i++) await st.messages.send(newMessage(sender, reader!, `m${i}`));
      }
      await st.messages.markRead(reader!.id, a!.id, 1);
      await st.messages.markRead(reader!.id, b!.id, 7);
      await expectTruth(reader!);
      expect(await badges().unread(reader!.id, 100)).toEqual({ messages: 3, activity: 0 });
      await st.messages.markRead(reader!.id, c!.id, 3);
      await st.messages.markRead(reader!.id, c!.id, 2);
      await st.messages.markRead(reader!.id, reader!.id, 1);
      await expectTruth(reader!);
      expect(await badges().unread(reader!.id, 100)).toEqual({ messages: 0, activity: 0 });
    });

    it('BadgeStore.unread with events arriving and going while it counts always comes back to the events there are', async () => {
      const [me] = await createUsers(storage(), 1);
      const st = storage();
      let mostUnread = 0;
      for (let round = 0; round < RACE_ROUNDS; round++) {
        const added: string[] = [];
        let isDone = false;
        const writers = Array.from({ length: SENDERS }, async () => {
          for (let i = 0; i < SENDS_PER_ROUND; i++) {
            const e = event(me!.id, 'like', { photoId: newId() });
            await st.activity.add([e]);
            added.push(e.id);
            if (i % 3 === 2)
              await st.activity.removeEvents([{ recipientId: me!.id, eventId: added.shift()! }]);
          }
        });
        // Counts all the while the events come and go.
        const readers = Array.from({ length: SENDERS }, async () => {
          while (!isDone) mostUnread = Math.max(mostUnread, (await badges().unread(me!.id, 1000)).activity);
        });
        await Promise.all(writers);
        isDone = true;
        await Promise.all(readers);
        await expectTruth(me!, 1000);
        const [newest] = (await st.activity.list(me!.id, { limit: 1 })).items;
        if (round % 2 === 1 && newest) await st.activity.markRead(me!.id, newest.id);
      }
      expect(mostUnread).toBeGreaterThan(0);
    });

    it('BadgeStore.unread follows the events of acts and their undos, removals, the read mark and the cap', async () => {
      const [me, you, them] = await createUsers(storage(), 3);
      const st = storage();
      await expectTruth(me!);
      await st.activity.add([event(me!.id, 'like'), event(me!.id, 'comment')]);
      await expectTruth(me!);
      const photo = await st.photos.create(newPhoto(me!));
      await st.photos.like(photo.id, you!.id, event(me!.id, 'like', { photoId: photo.id, actorId: you!.id }));
      await expectTruth(me!);
      await st.photos.unlike(photo.id, you!.id);
      await expectTruth(me!);
      const comment = newComment(photo, them!, 'nice');
      await st.comments.add(comment, undefined, [
        event(me!.id, 'comment', {
          id: comment.id,
          photoId: photo.id,
          subjectId: comment.id,
          actorId: them!.id,
        }),
      ]);
      await expectTruth(me!);
      await st.comments.delete(photo.id, comment.id);
      await expectTruth(me!);
      const pending = await st.friends.create(you!.id, me!.id, (r) =>
        event(me!.id, 'friend_request', {
          id: requestEventId(r.id, r.createdAt),
          subjectId: String(r.id),
          actorId: you!.id,
          createdAt: r.createdAt,
        }),
      );
      await expectTruth(me!);
      await expectTruth(me!, 2);
      expect(await st.friends.remove(pending.id, 'pending')).toBe(true);
      await expectTruth(me!);
      const [newest] = (await st.activity.list(me!.id, { limit: 1 })).items;
      await st.activity.markRead(me!.id, newest!.id);
      await expectTruth(me!);
      expect((await badges().unread(me!.id, 100)).activity).toBe(0);
      const later = Array.from({ length: 4 }, () => event(me!.id, 'like', { photoId: newId() }));
      await st.activity.add(later);
      await expectTruth(me!, 3);
      await expectTruth(me!);
      await st.activity.removeEvents([{ recipientId: me!.id, eventId: later[0]!.id }]);
      await expectTruth(me!);
      expect((await badges().unread(me!.id, 100)).activity).toBe(3);
      const liked = await st.photos.create(newPhoto(me!));
      await st.photos.like(
        liked.id,
        them!.id,
        event(me!.id, 'like', { photoId: liked.id, actorId: them!.id }),
      );
      await expectTruth(me!);
      await st.photos.delete(liked.id);
      await expectTruth(me!);
      expect((await badges().unread(me!.id, 100)).activity).toBe(3);
    });

    it('BadgeStore.unread of a person being deleted: forgetUser takes their entries off, removeAllFor the rest; the others keep theirs', async () => {
      const [gone, kept] = await createUsers(storage(), 2);
      const st = storage();
      await st.messages.send(newMessage(kept!, gone!, 'to the one who leaves'));
      await st.messages.send(newMessage(kept!, gone!, 'and again'));
      await st.messages.send(newMessage(gone!, kept!, 'from the one who leaves'));
      await st.activity.add([event(gone!.id, 'like')]);
      expect(await badges().unread(gone!.id, 100)).toEqual({ messages: 2, activity: 1 });
      expect(await badges().unread(kept!.id, 100)).toEqual({ messages: 1, activity: 0 });
      while ((await st.messages.forgetUser(gone!.id, 1)) > 0);
      expect(await badges().unread(gone!.id, 100)).toEqual({ messages: 0, activity: 1 });
      await st.activity.removeAllFor(gone!.id);
      expect(await badges().unread(gone!.id, 100)).toEqual({ messages: 0, activity: 0 });
      expect(await badges().unread(kept!.id, 100)).toEqual({ messages: 1, activity: 0 });
      await expectTruth(kept!);
    });

    it('BadgeStore.unread leaves out what suspended and departing people sent and caused, and counts it again once a suspension is lifted', async () => {
      const [me, them, other] = await createUsers(storage(), 3);
      const st = storage();
      const from = (actor: User) => event(me!.id, 'like', { photoId: newId(), actorId: actor.id });
      for (let i = 0; i < 3; i++) await st.messages.send(newMessage(them!, me!, `from them ${i}`));
      await st.messages.send(newMessage(other!, me!, 'from the other'));
      // Theirs first: a count to a cap of 1 has to look past them.
      await st.activity.add([from(them!), from(them!)]);
      await st.activity.add([from(other!)]);
      await expectCounts(me!, { messages: 4, activity: 3 });

      expect(await st.users.setState(them!.id, 'suspended')).toBe(true);
      await expectCounts(me!, { messages: 1, activity: 1 });
      await expectCounts(me!, { messages: 1, activity: 1 }, 1);
      // Others go on counting while they are hidden.
      await st.messages.send(newMessage(other!, me!, 'again'));
      await st.activity.add([from(other!)]);
      await expectCounts(me!, { messages: 2, activity: 2 });
      await st.messages.markRead(me!.id, other!.id);
      await expectCounts(me!, { messages: 0, activity: 2 });

      expect(await st.users.setState(them!.id, 'active')).toBe(true);
      await expectCounts(me!, { messages: 3, activity: 4 });
      // What they send while active counts, and is left out again with them when suspended again.
      await st.messages.send(newMessage(them!, me!, 'back'));
      await expectCounts(me!, { messages: 4, activity: 4 });
      expect(await st.users.setState(them!.id, 'suspended')).toBe(true);
      await expectCounts(me!, { messages: 0, activity: 2 });
      expect(await st.users.setState(them!.id, 'active')).toBe(true);
      expect(await st.users.setState(them!.id, 'deleting')).toBe(true);
      await expectCounts(me!, { messages: 0, activity: 2 });
      expect(await badges().unread(other!.id, 100)).toEqual({ messages: 0, activity: 0 });
    });

    it('BadgeStore.unread after concurrent senders and reads, with one sender suspended now and then, leaves out exactly theirs', async () => {
      const [reader, ...senders] = await createUsers(storage(), 1 + SENDERS);
      const st = storage();
      const suspect = senders[0]!;
      for (let round = 0; round < RACE_ROUNDS; round++) {
        await Promise.all(
          senders.map(async (sender, s) => {
            for (let i = 0; i < SENDS_PER_ROUND; i++) {
              // The suspect sends only while active (a suspended account cannot send).
              if (sender !== suspect || round % 2 === 0)
                await st.messages.send(newMessage(sender, reader!, `round ${round} message ${i}`));
              if ((i + s + round) % 3 === 0) await st.messages.markRead(reader!.id, sender.id);
              await badges().unread(reader!.id, 100);
            }
          }),
        );
        const conversations = await st.messages.conversations(reader!.id, 1000);
        const unreadFrom = (id: number) => conversations.find((c) => c.userId === id)?.unread ?? 0;
        const all = conversations.reduce((sum, c) => sum + c.unread, 0);
        const isHidden = round % 2 === 0;
        await st.users.setState(suspect.id, isHidden ? 'suspended' : 'active');
        const expected = { messages: isHidden ? all - unreadFrom(suspect.id) : all, activity: 0 };
        expect(await badges().unread(reader!.id, 100)).toEqual(expected);
        expect(await badges().unread(reader!.id, 100)).toEqual(expected);
      }
      await st.users.setState(suspect.id, 'active');
    });

    it('ActivityStore.add and removeEvents of many events, for many people and many for one, each person’s badge counts them', async () => {
      const [me] = await createUsers(storage(), 1);
      const st = storage();
      // People who need not exist as accounts for their events (ids far above any made here).
      const base = 900_000_000 + Math.floor(Math.random() * 1_000_000) * 100;
      const others = Array.from({ length: 120 }, (_, i) => event(base + i, 'like'));
      const mine = Array.from({ length: 130 }, () => event(me!.id, 'like', { photoId: newId() }));
      await st.activity.add([...others, ...mine]);
      expect(await badges().unread(me!.id, 1000)).toEqual({ messages: 0, activity: 130 });
      for (const i of [0, 57, 119]) expect((await badges().unread(base + i, 100)).activity).toBe(1);
      await st.activity.removeEvents([
        ...others.map((e) => ({ recipientId: e.recipientId, eventId: e.id })),
        ...mine.slice(0, 100).map((e) => ({ recipientId: me!.id, eventId: e.id })),
      ]);
      expect(await badges().unread(me!.id, 1000)).toEqual({ messages: 0, activity: 30 });
      for (const i of [0, 57, 119]) expect((await badges().unread(base + i, 100)).activity).toBe(0);
      await expectTruth(me!, 1000);
    });

    it('PhotoStore.getWithLikeAndUnread answers as getWithLike and BadgeStore.unread, also for a photo that does not exist', async () => {
      const [owner, viewer] = await createUsers(storage(), 2);
      const st = storage();
      const photo = await st.photos.create(newPhoto(owner!));
      await st.photos.like(photo.id, viewer!.id);
      await st.messages.send(newMessage(owner!, viewer!, 'look'));
      await st.activity.add([event(viewer!.id, 'mention', { photoId: photo.id })]);
      const read = await st.photos.getWithLikeAndUnread(photo.id, viewer!.id, 100);
      expect(read).toEqual({
        found: await st.photos.getWithLike(photo.id, viewer!.id),
        unread: await badges().unread(viewer!.id, 100),
      });
      expect(read.unread).toEqual({ messages: 1, activity: 1 });
      expect(await st.photos.getWithLikeAndUnread(newId(), viewer!.id, 100)).toEqual({
        found: null,
        unread: { messages: 1, activity: 1 },
      });
    });
  });
}
