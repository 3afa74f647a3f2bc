import { decodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import { Forbidden, InvalidInput, Unavailable } from '../../src/domain/errors';
import type { NewPhoto, Photo } from '../../src/domain/types';
import type { CommentStore, ImageProcessor, PhotoStore } from '../../src/ports';
import { PhotoService } from '../../src/services/photo.service';
import { ActivityService } from '../../src/services/activity.service';
import {
  MemoryActivityStore,
  MemoryBlobStore,
  MemoryBlockStore,
  MemoryFriendStore,
  MemoryUserStore,
} from '../fakes/memory';

const image = (w: number, h: number) => ({
  bytes: Buffer.from(`img${w}`),
  width: w,
  height: h,
  contentType: 'image/jpeg',
});
const images: ImageProcessor = {
  process: () => Promise.resolve({ full: image(800, 600), medium: image(800, 600), thumb: image(400, 400) }),
  avatar: () => Promise.resolve({ large: image(320, 320), small: image(64, 64) }),
};

/** A photo store holding one map; `failCreate` makes the metadata write fail like a store outage. */
function photoStore(options: { failCreate?: boolean } = {}) {
  const photos = new Map<string, Photo>();
  const store = {
    create: (p: NewPhoto) => {
      if (options.failCreate) return Promise.reject(new Unavailable('dynamodb'));
      const photo = { ...p, editedAt: null, likes: 0, commentCount: 0 };
      photos.set(p.id, photo);
      return Promise.resolve(photo);
    },
    get: (id: string) => Promise.resolve(photos.get(id) ?? null),
    getWithLike: (id: string) => {
      const photo = photos.get(id);
      return Promise.resolve(photo ? { photo, liked: false } : null);
    },
    delete: (id: string) => {
      const p = photos.get(id) ?? null;
      photos.delete(id);
      return Promise.resolve(p);
    },
    finishDelete: () => Promise.resolve(),
    likedBy: () => Promise.resolve(new Set<string>()),
  };
  return { photos, store: store as unknown as PhotoStore };
}

const comments = { deleteAllForPhoto: () => Promise.resolve(0) } as unknown as CommentStore;

function setup(options: { failCreate?: boolean } = {}) {
  const users = new MemoryUserStore();
  const blobs = new MemoryBlobStore();
  const { photos, store } = photoStore(options);
  const activity = new ActivityService(new MemoryActivityStore(), users, new MemoryBlockStore(users));
  const service = new PhotoService(
    store,
    comments,
    blobs,
    images,
    new MemoryFriendStore(users),
    users,
    new MemoryBlockStore(users),
    activity,
  );
  return { service, blobs, photos };
}

const ana = { id: 1, username: 'ana' };
const bob = { id: 2, username: 'bob' };

describe('PhotoService', () => {
  it('upload stores the three images under server-made keys, then the metadata', async () => {
    const { service, blobs } = setup();
    const photo = await service.upload(ana, {
      bytes: Buffer.from('x'),
      caption: 'hi',
      topic: null,
      format: 'jpeg',
    });
    expect([...blobs.objects.keys()].sort()).toEqual([
      `photos/${photo.id}/full.jpg`,
      `photos/${photo.id}/medium.jpg`,
      `photos/${photo.id}/thumb.jpg`,
    ]);
    expect(photo).toMatchObject({
      userId: 1,
      username: 'ana',
      width: 800,
      height: 600,
      likes: 0,
      likedByMe: false,
    });
  });

  it('upload whose metadata write fails (perhaps after landing: a timeout) keeps every image and rethrows', async () => {
    const { service, blobs } = setup({ failCreate: true });
    await expect(
      service.upload(ana, { bytes: Buffer.from('x'), caption: '', topic: null, format: 'jpeg' }),
    ).rejects.toBeInstanceOf(Unavailable);
    expect(blobs.objects.size).toBe(3);
  });

  it("upload: a photo whose images took longer is not listed out of time order (its time is its id's)", async () => {
    const { service, blobs, photos } = setup();
    const put = blobs.put.bind(blobs);
    let slow = true;
    blobs.put = async (key, bytes, type) => {
      if (slow) await new Promise((resolve) => setTimeout(resolve, 60));
      return put(key, bytes, type);
    };
    const input = { bytes: Buffer.from('x'), caption: '', topic: null, format: 'jpeg' as const };
    const first = service.upload(ana, input);
    await new Promise((resolve) => setTimeout(resolve, 5));
    slow = false;
    await service.upload(bob, input);
    await first;
    const byId = [...photos.values()].sort((a, b) => (a.id < b.id ? 1 : -1));
    const times = byId.map((p) => p.createdAt.getTime());
    expect(times).toEqual([...times].sort((a, b) => b - a));
    for (const p of byId) expect(p.createdAt.getTime()).toBe(decodeTime(p.id));
  });

  it('upload of an empty file throws InvalidInput before any work', async () => {
    const { service, blobs } = setup();
    await expect(
      service.upload(ana, { bytes: Buffer.alloc(0), caption: '', topic: null, format: 'jpeg' }),
    ).rejects.toBeInstanceOf(InvalidInput);
    expect(blobs.objects.size).toBe(0);
  });

  it('delete by someone else is Forbidden and keeps everything; by the owner removes metadata and images', async () => {
    const { service, blobs, photos } = setup();
    const photo = await service.upload(ana, {
      bytes: Buffer.from('x'),
      caption: '',
      topic: null,
      format: 'jpeg',
    });
    await expect(service.delete(bob, photo.id)).rejects.toBeInstanceOf(Forbidden);
    expect(photos.has(photo.id)).toBe(true);
    await service.delete(ana, photo.id);
    expect(photos.has(photo.id)).toBe(false);
    expect(blobs.objects.size).toBe(0);
  });

  it('a search with nothing searchable in q is refused', async () => {
    const { service } = setup();
    await expect(service.list(ana, { scope: 'all', q: '!!', limit: 10 })).rejects.toBeInstanceOf(
      InvalidInput,
    );
  });
});
