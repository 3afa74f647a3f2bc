import { describe } from 'vitest';
import type { Storage } from '../../src/ports';
import { MemoryBlobStore, MemoryFriendStore, MemoryUserStore } from '../fakes/memory';
import { blobStoreContract } from './blob-store.contract';
import { friendStoreContract } from './friend-store.contract';
import { userStoreContract } from './user-store.contract';

/** The in-memory fakes the unit tests use (test/fakes) are held to the same contracts as both backends. */
const users = new MemoryUserStore();
const fakes = {
  users,
  friends: new MemoryFriendStore(users),
  blobs: new MemoryBlobStore(),
} as unknown as Storage;
const make = () => Promise.resolve(fakes);

describe('memory: MemoryUserStore', () => userStoreContract(make));
describe('memory: MemoryFriendStore', () => friendStoreContract(make));
describe('memory: MemoryBlobStore', () => blobStoreContract(make));
