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
  });
}
