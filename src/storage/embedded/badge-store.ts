import type { UserId } from '../../domain/types';
import type { ActivityStore, BadgeStore, MessageStore, UnreadCounts } from '../../ports';

/**
 * The badges' counts on SQLite: the message and activity stores' own indexed sums, asked together
 * (two statements on the same file; there is no round trip to save).
 */
export class SqliteBadgeStore implements BadgeStore {
  constructor(
    private readonly messages: Pick<MessageStore, 'unreadTotal'>,
    private readonly activity: Pick<ActivityStore, 'countUnread'>,
  ) {}

  async unread(userId: UserId, activityCap: number): Promise<UnreadCounts> {
    const [messages, activity] = await Promise.all([
      this.messages.unreadTotal(userId),
      this.activity.countUnread(userId, activityCap),
    ]);
    return { messages, activity };
  }
}
