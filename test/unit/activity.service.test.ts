import { describe, expect, it } from 'vitest';
import { InvalidInput } from '../../src/domain/errors';
import type { ActivityEvent, ActivityKind } from '../../src/domain/types';
import { firstIdAt, newId } from '../../src/lib/ulid';
import { ActivityService, namesOf } from '../../src/services/activity.service';
import { MemoryActivityStore, MemoryBlockStore, MemoryUserStore } from '../fakes/memory';

const DAY = 24 * 60 * 60_000;

async function setup(actorCount = 6) {
  const users = new MemoryUserStore();
  const store = new MemoryActivityStore();
  const me = await users.create({ username: 'me', email: 'me@x', passwordHash: 'h' });
  const actors = await Promise.all(
    Array.from({ length: actorCount }, (_, i) =>
      users.create({ username: `a${i}`, email: `a${i}@x`, passwordHash: 'h' }),
    ),
  );
  let tick = 0;
  /** An event `daysAgo` days back (noon UTC), later calls a little newer within the day. */
  const at = (daysAgo: number, kind: ActivityKind, actor: number, photoId: string | null): ActivityEvent => {
    const noon = Math.floor(Date.now() / DAY) * DAY - daysAgo * DAY + 12 * 60 * 60_000 + tick++ * 1000;
    const ms = Math.min(noon, Date.now() - 1000);
    return {
      id: `${firstIdAt(ms).slice(0, 10)}${newId().slice(10)}`,
      recipientId: me.id,
      kind,
      actorId: actors[actor]!.id,
      actorUsername: actors[actor]!.username,
      photoId,
      subjectId: null,
      text: null,
      createdAt: new Date(ms),
    };
  };
  return {
    service: new ActivityService(store, users, new MemoryBlockStore(users)),
    store,
    users,
    me: { id: me.id, username: me.username },
    at,
  };
}

describe('ActivityService', () => {
  it('namesOf: one, two, three names, then "and N others"', () => {
    expect(namesOf(['ada'], 1)).toBe('ada');
    expect(namesOf(['ada', 'ben'], 2)).toBe('ada and ben');
    expect(namesOf(['ada', 'ben', 'cy'], 3)).toBe('ada, ben and cy');
    expect(namesOf(['ada', 'ben', 'cy'], 4)).toBe('ada, ben and 2 others');
    expect(namesOf(['ada', 'ben', 'cy'], 5)).toBe('ada, ben and 3 others');
  });

  it('list groups one line per photo, kind and day; the same photo on another day is another line', async () => {
    const { service, store, me, at } = await setup();
    const [p, q] = [newId(), newId()];
    await store.add([
      at(1, 'like', 0, p),
      at(1, 'like', 1, p),
      at(1, 'comment', 2, p),
      at(0, 'like', 3, p),
      at(0, 'like', 4, q),
    ]);
    const { items, next } = await service.list(me, { limit: 10 });
    expect(next).toBeNull();
    expect(items.map((g) => [g.photoId, g.kind, g.actorCount])).toEqual([
      [q, 'like', 1],
      [p, 'like', 1],
      [p, 'comment', 1],
      [p, 'like', 2],
    ]);
    expect(items[3]!.text).toBe('a1 and a0 liked your photo.');
  });

  it('list pages by groups: walking the cursor shows every line once, even when a day is split across pages', async () => {
    const { service, store, me, at } = await setup();
    const photos = Array.from({ length: 5 }, () => newId());
    const events: ActivityEvent[] = [];
    // Two days, interleaved photos within a day, so groups are not contiguous runs of events.
    for (const daysAgo of [2, 1])
      for (let round = 0; round < 3; round++)
        for (const [i, p] of photos.entries()) events.push(at(daysAgo, 'like', (i + round) % 6, p));
    await store.add(events);
    const everything = await service.list(me, { limit: 100 });
    expect(everything.items).toHaveLength(10);
    for (const limit of [1, 2, 3, 4, 7]) {
      const seen: string[] = [];
      let before: string | undefined;
      for (let i = 0; i < 20; i++) {
        const page = await service.list(me, { limit, ...(before ? { before } : {}) });
        seen.push(
          ...page.items.map((g) => `${g.photoId}|${g.createdAt.toISOString().slice(0, 10)}|${g.actorCount}`),
        );
        if (!page.next) break;
        before = page.next;
      }
      expect(seen).toEqual(
        everything.items.map((g) => `${g.photoId}|${g.createdAt.toISOString().slice(0, 10)}|${g.actorCount}`),
      );
    }
  });

  it('list filters by kind (a reply counts as a comment) and hides actors whose account is gone', async () => {
    const { service, store, users, me, at } = await setup();
    const p = newId();
    await store.add([at(0, 'reply', 0, p), at(0, 'like', 1, p), at(0, 'friend_request', 2, null)]);
    expect((await service.list(me, { limit: 10, kinds: ['comment'] })).items.map((g) => g.kind)).toEqual([
      'reply',
    ]);
    expect((await service.list(me, { limit: 10, kinds: ['friend_request', 'like'] })).items).toHaveLength(2);
    const gone = (await users.findByUsername('a1'))!;
    (users as unknown as { rows: { id: number }[] }).rows.splice(
      (users as unknown as { rows: { id: number }[] }).rows.findIndex((u) => u.id === gone.id),
      1,
    );
    expect((await service.list(me, { limit: 10 })).items.map((g) => g.kind)).toEqual([
      'friend_request',
      'reply',
    ]);
  });

  it('list with a cursor that is not one throws InvalidInput', async () => {
    const { service, me } = await setup(0);
    for (const before of ['x', '2026-02-30.1', '2026-01-01', '01ARZ3NDEKTSV4RRFFQ69G5FAV']) {
      await expect(service.list(me, { limit: 5, before })).rejects.toBeInstanceOf(InvalidInput);
    }
  });

  it('likeEvent: nobody is told about their own like', async () => {
    const { service, store, me } = await setup(0);
    const photo = { id: newId(), userId: me.id } as never;
    expect(service.likeEvent(me, photo)).toBeNull();
    expect(store.events).toEqual([]);
  });

  it('editMentions tells only the newly mentioned (not the author, not across a block, not nobody) and takes back the removed', async () => {
    const users = new MemoryUserStore();
    const blocks = new MemoryBlockStore(users);
    const service = new ActivityService(new MemoryActivityStore(), users, blocks);
    const [me, ada, ben, cy, dee] = await Promise.all(
      ['mee', 'ada', 'ben', 'cyd', 'dee'].map((n) =>
        users.create({ username: n, email: `${n}@x`, passwordHash: 'h' }),
      ),
    );
    await blocks.add(dee!.id, me!.id);
    const author = { id: me!.id, username: 'mee' };
    const photo = { id: newId(), userId: me!.id, caption: 'with @ada and @ben' } as never;
    const change = await service.editMentions(author, photo, 'with @ADA, @cyd, @mee, @dee and @nobody_here');
    expect(change.add.map((e) => [e.recipientId, e.kind, e.photoId, e.subjectId])).toEqual([
      [cy!.id, 'mention', (photo as { id: string }).id, null],
    ]);
    expect(change.add[0]!.text).toContain('@cyd');
    expect(change.remove).toEqual([ben!.id]);
    expect(ada).toBeDefined();
    const same = await service.editMentions(author, photo, 'with @ben and @ada, still');
    expect(same).toEqual({ add: [], remove: [] });
  });
});
