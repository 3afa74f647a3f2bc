import { Conflict, noSuch } from '../domain/errors';
import { newId } from '../lib/ulid';
import {
  avatarKeyOf,
  type AvatarSize,
  type FriendRequest,
  type User,
  type UserId,
  type Viewer,
} from '../domain/types';
import type {
  BlobStore,
  BlockStore,
  FriendStore,
  ImageProcessor,
  PhotoStore,
  StoredBlob,
  UserStore,
} from '../ports';

export const messages = {
  noFile: 'Choose a picture to upload as your avatar.',
  avatarRace: 'Your picture was changed at the same moment from somewhere else. Please try again.',
};

/** How the viewer stands with another person (API.md `relation`). */
export type Relation = 'self' | 'friends' | 'request_sent' | 'request_received' | 'none';

export function relationOf(viewerId: UserId, otherId: UserId, row: FriendRequest | null): Relation {
  if (otherId === viewerId) return 'self';
  if (!row) return 'none';
  if (row.status === 'accepted') return 'friends';
  return row.requesterId === viewerId ? 'request_sent' : 'request_received';
}

export interface Profile {
  user: User;
  photoCount: number;
  friendCount: number;
  relation: Relation;
  /** The friendship row behind `relation`, for the buttons a profile page shows. */
  request: FriendRequest | null;
}

const SIZES: readonly AvatarSize[] = ['large', 'small'];
const keysOf = (userId: UserId, avatarId: string) => SIZES.map((size) => avatarKeyOf(userId, avatarId, size));

/** A person's public face: bio, avatar and the numbers on their profile. */
export class ProfileService {
  constructor(
    private readonly users: UserStore,
    private readonly photos: PhotoStore,
    private readonly friends: FriendStore,
    private readonly blobs: BlobStore,
    private readonly images: ImageProcessor,
    private readonly blocks: BlockStore,
  ) {}

  /**
   * The person, unless they do not exist or either of the two blocks the other: one read
   * (BlockStore.personAndBlock); the viewer's own profile is only looked up.
   */
  private async visible(viewer: Viewer, userId: UserId): Promise<User> {
    const { person, blocked } =
      userId === viewer.id
        ? { person: await this.users.findById(userId), blocked: false }
        : await this.blocks.personAndBlock(viewer.id, userId);
    if (!person || blocked) throw noSuch('user');
    return person;
  }

  async get(viewer: Viewer, userId: UserId): Promise<Profile> {
    const user = await this.visible(viewer, userId);
    const [photoCount, friendIds, request] = await Promise.all([
      this.photos.countByOwner(user.id),
      this.friends.friendIds(user.id),
      user.id === viewer.id ? Promise.resolve(null) : this.friends.findBetween(viewer.id, user.id),
    ]);
    return {
      user,
      photoCount,
      friendCount: friendIds.length,
      relation: relationOf(viewer.id, user.id, request),
      request,
    };
  }

  async setBio(viewer: Viewer, bio: string): Promise<User> {
    const user = await this.users.setBio(viewer.id, bio);
    if (!user) throw noSuch('user');
    return user;
  }

  /**
   * Makes both sizes from the upload (the image pipeline's checks throw first), writes them under
   * a new id, then swaps the user's avatar id from the one read to the new one. The old images
   * are deleted once the swap is made; if another change came first, the new images are deleted
   * and nothing changes (Conflict).
   */
  async setAvatar(viewer: Viewer, bytes: Buffer): Promise<User> {
    const user = await this.users.findById(viewer.id);
    if (!user) throw noSuch('user');
    const { large, small } = await this.images.avatar(bytes);
    const avatarId = newId();
    const [largeKey, smallKey] = keysOf(user.id, avatarId) as [string, string];
    await Promise.all([
      this.blobs.put(largeKey, large.bytes, large.contentType),
      this.blobs.put(smallKey, small.bytes, small.contentType),
    ]);
    let isSwapped = false;
    try {
      isSwapped = await this.users.replaceAvatar(user.id, user.avatarId, avatarId);
    } finally {
      if (!isSwapped) await this.blobs.delete([largeKey, smallKey]);
    }
    if (!isSwapped) throw new Conflict(messages.avatarRace);
    if (user.avatarId) await this.blobs.delete(keysOf(user.id, user.avatarId));
    return { ...user, avatarId };
  }

  /** Removes the avatar and deletes its images; without one, nothing happens. */
  async removeAvatar(viewer: Viewer): Promise<void> {
    const user = await this.users.findById(viewer.id);
    if (!user) throw noSuch('user');
    if (!user.avatarId) return;
    if (!(await this.users.replaceAvatar(user.id, user.avatarId, null)))
      throw new Conflict(messages.avatarRace);
    await this.blobs.delete(keysOf(user.id, user.avatarId));
  }

  /**
   * The avatar image of a person: the bytes, or null when they have none (the caller answers 404
   * or draws the initial). NotFound when there is no such person.
   */
  async openAvatar(
    viewer: Viewer,
    userId: UserId,
    size: AvatarSize,
  ): Promise<{ user: User; blob: StoredBlob | null }> {
    const user = await this.visible(viewer, userId);
    const blob = user.avatarId ? await this.blobs.open(avatarKeyOf(user.id, user.avatarId, size)) : null;
    return { user, blob };
  }
}
