import { describe, expect, it } from 'vitest';
import { Conflict } from '../../src/domain/errors';
import { createUsers, useStorage, type MakeStorage } from './fixtures';

export function blockStoreContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const blocks = () => storage().blocks;

  describe('BlockStore', () => {
    it("BlockStore.add records the block with the blocked person's name and time", async () => {
      const [a, b] = await createUsers(storage(), 2);
      const before = Date.now();
      const block = await blocks().add(a!.id, b!.id);
      expect(block).toEqual({ userId: b!.id, username: b!.username, createdAt: expect.any(Date) });
      expect(block.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(await blocks().list(a!.id)).toEqual([block]);
    });

    it('BlockStore.add twice by the same blocker throws Conflict already_blocked; the other direction is its own row', async () => {
      const [a, b] = await createUsers(storage(), 2);
      await blocks().add(a!.id, b!.id);
      const err = await blocks()
        .add(a!.id, b!.id)
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Conflict);
      expect((err as Conflict).code).toBe('already_blocked');
      await expect(blocks().add(b!.id, a!.id)).resolves.toMatchObject({ userId: a!.id });
    });

    it('BlockStore.between is true in both directions while either blocks, false for strangers', async () => {
      const [a, b, c] = await createUsers(storage(), 3);
      await blocks().add(a!.id, b!.id);
      expect(await blocks().between(a!.id, b!.id)).toBe(true);
      expect(await blocks().between(b!.id, a!.id)).toBe(true);
      expect(await blocks().between(a!.id, c!.id)).toBe(false);
      expect(await blocks().remove(a!.id, b!.id)).toBe(true);
      expect(await blocks().between(b!.id, a!.id)).toBe(false);
    });

    it('BlockStore.between and personAndBlock count a suspended account and one being deleted, on either side', async () => {
      const [a, b] = await createUsers(storage(), 2);
      for (const [who, state] of [
        [a!, 'suspended'],
        [b!, 'suspended'],
        [b!, 'deleting'],
      ] as const) {
        await storage().users.setState(who.id, state);
        expect(await blocks().between(a!.id, b!.id)).toBe(true);
        expect(await blocks().between(b!.id, a!.id)).toBe(true);
        expect((await blocks().personAndBlock(a!.id, b!.id)).blocked).toBe(true);
        expect((await blocks().personAndBlock(b!.id, a!.id)).blocked).toBe(true);
        if (state === 'suspended') await storage().users.setState(who.id, 'active');
      }
      // Other tests read hiddenFrom, which holds every account being deleted: finish this one.
      expect(await storage().users.remove(b!.id)).toBe(true);
    });

    it('BlockStore.personAndBlock reads the other person as findById does, and the block as between does', async () => {
      const [a, b, c] = await createUsers(storage(), 3);
      await storage().users.setBio(b!.id, 'by the sea');
      const expected = await storage().users.findById(b!.id);
      expect(await blocks().personAndBlock(a!.id, b!.id)).toEqual({ person: expected, blocked: false });
      await blocks().add(b!.id, a!.id);
      expect(await blocks().personAndBlock(a!.id, b!.id)).toEqual({ person: expected, blocked: true });
      expect(await blocks().personAndBlock(b!.id, a!.id)).toMatchObject({
        person: { id: a!.id },
        blocked: true,
      });
      expect(await blocks().personAndBlock(c!.id, b!.id)).toEqual({ person: expected, blocked: false });
      expect(await blocks().personAndBlock(a!.id, a!.id)).toMatchObject({
        person: { id: a!.id },
        blocked: false,
      });
    });

    it("BlockStore.personAndBlock of an account that is gone: no person, and still the viewer's own suspension", async () => {
      const [a, b] = await createUsers(storage(), 2);
      await blocks().add(a!.id, b!.id);
      expect(await blocks().removeAllOf(b!.id)).toBe(1);
      expect(await storage().users.remove(b!.id)).toBe(true);
      expect(await blocks().personAndBlock(a!.id, b!.id)).toEqual({ person: null, blocked: false });
      await storage().users.setState(a!.id, 'suspended');
      expect(await blocks().personAndBlock(a!.id, b!.id)).toEqual({ person: null, blocked: true });
      await storage().users.setState(a!.id, 'active');
    });

    it('BlockStore.hiddenFrom holds everyone the user blocks and everyone who blocks the user', async () => {
      const [me, blockedByMe, blocksMe, both, stranger] = await createUsers(storage(), 5);
      await blocks().add(me!.id, blockedByMe!.id);
      await blocks().add(blocksMe!.id, me!.id);
      await blocks().add(me!.id, both!.id);
      await blocks().add(both!.id, me!.id);
      const hidden = await blocks().hiddenFrom(me!.id);
      expect([...hidden].sort((x, y) => x - y)).toEqual(
        [blockedByMe!.id, blocksMe!.id, both!.id].sort((x, y) => x - y),
      );
      expect(hidden.has(stranger!.id)).toBe(false);
      expect(await blocks().hiddenFrom(stranger!.id)).toEqual(new Set());
    });

    it("BlockStore.list returns the blocker's blocks only, the most recent first", async () => {
      const [a, b, c, d] = await createUsers(storage(), 4);
      await blocks().add(a!.id, b!.id);
      await new Promise((resolve) => setTimeout(resolve, 5));
      await blocks().add(a!.id, c!.id);
      await blocks().add(d!.id, a!.id);
      expect((await blocks().list(a!.id)).map((x) => x.userId)).toEqual([c!.id, b!.id]);
    });

    it('BlockStore.remove of a block that is not there returns false', async () => {
      const [a, b] = await createUsers(storage(), 2);
      expect(await blocks().remove(a!.id, b!.id)).toBe(false);
      await blocks().add(b!.id, a!.id);
      expect(await blocks().remove(a!.id, b!.id)).toBe(false);
    });
  });
}
