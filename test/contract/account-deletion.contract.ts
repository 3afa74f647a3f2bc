import { expect, it } from 'vitest';
import { conversationIdOf, type ActivityEvent, type User } from '../../src/domain/types';
import { newId } from '../../src/lib/ulid';
import {
  createUser,
  createUsers,
  newComment,
  newMessage,
  newPhoto,
  randomToken,
  uniqueWord,
  useStorage,
  type MakeStorage,
} from './fixtures';

/** An event of no act in particular, addressed to `recipientId`. */
const friendEvent = (recipientId: number, actor: User): ActivityEvent => ({
  id: newId(),
  recipientId,
  kind: 'friend_request',
  actorId: actor.id,
  actorUsername: actor.username,
  photoId: null,
  subjectId: null,
  text: null,
  createdAt: new Date(),
});

/**
 * The steps an account deletion takes, one port method each (services/account-deletion.service.ts):
 * each deletes what a person left in one store, and is safe to run again.
 */
export function accountDeletionContract(make: MakeStorage) {
  const storage = useStorage(make);

  it('UserStore: an account marked deleting is listed, never goes back, and remove() frees its name', async () => {
    const s = storage();
    const user = await createUser(s);
    expect(await s.users.setState(user.id, 'deleting')).toBe(true);
    expect(await s.users.setState(user.id, 'deleting')).toBe(true);
    expect((await s.users.findById(user.id))?.state).toBe('deleting');
    expect(await s.users.listDeleting(1000)).toContain(user.id);
    // A moderator's unsuspend (or anything else) cannot bring it back.
    expect(await s.users.setState(user.id, 'active')).toBe(false);
    expect((await s.users.findById(user.id))?.state).toBe('deleting');

    expect(await s.users.remove(user.id)).toBe(true);
    expect(await s.users.remove(user.id)).toBe(false);
    expect(await s.users.findById(user.id)).toBeNull();
    expect(await s.users.findByUsername(user.username)).toBeNull();
    expect(await s.users.listDeleting(1000)).not.toContain(user.id);
    const again = await createUser(s, user.username);
    expect(again.id).not.toBe(user.id);
    expect(again.state).toBe('active');
  });

  it('UserStore.listDeleting lists no active or suspended account', async () => {
    const s = storage();
    const [active, suspended] = await createUsers(s, 2);
    await s.users.setState(suspended!.id, 'suspended');
    const listed = await s.users.listDeleting(1000);
    expect(listed).not.toContain(active!.id);
    expect(listed).not.toContain(suspended!.id);
    await s.users.setState(suspended!.id, 'active');
  });

  it('BlockStore: an account being deleted is hidden from everyone; removeAllOf removes blocks both ways', async () => {
    const s = storage();
    const [gone, a, b, c] = await createUsers(s, 4);
    await s.blocks.add(gone!.id, a!.id);
    await s.blocks.add(b!.id, gone!.id);
    await s.blocks.add(b!.id, c!.id);
    await s.users.setState(gone!.id, 'deleting');
    expect((await s.blocks.hiddenFrom(c!.id)).has(gone!.id)).toBe(true);
    expect(await s.blocks.between(c!.id, gone!.id)).toBe(true);

    expect(await s.blocks.removeAllOf(gone!.id)).toBe(2);
    expect(await s.blocks.removeAllOf(gone!.id)).toBe(0);
    expect(await s.blocks.list(gone!.id)).toEqual([]);
    expect((await s.blocks.list(b!.id)).map((x) => x.userId)).toEqual([c!.id]);
    expect((await s.blocks.hiddenFrom(a!.id)).has(gone!.id)).toBe(true); // still: being deleted
    // Other suites count who is hidden in this shared store: no account is left being deleted.
    await s.users.remove(gone!.id);
    expect((await s.blocks.hiddenFrom(a!.id)).has(gone!.id)).toBe(false);
  });

  it('ReportStore.removeByReporter deletes the person’s reports and leaves everyone else’s', async () => {
    const s = storage();
    const [gone, other, target] = await createUsers(s, 3);
    const about = { type: 'user' as const, id: String(target!.id), parentId: null };
    await s.reports.add({ reporterId: gone!.id, target: about, reason: 'spam', text: 'mine' });
    await s.reports.add({ reporterId: other!.id, target: about, reason: 'spam', text: 'theirs' });
    expect(await s.reports.removeByReporter(gone!.id)).toBe(1);
    expect(await s.reports.removeByReporter(gone!.id)).toBe(0);
    const group = (await s.reports.listGroups('open', 1000)).find((g) => g.target.id === about.id);
    expect(group?.reports).toBe(1);
    expect(group?.texts).toEqual(['theirs']);
  });

  it('RateLimitStore.removeKeys deletes the named counters and those ending with the suffix, no others', async () => {
    const s = storage();
    const tag = randomToken(8);
    const mine = [`upload-user:${tag}`, `login-user:10.0.0.1|${tag}.x`, `login-user:::1|${tag}.x`];
    const theirs = [`upload-user:${tag}1`, `login-user:10.0.0.1|${tag}.xy`, `login-user:10.0.0.1|a${tag}`];
    for (const key of [...mine, ...theirs]) await s.rateLimits.increment(key, 60_000);
    expect(await s.rateLimits.removeKeys([mine[0]!], `|${tag}.x`)).toBe(3);
    expect(await s.rateLimits.removeKeys([mine[0]!], `|${tag}.x`)).toBe(0);
    for (const key of mine) expect((await s.rateLimits.increment(key, 60_000)).count, key).toBe(1);
    for (const key of theirs) expect((await s.rateLimits.increment(key, 60_000)).count, key).toBe(2);
  });

  it('PhotoStore.unlike of each photo likedPhotos lists takes every like of the person, with the counts', async () => {
    const s = storage();
    const [liker, owner] = await createUsers(s, 2);
    const photos = [];
    for (let i = 0; i < 5; i++) photos.push(await s.photos.create(newPhoto(owner!)));
    for (const p of photos) await s.photos.like(p.id, liker!.id);
    await s.photos.like(photos[0]!.id, owner!.id);
    for (let round = 0; round < 10; round++) {
      const { items } = await s.photos.likedPhotos(liker!.id, { limit: 2 });
      if (items.length === 0) break;
      for (const like of items) await s.photos.unlike(like.photoId, liker!.id);
    }
    expect((await s.photos.likedPhotos(liker!.id, { limit: 10 })).items).toEqual([]);
    expect((await s.photos.get(photos[0]!.id))?.likes).toBe(1);
    expect((await s.photos.get(photos[1]!.id))?.likes).toBe(0);
    expect((await s.photos.likedPhotos(owner!.id, { limit: 10 })).items.map((l) => l.photoId)).toEqual([
      photos[0]!.id,
    ]);
  });

  it("PhotoStore.delete takes the photo from its likers' lists too, and once finished a second delete finds nothing", async () => {
    const s = storage();
    const [owner, liker] = await createUsers(s, 2);
    const word = uniqueWord();
    const photo = await s.photos.create(newPhoto(owner!, { caption: `a ${word}` }));
    await s.photos.like(photo.id, liker!.id);
    expect((await s.photos.delete(photo.id))?.id).toBe(photo.id);
    await s.photos.finishDelete(photo.id);
    expect(await s.photos.delete(photo.id)).toBeNull();
    expect(await s.photos.get(photo.id)).toBeNull();
    expect((await s.photos.listByOwners([owner!.id], { limit: 10 })).items).toEqual([]);
    expect((await s.photos.search([word], undefined, { limit: 10 })).items).toEqual([]);
    expect((await s.photos.likedPhotos(liker!.id, { limit: 10 })).items).toEqual([]);
    expect(await s.photos.unlike(photo.id, liker!.id)).toBeNull();
  });

  it('MessageStore.forgetUser keeps conversations for the people still there, without the name', async () => {
    const s = storage();
    const [gone, kept, alsoGone] = await createUsers(s, 3);
    await s.messages.send(newMessage(gone!, kept!, 'from the one who leaves'));
    await s.messages.send(newMessage(kept!, gone!, 'to the one who leaves'));
    await s.messages.send(newMessage(gone!, alsoGone!, 'between two who leave'));
    // alsoGone left first: their inbox entries are gone already.
    expect(await s.messages.forgetUser(alsoGone!.id, 10)).toBe(1);

    let handled = 0;
    for (let round = 0; round < 5; round++) {
      const n = await s.messages.forgetUser(gone!.id, 1);
      if (n === 0) break;
      handled += n;
    }
    expect(handled).toBe(2);
    expect(await s.messages.forgetUser(gone!.id, 10)).toBe(0);
    expect(await s.messages.conversations(gone!.id, 10)).toEqual([]);
    expect(await s.messages.unreadTotal(gone!.id)).toBe(0);

    const kept1 = await s.messages.latest(conversationIdOf(gone!.id, kept!.id), 10);
    expect(kept1.map((m) => m.text)).toEqual(['from the one who leaves', 'to the one who leaves']);
    expect(kept1.map((m) => m.fromUsername)).toEqual(['', kept!.username]);
    expect(kept1[1]!.toUsername).toBe('');
    await s.users.remove(gone!.id);
    const [entry] = await s.messages.conversations(kept!.id, 10);
    expect(entry?.userId).toBe(gone!.id);
    expect(entry?.username).toBe('');
    expect(await s.messages.latest(conversationIdOf(gone!.id, alsoGone!.id), 10)).toEqual([]);
  });

  it('removeRequestKeysOf of the photo, comment and message stores forgets the person’s idempotency keys, no one else’s', async () => {
    const s = storage();
    const [gone, other] = await createUsers(s, 2);
    // The same key for both people and all three kinds of request.
    const key = `deletion-${newId()}`;
    const myPhoto = await s.photos.create(newPhoto(gone!), key);
    const theirPhoto = await s.photos.create(newPhoto(other!), key);
    const myComment = await s.comments.add(newComment(theirPhoto, gone!, 'mine'), key);
    const theirComment = await s.comments.add(newComment(myPhoto, other!, 'theirs'), key);
    const myMessage = await s.messages.send(newMessage(gone!, other!, 'mine', key));
    const theirMessage = await s.messages.send(newMessage(other!, gone!, 'theirs', key));
    const removeAll = () =>
      Promise.all([s.photos, s.comments, s.messages].map((store) => store.removeRequestKeysOf(gone!.id)));

    expect(await removeAll()).toEqual([1, 1, 1]);
    expect(await removeAll()).toEqual([0, 0, 0]);
    expect(await s.photos.byRequestKey(gone!.id, key)).toBeNull();
    expect((await s.photos.byRequestKey(other!.id, key))?.id).toBe(theirPhoto.id);
    // The key no longer replays for the person: a request with it is a new one.
    expect((await s.photos.create(newPhoto(gone!), key)).id).not.toBe(myPhoto.id);
    expect((await s.comments.add(newComment(theirPhoto, gone!, 'again'), key)).id).not.toBe(myComment.id);
    expect((await s.messages.send(newMessage(gone!, other!, 'again', key))).id).not.toBe(myMessage.id);
    // The other person's still replay what they made.
    expect((await s.photos.create(newPhoto(other!), key)).id).toBe(theirPhoto.id);
    expect(await s.comments.add(newComment(myPhoto, other!, 'again'), key)).toEqual(theirComment);
    expect(await s.messages.send(newMessage(other!, gone!, 'again', key))).toEqual(theirMessage);
  });

  it('ActivityStore.removeAllFor deletes the recipient’s events and read mark, no one else’s', async () => {
    const s = storage();
    const [gone, other, actor] = await createUsers(s, 3);
    const event = (recipientId: number) => friendEvent(recipientId, actor!);
    const mine = event(gone!.id);
    await s.activity.add([mine, event(other!.id)]);
    await s.activity.markRead(gone!.id, mine.id);
    await s.activity.removeAllFor(gone!.id);
    await s.activity.removeAllFor(gone!.id);
    expect((await s.activity.list(gone!.id, { limit: 10 })).items).toEqual([]);
    expect(await s.activity.readMark(gone!.id)).toBeNull();
    expect((await s.activity.list(other!.id, { limit: 10 })).items).toHaveLength(1);
  });

  it('ActivityStore.removeEvents deletes events by recipient and id, and ignores missing ones', async () => {
    const s = storage();
    const [a, b, actor] = await createUsers(s, 3);
    const event = (recipientId: number) => friendEvent(recipientId, actor!);
    const [gone, kept] = [event(a!.id), event(b!.id)];
    await s.activity.add([gone, kept]);
    const refs = [
      { recipientId: a!.id, eventId: gone.id },
      { recipientId: b!.id, eventId: newId() },
    ];
    await s.activity.removeEvents(refs);
    await s.activity.removeEvents(refs);
    expect((await s.activity.list(a!.id, { limit: 10 })).items).toEqual([]);
    expect((await s.activity.list(b!.id, { limit: 10 })).items.map((e) => e.id)).toEqual([kept.id]);
  });
}
