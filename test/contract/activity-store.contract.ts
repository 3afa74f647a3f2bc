import { describe, expect, it } from 'vitest';
import type { ActivityEvent } from '../../src/domain/types';
import { requestEventId } from '../../src/domain/activity';
import type { Comment, User } from '../../src/domain/types';
import { firstIdAt, newId, timeOfId } from '../../src/lib/ulid';
import { createUsers, newEvent, newPhoto, useStorage, walkPages, type MakeStorage } from './fixtures';

const newComment = (photoId: string, author: User, text: string): Comment => {
  const id = newId();
  return {
    id,
    photoId,
    userId: author.id,
    username: author.username,
    text,
    createdAt: new Date(timeOfId(id)),
  };
};

export function activityStoreContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const activity = () => storage().activity;

  const event = newEvent;
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

    it('ActivityStore events written by the acts: each undo takes exactly the events of its act, by key', async () => {
      const [me, you, them] = await createUsers(storage(), 3);
      const st = storage();
      const p1 = await st.photos.create(newPhoto(me!));
      const p2draft = newPhoto(me!, { caption: `hello @${you!.username}` });
      const caption = event(you!.id, 'mention', { id: p2draft.id, photoId: p2draft.id, actorId: me!.id });
      const p2 = await st.photos.create(p2draft, undefined, [caption]);
      const likeOf = (photoId: string, actor: { id: number }) =>
        event(me!.id, 'like', { photoId, actorId: actor.id });
      const like1 = likeOf(p1.id, you!);
      await st.photos.like(p1.id, you!.id, like1);
      const like1other = likeOf(p1.id, them!);
      await st.photos.like(p1.id, them!.id, like1other);
      const like2 = likeOf(p2.id, you!);
      await st.photos.like(p2.id, you!.id, like2);
      const c1 = newComment(p1.id, them!, `nice @${you!.username}`);
      const comment = event(me!.id, 'comment', {
        id: c1.id,
        photoId: p1.id,
        subjectId: c1.id,
        actorId: them!.id,
      });
      const mention = event(you!.id, 'mention', {
        id: c1.id,
        photoId: p1.id,
        subjectId: c1.id,
        actorId: them!.id,
      });
      await st.comments.add(c1, undefined, [comment, mention]);
      let request: ActivityEvent | undefined;
      // The request's event id is made from its time: a later millisecond than the mention's.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const pending = await st.friends.create(them!.id, you!.id, (r) => {
        request = event(you!.id, 'friend_request', {
          id: requestEventId(r.id, r.createdAt),
          subjectId: String(r.id),
          actorId: them!.id,
          createdAt: r.createdAt,
        });
        return request;
      });
      expect(await idsOf(me!.id)).toEqual([comment.id, like2.id, like1other.id, like1.id]);
      expect(await idsOf(you!.id)).toEqual([request!.id, mention.id, caption.id]);

      await st.photos.unlike(p1.id, you!.id);
      expect(await idsOf(me!.id)).toEqual([comment.id, like2.id, like1other.id]);
      await st.comments.delete(p1.id, c1.id);
      expect(await idsOf(me!.id)).toEqual([like2.id, like1other.id]);
      expect(await idsOf(you!.id)).toEqual([request!.id, caption.id]);
      expect(await st.friends.remove(pending.id, 'pending')).toBe(true);
      expect(await idsOf(you!.id)).toEqual([caption.id]);
      await st.photos.delete(p2.id);
      await st.comments.deleteAllForPhoto(p2.id);
      expect(await idsOf(you!.id)).toEqual([]);
      expect(await idsOf(me!.id)).toEqual([like1other.id]);
      // A photo takes its comments' and likes' events with it.
      const c2 = newComment(p1.id, you!, 'again');
      const again = event(me!.id, 'comment', {
        id: c2.id,
        photoId: p1.id,
        subjectId: c2.id,
        actorId: you!.id,
      });
      await st.comments.add(c2, undefined, [again]);
      expect(await idsOf(me!.id)).toEqual([again.id, like1other.id]);
      await st.photos.delete(p1.id);
      await st.comments.deleteAllForPhoto(p1.id);
      expect(await idsOf(me!.id)).toEqual([]);
    });

    it('ActivityStore events of an act that is refused or repeated are not written', async () => {
      const [me, you] = await createUsers(storage(), 2);
      const st = storage();
      const photo = await st.photos.create(newPhoto(me!));
      const missing = newId();
      // A like of a missing photo, a second like, a comment on a missing photo, a comment retried
      // with its request key, a request between two people who already have one.
      expect(await st.photos.like(missing, you!.id, event(me!.id, 'like', { photoId: missing }))).toBeNull();
      const first = event(me!.id, 'like', { photoId: photo.id, actorId: you!.id });
      await st.photos.like(photo.id, you!.id, first);
      await st.photos.like(photo.id, you!.id, event(me!.id, 'like', { photoId: photo.id, actorId: you!.id }));
      const lost = newComment(missing, you!, 'hi');
      await expect(
        st.comments.add(lost, undefined, [event(me!.id, 'comment', { id: lost.id, photoId: missing })]),
      ).rejects.toMatchObject({ status: 404 });
      const key = `k${newId()}`;
      const c1 = newComment(photo.id, you!, 'hi');
      const told = event(me!.id, 'comment', { id: c1.id, photoId: photo.id, subjectId: c1.id });
      await st.comments.add(c1, key, [told]);
      const retry = newComment(photo.id, you!, 'hi');
      expect(
        (await st.comments.add(retry, key, [event(me!.id, 'comment', { id: retry.id, photoId: photo.id })]))
          .id,
      ).toBe(c1.id);
      await st.friends.create(you!.id, me!.id);
      await expect(
        st.friends.create(me!.id, you!.id, (r) =>
          event(you!.id, 'friend_request', { subjectId: String(r.id) }),
        ),
      ).rejects.toMatchObject({ status: 409 });
      expect(await idsOf(me!.id)).toEqual([told.id, first.id]);
      expect(await idsOf(you!.id)).toEqual([]);
    });

    it('ActivityStore caption edits: the newly mentioned get an event in the edit, the no longer mentioned lose theirs', async () => {
      const [me, ada, ben] = await createUsers(storage(), 3);
      const st = storage();
      const draft = newPhoto(me!, { caption: `with @${ada!.username}` });
      const toAda = event(ada!.id, 'mention', { id: draft.id, photoId: draft.id, actorId: me!.id });
      await st.photos.create(draft, undefined, [toAda]);
      const toBen = event(ben!.id, 'mention', { photoId: draft.id, actorId: me!.id });
      const edit = { caption: `with @${ben!.username}`, topic: null, alt: null };
      await st.photos.update(draft.id, edit, new Date(), { add: [toBen], remove: [ada!.id] });
      expect(await idsOf(ada!.id)).toEqual([]);
      expect(await idsOf(ben!.id)).toEqual([toBen.id]);
      // An edit that changes no mention keeps them; a later removal still finds the edit's event.
      await st.photos.update(draft.id, { ...edit, topic: 'sea' }, new Date(), { add: [], remove: [] });
      expect(await idsOf(ben!.id)).toEqual([toBen.id]);
      await st.photos.update(draft.id, { ...edit, caption: 'nobody' }, new Date(), {
        add: [],
        remove: [ben!.id],
      });
      expect(await idsOf(ben!.id)).toEqual([]);
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
