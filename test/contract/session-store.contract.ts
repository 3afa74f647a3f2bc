import { describe, expect, it } from 'vitest';
import { randomToken, useStorage, type MakeStorage } from './fixtures';

const inMs = (ms: number) => new Date(Date.now() + ms);
const sid = () => `sid-${randomToken(24)}`;
/** Data of the live record, or null. */
const dataOf = (record: { data: string } | null) => record?.data ?? null;

export function sessionStoreContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const sessions = () => storage().sessions;

  describe('SessionStore', () => {
    it('SessionStore.ping with a reachable backend resolves', async () => {
      await expect(sessions().ping()).resolves.toBeUndefined();
    });

    it('SessionStore.get with an unknown sid returns null', async () => {
      expect(await sessions().get(sid())).toBeNull();
    });

    it('SessionStore.set then get returns the data unchanged', async () => {
      const id = sid();
      const data = JSON.stringify({ cookie: { httpOnly: true }, userId: 42, note: 'ünïcødé ✓' });
      await sessions().set(id, data, inMs(60_000));
      expect(dataOf(await sessions().get(id))).toBe(data);
    });

    it('SessionStore.set on an existing sid replaces data and expiry', async () => {
      const id = sid();
      await sessions().set(id, '{"v":1}', inMs(60_000));
      await sessions().set(id, '{"v":2}', inMs(120_000));
      expect(dataOf(await sessions().get(id))).toBe('{"v":2}');
    });

    it('SessionStore.get with an expired record returns null', async () => {
      const id = sid();
      await sessions().set(id, '{}', inMs(-1_000));
      expect(await sessions().get(id)).toBeNull();
    });

    it('SessionStore.touch on a record moves its expiry, keeping the data', async () => {
      const id = sid();
      await sessions().set(id, '{"keep":true}', inMs(300));
      await sessions().touch(id, inMs(60_000));
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect(dataOf(await sessions().get(id))).toBe('{"keep":true}');
    });

    it('SessionStore.get returns the expiry of the last set or touch, to the millisecond', async () => {
      const id = sid();
      const set = inMs(60_000);
      await sessions().set(id, '{}', set);
      expect((await sessions().get(id))?.expiresAt.getTime()).toBe(set.getTime());
      const touched = inMs(120_000);
      await sessions().touch(id, touched);
      expect((await sessions().get(id))?.expiresAt.getTime()).toBe(touched.getTime());
    });

    it('SessionStore.touch into the past makes the record expire', async () => {
      const id = sid();
      await sessions().set(id, '{}', inMs(60_000));
      await sessions().touch(id, inMs(-1_000));
      expect(await sessions().get(id)).toBeNull();
    });

    it('SessionStore.touch on an expired record leaves it expired', async () => {
      const id = sid();
      await sessions().set(id, '{"n":1}', inMs(-1_000));
      await sessions().touch(id, inMs(60_000));
      await expect(sessions().get(id)).resolves.toBeNull();
    });

    it('SessionStore.touch on a missing sid leaves it missing', async () => {
      const id = sid();
      await sessions().touch(id, inMs(60_000));
      expect(await sessions().get(id)).toBeNull();
    });

    it('SessionStore.destroy removes the record, and on a missing sid does nothing', async () => {
      const id = sid();
      await sessions().set(id, '{}', inMs(60_000));
      await sessions().destroy(id);
      expect(await sessions().get(id)).toBeNull();
      await expect(sessions().destroy(id)).resolves.toBeUndefined();
    });

    it('SessionStore.prune deletes expired records, counts them and keeps live ones', async () => {
      const expired = [sid(), sid(), sid()];
      const live = sid();
      for (const id of expired) await sessions().set(id, '{"old":true}', inMs(-5_000));
      await sessions().set(live, '{"live":true}', inMs(60_000));
      const removed = await sessions().prune(new Date());
      expect(removed).toBeGreaterThanOrEqual(expired.length);
      expect(dataOf(await sessions().get(live))).toBe('{"live":true}');
      // Touching a pruned record proves the row is gone, not just hidden by its expiry.
      for (const id of expired) {
        await sessions().touch(id, inMs(60_000));
        expect(await sessions().get(id)).toBeNull();
      }
    });

    it("SessionStore.listByUser returns only that person's live sessions, most recently used first", async () => {
      const userId = 1_000_000 + Math.floor(Math.random() * 1_000_000);
      const [older, newer, expired, otherPerson, anonymous] = [sid(), sid(), sid(), sid(), sid()];
      await sessions().set(older, '{"n":1}', inMs(60_000), { userId, device: 'Firefox on Linux' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      await sessions().set(newer, '{"n":2}', inMs(60_000), { userId, device: 'Safari on iPhone' });
      await sessions().set(expired, '{}', inMs(-1_000), { userId, device: 'old' });
      await sessions().set(otherPerson, '{}', inMs(60_000), { userId: userId + 1, device: 'x' });
      await sessions().set(anonymous, '{}', inMs(60_000), null);
      const list = await sessions().listByUser(userId);
      expect(list.map((s) => [s.sid, s.device])).toEqual([
        [newer, 'Safari on iPhone'],
        [older, 'Firefox on Linux'],
      ]);
      expect(list[0]!.createdAt.getTime()).toBeLessThanOrEqual(list[0]!.lastUsedAt.getTime());
      expect(list[0]!.expiresAt.getTime()).toBeGreaterThan(Date.now());
    });

    it('SessionStore.touch marks the session used now; set again keeps its creation time', async () => {
      const userId = 2_000_000 + Math.floor(Math.random() * 1_000_000);
      const id = sid();
      await sessions().set(id, '{}', inMs(60_000), { userId, device: 'd' });
      const [first] = await sessions().listByUser(userId);
      await new Promise((resolve) => setTimeout(resolve, 20));
      await sessions().touch(id, inMs(90_000));
      const [touched] = await sessions().listByUser(userId);
      expect(touched!.lastUsedAt.getTime()).toBeGreaterThan(first!.lastUsedAt.getTime());
      await sessions().set(id, '{"v":2}', inMs(90_000), { userId, device: 'd' });
      const [again] = await sessions().listByUser(userId);
      expect(again!.createdAt.getTime()).toBe(first!.createdAt.getTime());
    });

    it("SessionStore.destroyByUser ends every session of the person but the one kept, and no one else's", async () => {
      const userId = 3_000_000 + Math.floor(Math.random() * 1_000_000);
      const [keep, a, b, other] = [sid(), sid(), sid(), sid()];
      for (const id of [keep, a, b]) await sessions().set(id, '{}', inMs(60_000), { userId, device: 'd' });
      await sessions().set(other, '{"other":1}', inMs(60_000), { userId: userId + 1, device: 'd' });
      expect(await sessions().destroyByUser(userId, keep)).toBe(2);
      expect((await sessions().listByUser(userId)).map((s) => s.sid)).toEqual([keep]);
      expect(await sessions().get(a)).toBeNull();
      expect(dataOf(await sessions().get(other))).toBe('{"other":1}');
      expect(await sessions().destroyByUser(userId)).toBe(1);
      expect(await sessions().get(keep)).toBeNull();
    });
  });
}
