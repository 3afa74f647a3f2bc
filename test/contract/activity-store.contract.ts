import { describe, expect, it } from 'vitest';
import type { ActivityEvent, ActivityKind } from '../../src/domain/types';
import { firstIdAt, newId } from '../../src/lib/ulid';
import { createUsers, useStorage, walkPages, type MakeStorage } from './fixtures';

export function activityStoreContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const activity = () => storage().activity;

  const event = (
    recipientId: number,
    kind: ActivityKind,
    over: Partial<ActivityEvent> = {},
  ): ActivityEvent => ({
    id: newId(),
    recipientId,
    kind,
    actorId: 999_001,
    actorUsername: 'someone',
    photoId: null,
    subjectId: null,
    text: null,
    createdAt: new Date(),
    ...over,
  });
  const idsOf = async (recipient: number) =>
    (await activity().list(recipient, { limit: 100 })).items.map((e) => e.id);

  describe('ActivityStore', () => {
    it('ActivityStore.list returns the recipient’s events newest first with every field, and pages with before', async () => {
      const [me, other] = await createUsers(storage(), 2);
      const photoId = newId();
      const events = [
        event(me!.id, 'like', { photoId, actorId: other!.id, actorUsername: other!.username }),
        event(me!.id, 'comment', { photoId, subjectId: newId(), text: 'Lovely — ✓' }),
        event(me!.id, 'friend_request', { subjectId: '42' }),
        event(other!.id, 'like', { photoId }),
      ];
      await activity().add(events);
      const first = await activity().list(me!.id, { limit: 2 });
      expect(first.items).toEqual([events[2], events[1]]);
      expect(first.next).not.toBeNull();
      const pages = await walkPages((before) =>
        activity().list(me!.id, { limit: 2, ...(before ? { before } : {}) }),
      );
      expect(pages.flatMap((p) => p.items.map((e) => e.id))).toEqual([
        events[2]!.id,
        events[1]!.id,
        events[0]!.id,
      ]);
      expect(await idsOf(other!.id)).toEqual([events[3]!.id]);
    });

    it('ActivityStore.list leaves out events older than 90 days', async () => {
      const [me] = await createUsers(storage(), 1);
      const old = Date.now() - 91 * 24 * 60 * 60_000;
      const stale = event(me!.id, 'like', {
        id: `${firstIdAt(old).slice(0, 10)}${newId().slice(10)}`,
        createdAt: new Date(old),
      });
      const fresh = event(me!.id, 'like');
      await activity().add([stale, fresh]);
      expect(await idsOf(me!.id)).toEqual([fresh.id]);
    });

    it('ActivityStore.remove takes exactly the events of the undone act', async () => {
      const [me, you] = await createUsers(storage(), 2);
      const [p1, p2, c1] = [newId(), newId(), newId()];
      const like1 = event(me!.id, 'like', { photoId: p1, actorId: you!.id });
      const like1other = event(me!.id, 'like', { photoId: p1, actorId: 999_002 });
      const like2 = event(me!.id, 'like', { photoId: p2, actorId: you!.id });
      const comment = event(me!.id, 'comment', { photoId: p1, subjectId: c1 });
      const mention = event(you!.id, 'mention', { photoId: p1, subjectId: c1 });
      const caption = event(you!.id, 'mention', { photoId: p2 });
      const request = event(you!.id, 'friend_request', { subjectId: '77' });
      await activity().add([like1, like1other, like2, comment, mention, caption, request]);

      await activity().remove({ kind: 'like', photoId: p1, actorId: you!.id });
      expect(await idsOf(me!.id)).toEqual([comment.id, like2.id, like1other.id]);
      await activity().remove({ kind: 'comment', photoId: p1, commentId: c1 });
      expect(await idsOf(me!.id)).toEqual([like2.id, like1other.id]);
      expect(await idsOf(you!.id)).toEqual([request.id, caption.id]);
      await activity().remove({ kind: 'request', requestId: 77 });
      expect(await idsOf(you!.id)).toEqual([caption.id]);
      await activity().remove({ kind: 'photo', photoId: p2 });
      expect(await idsOf(you!.id)).toEqual([]);
      expect(await idsOf(me!.id)).toEqual([like1other.id]);
      // Nothing to remove is no error.
      await activity().remove({ kind: 'photo', photoId: newId() });
    });

    it('ActivityStore read mark: unread counts what is newer (at most the cap), and the mark never moves back', async () => {
      const [me] = await createUsers(storage(), 1);
      expect(await activity().readMark(me!.id)).toBeNull();
      const events = Array.from({ length: 5 }, () => event(me!.id, 'like', { photoId: newId() }));
      await activity().add(events);
      expect(await activity().countUnread(me!.id, 100)).toBe(5);
      expect(await activity().countUnread(me!.id, 3)).toBe(3);
      await activity().markRead(me!.id, events[2]!.id);
      expect(await activity().readMark(me!.id)).toBe(events[2]!.id);
      expect(await activity().countUnread(me!.id, 100)).toBe(2);
      await activity().markRead(me!.id, events[0]!.id);
      expect(await activity().readMark(me!.id)).toBe(events[2]!.id);
      await activity().markRead(me!.id, events[4]!.id);
      expect(await activity().countUnread(me!.id, 100)).toBe(0);
    });
  });
}
