import { ACTIVITY_BADGE_CAP } from '../domain/limits';
import type { Viewer } from '../domain/types';
import type { BadgeStore, FriendStore, UnreadCounts } from '../ports';

/** What the navigation shows a signed-in person (and GET /api/badges answers). */
export interface Badges {
  /** Pending friend requests to the person. */
  requests: number;
  /** Unread messages, summed over their conversations. */
  messages: number;
  /** Unread activity events, at most ACTIVITY_BADGE_CAP (shown as 99+). */
  activity: number;
}

/** The navigation badges of every signed-in page, and of the long-open pages' count request. */
export class BadgeService {
  constructor(
    private readonly badges: BadgeStore,
    private readonly friends: Pick<FriendStore, 'countIncoming'>,
  ) {}

  /**
   * The viewer's badges: the friend requests from the friend store, beside the unread counts in
   * one read of the badge store; or, given `unread`, the counts a page read with its own data
   * (PhotoService.getWithUnread: one store call for the photo and the counts).
   */
  async of(viewer: Viewer, unread?: Promise<UnreadCounts>): Promise<Badges> {
    const [requests, counts] = await Promise.all([
      this.friends.countIncoming(viewer.id),
      unread ?? this.badges.unread(viewer.id, ACTIVITY_BADGE_CAP),
    ]);
    return { requests, messages: counts.messages, activity: counts.activity };
  }
}
