import { describe, expect, it } from 'vitest';
import { Conflict } from '../../src/domain/errors';
import type { Storage, StoreCall, StoreCallListener } from '../../src/ports';
import { createUser, newPhoto, useStorage } from './fixtures';

/** Opens a backend that tells `onCall` of its calls. */
export type MakeListenedStorage = (onCall: StoreCallListener) => Promise<Storage>;

/**
 * createStorage(config, { onCall }) reports every backend call (ports.ts StoreCall), whatever
 * the store. `stores` are the names the backend's calls carry; `reportsCapacity` says whether it
 * reports DynamoDB's consumed capacity.
 */
export function storeCallContract(
  make: MakeListenedStorage,
  expected: { stores: string[]; reportsCapacity: boolean },
): void {
  const calls: StoreCall[] = [];
  const storage = useStorage(() => make((call) => calls.push(call)));

  /** The calls `work` made. */
  async function callsOf(work: () => Promise<unknown>): Promise<StoreCall[]> {
    calls.length = 0;
    await work();
    return [...calls];
  }

  describe('StoreCallListener', () => {
    it('a write and reads of users, photos and images each report their calls, timed and ok', async () => {
      const made = await callsOf(async () => {
        const user = await createUser(storage());
        const photo = await storage().photos.create(newPhoto(user));
        await storage().photos.get(photo.id);
        await storage().photos.listAll({ limit: 5 });
        await storage().blobs.put(`calls/${photo.id}.jpg`, Buffer.from('x'), 'image/jpeg');
        await storage().blobs.open(`calls/${photo.id}.jpg`);
        // Leaves no photo behind: the backends' stores outlive a run (and other suites walk every photo).
        await storage().blobs.delete([`calls/${photo.id}.jpg`]);
        await storage().photos.delete(photo.id);
      });
      expect(made.length).toBeGreaterThanOrEqual(6);
      for (const call of made) {
        expect(expected.stores).toContain(call.store);
        expect(call.operation).toMatch(/\S/);
        expect(call.ms).toBeGreaterThanOrEqual(0);
        expect(call.ok).toBe(true);
      }
      expect(new Set(made.map((c) => c.store))).toEqual(new Set(expected.stores));
    });

    it('a unique-key clash (a username taken) is the store answering: its calls are ok, the store throws Conflict', async () => {
      const user = await createUser(storage());
      let error: unknown;
      const made = await callsOf(() =>
        createUser(storage(), user.username).catch((err: unknown) => (error = err)),
      );
      expect(error).toBeInstanceOf(Conflict);
      expect(made.length).toBeGreaterThan(0);
      expect(made.every((call) => call.ok)).toBe(true);
    });

    it('reads report read units and writes write units where the backend measures capacity', async () => {
      const user = await createUser(storage());
      const made = await callsOf(async () => {
        const photo = await storage().photos.create(newPhoto(user));
        await storage().photos.get(photo.id);
        await storage().photos.delete(photo.id);
      });
      const reads = made.filter((c) => c.readUnits !== undefined);
      const writes = made.filter((c) => c.writeUnits !== undefined);
      if (expected.reportsCapacity) {
        expect(reads.length).toBeGreaterThan(0);
        expect(writes.length).toBeGreaterThan(0);
        expect(reads.some((c) => c.readUnits! > 0)).toBe(true);
        expect(writes.some((c) => c.writeUnits! > 0)).toBe(true);
      } else {
        expect([...reads, ...writes]).toEqual([]);
      }
    });
  });
}
