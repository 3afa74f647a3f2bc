import { describe, expect, it } from 'vitest';
import { Conflict } from '../../src/domain/errors';
import {
  createUser,
  createUsers,
  randomToken,
  settle,
  uniqueUsername,
  useStorage,
  type MakeStorage,
} from './fixtures';

export function friendStoreContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const friends = () => storage().friends;

  describe('FriendStore', () => {
    it('FriendStore.ping with a reachable backend resolves', async () => {
      await expect(friends().ping()).resolves.toBeUndefined();
    });

    it('FriendStore.create returns a pending request carrying both usernames', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const before = Date.now();
      const request = await friends().create(a!.id, b!.id);
      expect(request).toMatchObject({
        requesterId: a!.id,
        requesterUsername: a!.username,
        receiverId: b!.id,
        receiverUsername: b!.username,
        status: 'pending',
        respondedAt: null,
      });
      expect(Number.isInteger(request.id)).toBe(true);
      expect(request.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(await friends().findById(request.id)).toEqual(request);
    });

    it('FriendStore.findBetween finds the row whichever way round the pair is given', async () => {
      const [a, b, c] = await createUsers(storage(), 3);
      const request = await friends().create(a!.id, b!.id);
      expect(await friends().findBetween(a!.id, b!.id)).toEqual(request);
      expect(await friends().findBetween(b!.id, a!.id)).toEqual(request);
      expect(await friends().findBetween(a!.id, c!.id)).toBeNull();
      expect(await friends().findById(2_000_000_000)).toBeNull();
    });

    it('FriendStore.create for a pair that already has a row throws Conflict in either direction', async () => {
      const [a, b] = await createUsers(storage(), 2);
      await friends().create(a!.id, b!.id);
      const same = friends().create(a!.id, b!.id);
      await expect(same).rejects.toBeInstanceOf(Conflict);
      await expect(same).rejects.toMatchObject({ code: 'friend_request_exists' });
      const opposite = friends().create(b!.id, a!.id);
      await expect(opposite).rejects.toBeInstanceOf(Conflict);
      await expect(opposite).rejects.toMatchObject({ code: 'friend_request_exists' });
    });

    it('FriendStore.create racing in opposite directions stores exactly one row and the other gets Conflict', async () => {
      const people = await createUsers(storage(), 10);
      for (let i = 0; i < people.length; i += 2) {
        const a = people[i]!;
        const b = people[i + 1]!;
        const { values, errors } = await settle([friends().create(a.id, b.id), friends().create(b.id, a.id)]);
        expect(values).toHaveLength(1);
        expect(errors).toHaveLength(1);
        expect(errors[0]).toBeInstanceOf(Conflict);
        expect(await friends().findBetween(a.id, b.id)).toEqual(values[0]);
      }
    });

    it('FriendStore.accept on a pending request marks it accepted with a response time', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const request = await friends().create(a!.id, b!.id);
      const before = Date.now();
      const accepted = await friends().accept(request.id);
      expect(accepted).toEqual({ ...request, status: 'accepted', respondedAt: expect.any(Date) as unknown });
      expect(accepted!.respondedAt!.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(await friends().findById(request.id)).toEqual(accepted);
    });

    it('FriendStore.accept on an accepted or missing request returns null and changes nothing', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const request = await friends().create(a!.id, b!.id);
      const accepted = await friends().accept(request.id);
      expect(await friends().accept(request.id)).toBeNull();
      expect(await friends().findById(request.id)).toEqual(accepted);
      expect(await friends().accept(2_000_000_000)).toBeNull();
    });

    it('FriendStore.remove deletes the row only while it has the given status', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const request = await friends().create(a!.id, b!.id);
      await friends().accept(request.id);
      expect(await friends().remove(request.id, 'pending')).toBe(false);
      expect(await friends().findById(request.id)).not.toBeNull();
      expect(await friends().remove(request.id, 'accepted')).toBe(true);
      expect(await friends().findById(request.id)).toBeNull();
      expect(await friends().findBetween(a!.id, b!.id)).toBeNull();
      expect(await friends().remove(request.id, 'accepted')).toBe(false);
    });

    it('FriendStore.remove of a pending request frees the pair for a new request', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const first = await friends().create(a!.id, b!.id);
      expect(await friends().remove(first.id, 'pending')).toBe(true);
      const again = await friends().create(b!.id, a!.id);
      expect(again).toMatchObject({ requesterId: b!.id, receiverId: a!.id, status: 'pending' });
    });

    it('FriendStore.listPending lists incoming and outgoing pending requests, newest first', async () => {
      const [me, a, b, c, d] = await createUsers(storage(), 5);
      const fromA = await friends().create(a!.id, me!.id);
      const fromB = await friends().create(b!.id, me!.id);
      const fromC = await friends().create(c!.id, me!.id);
      const toD = await friends().create(me!.id, d!.id);
      await friends().accept(fromB.id);

      const incoming = await friends().listPending(me!.id, 'incoming');
      expect(incoming).toEqual([fromC, fromA]);
      expect(await friends().listPending(me!.id, 'outgoing')).toEqual([toD]);
      expect(await friends().listPending(a!.id, 'outgoing')).toEqual([fromA]);
      expect(await friends().listPending(a!.id, 'incoming')).toEqual([]);
    });

    it('FriendStore.countIncoming counts pending requests addressed to the user only', async () => {
      const [me, a, b, c] = await createUsers(storage(), 4);
      expect(await friends().countIncoming(me!.id)).toBe(0);
      await friends().create(a!.id, me!.id);
      const fromB = await friends().create(b!.id, me!.id);
      await friends().create(me!.id, c!.id);
      expect(await friends().countIncoming(me!.id)).toBe(2);
      await friends().accept(fromB.id);
      expect(await friends().countIncoming(me!.id)).toBe(1);
      expect(await friends().countIncoming(c!.id)).toBe(1);
    });

    it('FriendStore.listFriends lists accepted friends of either direction by lower-cased name with since', async () => {
      const stem = `f${randomToken(6)}`;
      const me = await createUser(storage());
      const zed = await createUser(storage(), `${stem}Zed`);
      const amy = await createUser(storage(), `${stem}amy`);
      const bob = await createUser(storage(), `${stem}Bob`);
      const pending = await createUser(storage());

      const r1 = await friends().create(me.id, zed.id);
      const r2 = await friends().create(amy.id, me.id);
      const r3 = await friends().create(me.id, bob.id);
      await friends().create(pending.id, me.id);
      const accepted = await Promise.all([r1, r2, r3].map((r) => friends().accept(r.id)));

      const list = await friends().listFriends(me.id);
      expect(list.map((f) => f.username)).toEqual([amy.username, bob.username, zed.username]);
      expect(list.map((f) => f.id)).toEqual([amy.id, bob.id, zed.id]);
      const sinceOfAmy = accepted[1]!.respondedAt!.getTime();
      expect(list[0]!.since.getTime()).toBe(sinceOfAmy);

      expect((await friends().friendIds(me.id)).sort((x, y) => x - y)).toEqual(
        [amy.id, bob.id, zed.id].sort((x, y) => x - y),
      );
      expect(await friends().friendIds(amy.id)).toEqual([me.id]);
      expect(await friends().listFriends(pending.id)).toEqual([]);
      expect(await friends().friendIds(pending.id)).toEqual([]);
    });

    it('FriendStore.friendIds read just before an accept or a remove through the same store answers the change at once', async () => {
      const [a, b] = await createUsers(storage(), 2);
      const request = await friends().create(a!.id, b!.id);
      expect(await friends().friendIds(a!.id)).toEqual([]);
      await friends().accept(request.id);
      expect(await friends().friendIds(a!.id)).toEqual([b!.id]);
      expect(await friends().friendIds(b!.id)).toEqual([a!.id]);
      expect(await friends().remove(request.id, 'accepted')).toBe(true);
      expect(await friends().friendIds(a!.id)).toEqual([]);
      expect(await friends().friendIds(b!.id)).toEqual([]);
    });

    it('FriendStore.listFriends for a user with no relationships returns an empty list', async () => {
      const loner = await createUser(storage(), uniqueUsername('lone'));
      expect(await friends().listFriends(loner.id)).toEqual([]);
      expect(await friends().listPending(loner.id, 'incoming')).toEqual([]);
      expect(await friends().countIncoming(loner.id)).toBe(0);
    });
  });
}
