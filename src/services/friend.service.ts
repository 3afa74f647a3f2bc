import { Conflict, Forbidden, InvalidInput, NotFound, noSuch } from '../domain/errors';
import type { Friend, FriendRequest, UserId, Viewer } from '../domain/types';
import type { BlockStore, FriendStore, UserStore } from '../ports';
import type { ActivityService } from './activity.service';
import { findPerson, type PersonRef } from './user.service';

export const messages = {
  self: 'You cannot send a friend request to yourself.',
  alreadyFriends: 'You are already friends.',
  alreadyPending: 'A friend request between you is already pending.',
  notFriends: 'You are not friends with this user.',
  blocked: 'You cannot send a friend request to this person.',
};

/**
 * The friendship life cycle: none → pending (A asks) → accepted (B accepts) or gone (B declines,
 * A cancels); accepted → gone (either unfriends). If B had already asked A, A's request accepts it.
 */
export class FriendService {
  constructor(
    private readonly friends: FriendStore,
    private readonly users: UserStore,
    private readonly blocks: BlockStore,
    private readonly activity: ActivityService,
  ) {}

  async request(viewer: Viewer, target: PersonRef): Promise<FriendRequest> {
    const other = await findPerson(this.users, target);
    if (other.id === viewer.id) throw new InvalidInput(messages.self, 'self_request');
    if (await this.blocks.between(viewer.id, other.id)) throw new Forbidden(messages.blocked, 'blocked');
    const existing = await this.friends.findBetween(viewer.id, other.id);
    if (existing) return this.answerExisting(viewer, existing);
    try {
      return await this.friends.create(viewer.id, other.id, this.activity.requestEvent);
    } catch (err) {
      // Lost a race with the other person's request: the pair key let only one row in.
      if (!(err instanceof Conflict)) throw err;
      const winner = await this.friends.findBetween(viewer.id, other.id);
      if (!winner) throw err;
      return this.answerExisting(viewer, winner);
    }
  }

  listRequests(viewer: Viewer, direction: 'incoming' | 'outgoing'): Promise<FriendRequest[]> {
    return this.friends.listPending(viewer.id, direction);
  }

  countIncoming(viewer: Viewer): Promise<number> {
    return this.friends.countIncoming(viewer.id);
  }

  /** Only the receiver answers; a request addressed to someone else is reported as missing. */
  async respond(viewer: Viewer, requestId: number, action: 'accept' | 'decline'): Promise<FriendRequest> {
    const request = await this.friends.findById(requestId);
    if (!request || request.receiverId !== viewer.id || request.status !== 'pending') {
      throw noSuch('friendRequest');
    }
    if (action === 'accept') {
      const accepted = await this.friends.accept(requestId, this.activity.acceptEvent);
      if (!accepted) throw noSuch('friendRequest');
      return accepted;
    }
    // Its event goes with the row, in the same write.
    if (!(await this.friends.remove(requestId, 'pending'))) {
      throw noSuch('friendRequest');
    }
    return request;
  }

  /** The sender withdraws a pending request. */
  async cancel(viewer: Viewer, requestId: number): Promise<void> {
    const request = await this.friends.findById(requestId);
    if (!request || request.requesterId !== viewer.id || request.status !== 'pending') {
      throw noSuch('friendRequest');
    }
    if (!(await this.friends.remove(requestId, 'pending'))) {
      throw noSuch('friendRequest');
    }
  }

  list(viewer: Viewer): Promise<Friend[]> {
    return this.friends.listFriends(viewer.id);
  }

  async unfriend(viewer: Viewer, otherId: UserId): Promise<void> {
    const row = await this.friends.findBetween(viewer.id, otherId);
    if (!row || row.status !== 'accepted' || !(await this.friends.remove(row.id, 'accepted'))) {
      throw new NotFound(messages.notFriends, 'not_friends');
    }
  }

  async areFriends(a: UserId, b: UserId): Promise<boolean> {
    const row = await this.friends.findBetween(a, b);
    return row?.status === 'accepted';
  }

  /** The relationship between the viewer and another user, for profile pages. */
  async relationship(viewer: Viewer, otherId: UserId): Promise<FriendRequest | null> {
    return this.friends.findBetween(viewer.id, otherId);
  }

  private async answerExisting(viewer: Viewer, existing: FriendRequest): Promise<FriendRequest> {
    if (existing.status === 'accepted') throw new Conflict(messages.alreadyFriends, 'already_friends');
    if (existing.requesterId === viewer.id) throw new Conflict(messages.alreadyPending, 'request_pending');
    const accepted = await this.friends.accept(existing.id, this.activity.acceptEvent);
    if (!accepted) throw new Conflict(messages.alreadyPending, 'request_pending');
    return accepted;
  }
}
