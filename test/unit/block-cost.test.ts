import { describe, expect, it } from 'vitest';
import type { Page, Photo } from '../../src/domain/types';
import type { BlockStore, CommentStore, ImageProcessor, PhotoStore } from '../../src/ports';
import type { ActivityService } from '../../src/services/activity.service';
import { PhotoService } from '../../src/services/photo.service';
import { MemoryBlobStore, MemoryBlockStore, MemoryFriendStore, MemoryUserStore } from '../fakes/memory';

/** Counts every call made on `target`'s methods, by name. */
function counting<T extends object>(target: T): { proxy: T; calls: Map<string, number> } {
  const calls = new Map<string, number>();
  const proxy = new Proxy(target, {
    get(obj, prop, receiver) {
      const value: unknown = Reflect.get(obj, prop, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls.set(String(prop), (calls.get(String(prop)) ?? 0) + 1);
        return (value as (...a: unknown[]) => unknown).apply(obj, args);
      };
    },
  });
  return { proxy, calls };
}

const photoOf = (i: number, userId: number): Photo =>
  ({ id: `01J${String(i).padStart(23, '0')}`, userId, username: `u${userId}` }) as unknown as Photo;

/** Every list answers the same page of 50 photos from 50 owners. */
const page: Page<Photo> = { items: Array.from({ length: 50 }, (_, i) => photoOf(i, 1000 + i)), next: null };
const photos = {
  listAll: () => Promise.resolve(page),
  listByOwners: () => Promise.resolve(page),
  search: () => Promise.resolve(page),
  likedBy: () => Promise.resolve(new Set<string>()),
} as unknown as PhotoStore;

async function feedCalls(blockCount: number) {
  const users = new MemoryUserStore();
  const me = await users.create({ username: 'me', email: 'me@x', passwordHash: 'x' });
  const blocks = new MemoryBlockStore(users);
  for (let i = 0; i < blockCount; i++) await blocks.add(me.id, 1000 + i);
  const countedBlocks = counting<BlockStore>(blocks);
  const countedPhotos = counting(photos);
  const service = new PhotoService(
    countedPhotos.proxy,
    {} as CommentStore,
    new MemoryBlobStore(),
    {} as ImageProcessor,
    new MemoryFriendStore(users),
    users,
    countedBlocks.proxy,
    {} as ActivityService,
  );
  const viewer = { id: me.id, username: me.username };
  const shown: number[] = [];
  for (const input of [
    { scope: 'all' as const, limit: 50 },
    { scope: 'home' as const, limit: 50 },
    { scope: 'all' as const, topic: 'sea', limit: 50 },
    { scope: 'all' as const, q: 'harbour', limit: 50 },
  ]) {
    shown.push((await service.list(viewer, input)).items.length);
  }
  return {
    blocks: Object.fromEntries(countedBlocks.calls),
    photos: Object.fromEntries(countedPhotos.calls),
    shown,
  };
}

describe('PhotoService.list with blocks', () => {
  it('reads the block list once per feed page, whether it holds 0, 10 or 5,000 people, and makes no other calls for it', async () => {
    const none = await feedCalls(0);
    const few = await feedCalls(10);
    const many = await feedCalls(5000);
    for (const run of [none, few, many]) expect(run.blocks).toEqual({ hiddenFrom: 4 });
    // The photo store is asked the same questions, as often, whatever the block list holds.
    expect(few.photos).toEqual(none.photos);
    expect(many.photos).toEqual(none.photos);
    expect(none.shown).toEqual([50, 50, 50, 50]);
    expect(few.shown).toEqual([40, 40, 40, 40]);
    expect(many.shown).toEqual([0, 0, 0, 0]);
  });
});
