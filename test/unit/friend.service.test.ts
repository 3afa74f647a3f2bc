import { describe, expect, it } from 'vitest';
import { Conflict, InvalidInput, NotFound } from '../../src/domain/errors';
import type { FriendRequest, Viewer } from '../../src/domain/types';
import { FriendService } from '../../src/services/friend.service';
import { ActivityService } from '../../src/services/activity.service';
import { MemoryActivityStore, MemoryBlockStore, MemoryFriendStore, MemoryUserStore } from '../fakes/memory';

async function setup() {
  const users = new MemoryUserStore();
  const store = new MemoryFriendStore(users);
  const [a, b, c] = await Promise.all(
    ['ana', 'bob', 'cyd'].map((username) =>
      users.create({ username, email: `${username}@x`, passwordHash: 'h' }),
    ),
  );
  const v = (u: { id: number; username: string } | undefined): Viewer => ({
    id: u!.id,
    username: u!.username,
  });
  return {
    store,
    friends: new FriendService(
      store,
      users,
      new MemoryBlockStore(users),
      new ActivityService(new MemoryActivityStore(), users, new MemoryBlockStore(users)),
    ),
    ana: v(a),
    bob: v(b),
    cyd: v(c),
  };
}

describe('FriendService', () => {
  it('request then accept makes two people friends both ways', async () => {
    const { friends, ana, bob } = await setup();
    const req = await friends.request(ana, { username: 'BOB' });
    expect(req.status).toBe('pending');
    await friends.respond(bob, req.id, 'accept');
    expect((await friends.list(ana)).map((f) => f.username)).toEqual(['bob']);
    expect((await friends.list(bob)).map((f) => f.username)).toEqual(['ana']);
  });

  it('a request to someone who already asked you accepts theirs at once', async () => {
    const { friends, ana, bob } = await setup();
    await friends.request(bob, { userId: ana.id });
    const answer = await friends.request(ana, { userId: bob.id });
    expect(answer.status).toBe('accepted');
    expect(await friends.areFriends(ana.id, bob.id)).toBe(true);
  });

  it('a request that lost the race to the opposite request accepts the winner', async () => {
    const { store, friends, ana, bob } = await setup();
    // Bob's row lands between Ana's lookup and her insert.
    const realFind = store.findBetween.bind(store);
    let first = true;
    store.findBetween = async (x, y) => {
      if (first) {
        first = false;
        await store.create(bob.id, ana.id);
        return null;
      }
      return realFind(x, y);
    };
    const answer = await friends.request(ana, { userId: bob.id });
    expect(answer.status).toBe('accepted');
  });

  it('refuses yourself (400), strangers (404) and duplicates (409)', async () => {
    const { friends, ana, bob } = await setup();
    await expect(friends.request(ana, { userId: ana.id })).rejects.toBeInstanceOf(InvalidInput);
    await expect(friends.request(ana, { username: 'nobody' })).rejects.toBeInstanceOf(NotFound);
    await friends.request(ana, { userId: bob.id });
    await expect(friends.request(ana, { userId: bob.id })).rejects.toMatchObject({
      status: 409,
      code: 'request_pending',
    });
  });

  it('only the receiver can answer, only the sender can cancel', async () => {
    const { friends, ana, bob, cyd } = await setup();
    const req: FriendRequest = await friends.request(ana, { userId: bob.id });
    await expect(friends.respond(cyd, req.id, 'accept')).rejects.toBeInstanceOf(NotFound);
    await expect(friends.respond(ana, req.id, 'accept')).rejects.toBeInstanceOf(NotFound);
    await expect(friends.cancel(bob, req.id)).rejects.toBeInstanceOf(NotFound);
    await friends.cancel(ana, req.id);
    expect(await friends.listRequests(bob, 'incoming')).toEqual([]);
  });

  it('decline and unfriend remove the row, so asking again works', async () => {
    const { friends, ana, bob } = await setup();
    const first = await friends.request(ana, { userId: bob.id });
    await friends.respond(bob, first.id, 'decline');
    const second = await friends.request(ana, { userId: bob.id });
    await friends.respond(bob, second.id, 'accept');
    await expect(friends.request(ana, { userId: bob.id })).rejects.toBeInstanceOf(Conflict);
    await friends.unfriend(bob, ana.id);
    expect(await friends.areFriends(ana.id, bob.id)).toBe(false);
    await expect(friends.unfriend(bob, ana.id)).rejects.toBeInstanceOf(NotFound);
  });
});
