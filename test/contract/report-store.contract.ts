import { describe, expect, it } from 'vitest';
import { newId } from '../../src/lib/ulid';
import { createUsers, useStorage, type MakeStorage } from './fixtures';

export function reportStoreContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const reports = () => storage().reports;

  describe('ReportStore', () => {
    it('ReportStore.add by the same person on the same item returns the first id, not a new report', async () => {
      const [a] = await createUsers(storage(), 1);
      const target = { type: 'photo' as const, id: newId(), parentId: null };
      const first = await reports().add({ reporterId: a!.id, target, reason: 'spam', text: '' });
      expect(first.isNew).toBe(true);
      const again = await reports().add({ reporterId: a!.id, target, reason: 'other', text: 'x' });
      expect(again).toEqual({ id: first.id, isNew: false });
    });

    it('ReportStore.listGroups groups open reports by item with reason counts, the latest item first; close moves them', async () => {
      const people = await createUsers(storage(), 3);
      const older = { type: 'comment' as const, id: newId(), parentId: newId() };
      const newer = { type: 'user' as const, id: String(people[0]!.id), parentId: null };
      await reports().add({ reporterId: people[0]!.id, target: older, reason: 'spam', text: 'first' });
      await reports().add({ reporterId: people[1]!.id, target: older, reason: 'spam', text: '' });
      await new Promise((resolve) => setTimeout(resolve, 5));
      await reports().add({ reporterId: people[2]!.id, target: newer, reason: 'harassment', text: 'mean' });
      await reports().add({ reporterId: people[1]!.id, target: newer, reason: 'other', text: '' });
      const open = (await reports().listGroups('open', 1000)).filter((g) =>
        [older.id, newer.id].includes(g.target.id),
      );
      expect(open.map((g) => g.target)).toEqual([newer, older]);
      expect(open[0]).toMatchObject({ reports: 2, reasons: { harassment: 1, other: 1 }, texts: ['mean'] });
      expect(open[1]).toMatchObject({ reports: 2, reasons: { spam: 2 }, texts: ['first'] });
      expect(await reports().close(older)).toBe(2);
      expect(await reports().close(older)).toBe(0);
      const stillOpen = await reports().listGroups('open', 1000);
      expect(stillOpen.some((g) => g.target.id === older.id)).toBe(false);
      const closed = await reports().listGroups('closed', 1000);
      expect(closed.find((g) => g.target.id === older.id)).toMatchObject({ reports: 2 });
    });

    it('ReportStore.logAction appends, and listActions returns the newest first', async () => {
      const [mod] = await createUsers(storage(), 1);
      const target = { type: 'photo' as const, id: newId(), parentId: null };
      const first = await reports().logAction({
        moderatorId: mod!.id,
        moderator: mod!.username,
        target,
        action: 'dismiss',
      });
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await reports().logAction({
        moderatorId: mod!.id,
        moderator: mod!.username,
        target,
        action: 'remove',
      });
      const log = await reports().listActions(2);
      expect(log.map((a) => a.id)).toEqual([second.id, first.id]);
      expect(log[0]).toMatchObject({ moderator: mod!.username, target, action: 'remove' });
    });

    it('UserStore.setState and setModerator change one user; a new user is active and no moderator', async () => {
      const [a, b] = await createUsers(storage(), 2);
      expect(await storage().users.findById(a!.id)).toMatchObject({ state: 'active', isModerator: false });
      expect(await storage().users.setState(a!.id, 'suspended')).toBe(true);
      expect(await storage().users.setModerator(b!.id, true)).toBe(true);
      expect(await storage().users.findById(a!.id)).toMatchObject({ state: 'suspended', isModerator: false });
      expect(await storage().users.findByUsername(b!.username)).toMatchObject({
        state: 'active',
        isModerator: true,
      });
      expect(await storage().blocks.between(a!.id, b!.id)).toBe(true);
      expect((await storage().blocks.hiddenFrom(b!.id)).has(a!.id)).toBe(true);
      await storage().users.setState(a!.id, 'active');
      expect(await storage().blocks.between(a!.id, b!.id)).toBe(false);
      expect(await storage().users.setState(2_000_000_000, 'active')).toBe(false);
    });
  });
}
