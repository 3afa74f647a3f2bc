import { Conflict, InvalidInput, NotFound } from '../domain/errors';
import type { Block, UserId, Viewer } from '../domain/types';
import { eachItem } from '../lib/pages';
import type { ActivityStore, BlockStore, FriendStore, MessageStore, UserStore } from '../ports';
import { findPerson, type PersonRef } from './user.service';

/** Events read per page while looking for those one person caused another, and looked at, at most. */
const EVENT_PAGE = 100;
const EVENTS_LOOKED_AT_MAX = 5_000;

export const messages = {
  self: 'You cannot block yourself.',
  alreadyBlocked: 'You already block this person.',
  notBlocked: 'You do not block this person.',
};

/**
 * Blocking: while either of two people blocks the other, each is invisible to the other on every
 * path and every write between them is refused (the other services ask BlockStore.between or
 * hiddenFrom). Blocking also ends their friendship and any pending request, both ways, and takes
 * what each was told of the other off their badges (forgetBetween); unblocking brings visibility
 * back, not the friendship and not those notices.
 */
export class BlockService {
  constructor(
    private readonly blocks: BlockStore,
    private readonly friends: FriendStore,
    private readonly users: UserStore,
    private readonly messages: Pick<MessageStore, 'markRead'>,
    private readonly activity: Pick<ActivityStore, 'list' | 'removeEvents'>,
  ) {}

  async block(viewer: Viewer, target: PersonRef): Promise<Block> {
    const other = await findPerson(this.users, target);
    if (other.id === viewer.id) throw new InvalidInput(messages.self, 'self_block');
    let block: Block;
    try {
      block = await this.blocks.add(viewer.id, other.id);
    } catch (err) {
      if (!(err instanceof Conflict)) throw err;
      // Perhaps the retry of a block whose answer was lost half-way: finish what it left.
      await this.forgetBetween(viewer.id, other.id);
      throw new Conflict(messages.alreadyBlocked, 'already_blocked');
    }
    // After the block is recorded, so a request racing in is refused or removed here.
    const row = await this.friends.findBetween(viewer.id, other.id);
    if (row) await this.friends.remove(row.id, row.status);
    await this.forgetBetween(viewer.id, other.id);
    return block;
  }

  /**
   * What each of two people was told of the other stops counting on their badges: their
   * conversation is marked read on both sides, and the activity events either caused the other
   * are deleted. Every read path hides both while the block stands; without this the badges
   * would count what no page can show. Idempotent.
   */
  private async forgetBetween(a: UserId, b: UserId): Promise<void> {
    await Promise.all([
      this.messages.markRead(a, b),
      this.messages.markRead(b, a),
      this.removeEventsBy(b, a),
      this.removeEventsBy(a, b),
    ]);
  }

  /** Deletes the recipient's events that `actorId` caused (among their newest EVENTS_LOOKED_AT_MAX). */
  private async removeEventsBy(actorId: UserId, recipientId: UserId): Promise<void> {
    const refs: { recipientId: UserId; eventId: string }[] = [];
    let seen = 0;
    const events = eachItem((before) =>
      this.activity.list(recipientId, { limit: EVENT_PAGE, ...(before ? { before } : {}) }),
    );
    for await (const e of events) {
      if (e.actorId === actorId) refs.push({ recipientId, eventId: e.id });
      if (++seen >= EVENTS_LOOKED_AT_MAX) break;
    }
    if (refs.length > 0) await this.activity.removeEvents(refs);
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
