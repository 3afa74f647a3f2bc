import { Conflict, InvalidInput, NotFound } from '../domain/errors';
import type { Block, UserId, Viewer } from '../domain/types';
import type { BlockStore, FriendStore, UserStore } from '../ports';
import { findPerson, type PersonRef } from './user.service';

export const messages = {
  self: 'You cannot block yourself.',
  alreadyBlocked: 'You already block this person.',
  notBlocked: 'You do not block this person.',
};

/**
 * Blocking: while either of two people blocks the other, each is invisible to the other on every
 * path and every write between them is refused (the other services ask BlockStore.between or
 * hiddenFrom). Blocking also ends their friendship and any pending request, both ways; unblocking
 * brings visibility back, not the friendship.
 */
export class BlockService {
  constructor(
    private readonly blocks: BlockStore,
    private readonly friends: FriendStore,
    private readonly users: UserStore,
  ) {}

  async block(viewer: Viewer, target: PersonRef): Promise<Block> {
    const other = await findPerson(this.users, target);
    if (other.id === viewer.id) throw new InvalidInput(messages.self, 'self_block');
    let block: Block;
    try {
      block = await this.blocks.add(viewer.id, other.id);
    } catch (err) {
      if (err instanceof Conflict) throw new Conflict(messages.alreadyBlocked, 'already_blocked');
      throw err;
    }
    // After the block is recorded, so a request racing in is refused or removed here.
    const row = await this.friends.findBetween(viewer.id, other.id);
    if (row) await this.friends.remove(row.id, row.status);
    return block;
  }

  async unblock(viewer: Viewer, userId: UserId): Promise<void> {
    if (!(await this.blocks.remove(viewer.id, userId))) {
      throw new NotFound(messages.notBlocked, 'block_not_found');
    }
  }

  list(viewer: Viewer): Promise<Block[]> {
    return this.blocks.list(viewer.id);
  }

  /**
   * Everyone hidden from the viewer (BlockStore.hiddenFrom), for a page that asks several
   * services in one request (the photo page): read once, fresh, and never kept past the request.
   */
  hiddenFrom(viewer: Viewer): Promise<Set<UserId>> {
    return this.blocks.hiddenFrom(viewer.id);
  }
}
