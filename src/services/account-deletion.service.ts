import { setTimeout as sleep } from 'node:timers/promises';
import { requestEventId } from '../domain/activity';
import { noSuch } from '../domain/errors';
import { avatarFolderOf, type FriendRequest, type User, type UserId } from '../domain/types';
import { withoutDeadline } from '../lib/deadline';
import type { Storage } from '../ports';
import { removePhoto } from './photo-removal';

/** The stores an account deletion reaches: every one that keeps something of a person. */
export type DeletionStores = Pick<
  Storage,
  | 'users'
  | 'sessions'
  | 'blocks'
  | 'reports'
  | 'rateLimits'
  | 'friends'
  | 'photos'
  | 'comments'
  | 'messages'
  | 'activity'
  | 'blobs'
>;

/** The rate-limit counters that name a person (http/middleware/rate-limit.ts counterKeysOf). */
export type CounterKeysOf = (user: Pick<User, 'id' | 'username'>) => { keys: string[]; endingWith: string };

/** Items one step reads and deletes per round. */
const BATCH = 25;
/** Items of one batch worked on at once. */
const PARALLEL = 10;
/** Rounds of every step before giving up; a round finds only what arrived during the previous one. */
const MAX_ROUNDS = 3;
/** How often, and how long apart, a step reads again while its index still lists deleted items. */
const STALE_WAITS = 20;
const STALE_WAIT_MS = 500;
/** Accounts one resumeAll() call picks up. */
const RESUME_LIMIT = 100;

/**
 * Deletes an account for good, as a job that survives a crash.
 *
 * start() marks the account `deleting` (log-in refused, everything of theirs hidden from everyone:
 * BlockStore.hiddenFrom) and ends every session; that is the only step the person waits for.
 * finish() then removes the rest by steps that are each idempotent and resumable: each reads a
 * batch of what is left and deletes it. What only the item leads to (a photo's image objects and
 * comments, the reports on it, a friendship's events) goes before the item itself, so a rerun
 * after a crash still finds it; the activity events of likes, comments and photos go in the same
 * write as their act's undo (ports.ts ActivityStore). The user's row goes last, which frees the
 * username. Accounts left `deleting` by a process that died are
 * finished by resumeAll(), run at every start and by the sweep.
 *
 * What is kept, on purpose: messages the person exchanged stay in the other person's
 * conversation without the person's name (shown as from a deleted account); reports others
 * made about the person or their items are closed, not deleted (they are the reporters'); the
 * moderation log keeps every action as it was (who did what to which id, and when), since it
 * is the record of the moderators' own work.
 */
export class AccountDeletionService {
  /** Jobs this process is running, so a second request for the same account joins the first. */
  private readonly running = new Map<UserId, Promise<void>>();

  constructor(
    private readonly stores: DeletionStores,
    private readonly counterKeysOf: CounterKeysOf,
  ) {}

  /** Marks the account as being deleted and ends every session of it at once. NotFound without it. */
  async start(userId: UserId): Promise<void> {
    if (!(await this.stores.users.setState(userId, 'deleting'))) throw noSuch('user');
    await this.stores.sessions.destroyByUser(userId);
  }

  /**
   * Runs the deletion of an account marked `deleting` to its end; joins the run in progress in
   * this process if there is one. Does nothing for an account that is gone or not marked.
   */
  finish(userId: UserId): Promise<void> {
    const running = this.running.get(userId);
    if (running) return running;
    // Its own work, not the request's: it goes on after the answer, past the request's deadline.
    const job = withoutDeadline(() => this.run(userId)).finally(() => this.running.delete(userId));
    this.running.set(userId, job);
    return job;
  }

  /** Finishes every deletion a process left half-way; returns how many accounts it finished. */
  async resumeAll(): Promise<number> {
    const ids = await this.stores.users.listDeleting(RESUME_LIMIT);
    for (const id of ids) await this.finish(id);
    return ids.length;
  }

  private async run(userId: UserId): Promise<void> {
    const user = await this.stores.users.findById(userId);
    if (user?.state !== 'deleting') return;
    const { sessions, blocks, reports, rateLimits, activity, users } = this.stores;
    await sessions.destroyByUser(userId);
    // A request that was already under way when the sessions ended may still add something:
    // each round finds what the one before missed.
    for (let round = 1; ; round++) {
      await this.friendships(userId);
      await blocks.removeAllOf(userId);
      await this.likes(userId);
      await this.comments(userId);
      await this.photos(userId);
      if (!(await this.hasContentLeft(userId))) break;
      if (round >= MAX_ROUNDS)
        throw new Error(`account ${userId}: content keeps arriving during its deletion`);
    }
    await reports.removeByReporter(userId);
    await reports.close({ type: 'user', id: String(userId), parentId: null });
    await this.avatar(userId);
    while ((await this.stores.messages.forgetUser(userId, BATCH)) > 0);
    await activity.removeAllFor(userId);
    await this.requestKeys(userId);
    const counters = this.counterKeysOf(user);
    await rateLimits.removeKeys(counters.keys, counters.endingWith);
    await sessions.destroyByUser(userId);
    await users.remove(userId);
  }

  /** Every friendship and request either way, each with the activity events it caused. */
  private async friendships(userId: UserId): Promise<void> {
    const { friends, activity } = this.stores;
    // listFriends, not friendIds: the latter may be a worker's cached copy (ports.ts FriendStore).
    const [incoming, outgoing, friendList] = await Promise.all([
      friends.listPending(userId, 'incoming'),
      friends.listPending(userId, 'outgoing'),
      friends.listFriends(userId),
    ]);
    const accepted = await Promise.all(friendList.map((f) => friends.findBetween(userId, f.id)));
    const rows = [...incoming, ...outgoing, ...accepted].filter((r): r is FriendRequest => r !== null);
    await inBatches(rows, async (row) => {
      // An unfriend keeps the friendship's events; a deleted account's go, before the row (a
      // rerun still finds them by the row's keys).
      await activity.removeEvents([
        { recipientId: row.receiverId, eventId: requestEventId(row.id, row.createdAt) },
        ...(row.respondedAt
          ? [{ recipientId: row.requesterId, eventId: requestEventId(row.id, row.respondedAt) }]
          : []),
      ]);
      await friends.remove(row.id, row.status);
    });
  }

  /** The person's likes of any photo, each with its event (the photo's count follows). */
  private async likes(userId: UserId): Promise<void> {
    const { photos } = this.stores;
    await drain(
      async () => (await photos.likedPhotos(userId, { limit: BATCH })).items.map((like) => like.photoId),
      (photoId) => photoId,
      async (photoId) => {
        await photos.unlike(photoId, userId);
      },
    );
  }

  /** The person's comments on any photo: reports first, then the comment with its events (and the count). */
  private async comments(userId: UserId): Promise<void> {
    const { comments, reports } = this.stores;
    await drain(
      async () => (await comments.listByAuthor(userId, { limit: BATCH })).items,
      (comment) => comment.id,
      async (comment) => {
        await reports.close({ type: 'comment', id: comment.id, parentId: comment.photoId });
        await comments.delete(comment.photoId, comment.id);
      },
    );
  }

  /**
   * The person's photos, each closing the reports on it and then removed with everything it owns
   * (removePhoto). A removal a crash cut short has left the owner's listing but kept its delete
   * record, so those are finished first.
   */
  private async photos(userId: UserId): Promise<void> {
    const { photos, reports } = this.stores;
    const cutShort = (await photos.unfinishedDeletes(new Date())).filter((p) => p.userId === userId);
    await inBatches(cutShort, async (photo) => {
      await removePhoto(this.stores, photo.id);
    });
    await drain(
      async () => (await photos.listByOwners([userId], { limit: BATCH })).items,
      (photo) => photo.id,
      async (photo) => {
        await reports.close({ type: 'photo', id: photo.id, parentId: null });
        await removePhoto(this.stores, photo.id);
      },
    );
  }

  /** The idempotency keys of the person's requests, from each store that keeps them. */
  private async requestKeys(userId: UserId): Promise<void> {
    const { photos, comments, messages } = this.stores;
    await Promise.all([photos, comments, messages].map((store) => store.removeRequestKeysOf(userId)));
  }

  /** Every object under the person's avatar folder (the current one and any a crash left). */
  private async avatar(userId: UserId): Promise<void> {
    const keys: string[] = [];
    for await (const blob of this.stores.blobs.list(avatarFolderOf(userId))) keys.push(blob.key);
    await this.stores.blobs.delete(keys);
  }

  private async hasContentLeft(userId: UserId): Promise<boolean> {
    const { photos, comments } = this.stores;
    const [liked, authored, owned] = await Promise.all([
      photos.likedPhotos(userId, { limit: 1 }),
      comments.listByAuthor(userId, { limit: 1 }),
      photos.countByOwner(userId),
    ]);
    return liked.items.length > 0 || authored.items.length > 0 || owned > 0;
  }
}

/** Runs `work` on the items, PARALLEL at a time. */
async function inBatches<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += PARALLEL) {
    await Promise.all(items.slice(i, i + PARALLEL).map(work));
  }
}

/**
 * Reads a batch, works through it, and reads again until a read comes back empty. A read may list
 * items already worked on for a while (DynamoDB's author index is eventually consistent: about a
 * second); one that still holds nothing else after STALE_WAITS reads means the deletes do not
 * take: an error, not a spin.
 */
async function drain<T>(
  read: () => Promise<T[]>,
  idOf: (item: T) => string,
  work: (item: T) => Promise<void>,
): Promise<void> {
  const done = new Set<string>();
  for (let stale = 0; ;) {
    const batch = await read();
    if (batch.length === 0) return;
    const fresh = batch.filter((item) => !done.has(idOf(item)));
    if (fresh.length === 0) {
      if (++stale > STALE_WAITS) throw new Error('account deletion: deleted items are still listed');
      await sleep(STALE_WAIT_MS);
      continue;
    }
    stale = 0;
    await inBatches(fresh, work);
    for (const item of fresh) done.add(idOf(item));
  }
}
