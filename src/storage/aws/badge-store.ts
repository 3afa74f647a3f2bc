import type { UserId } from '../../domain/types';
import { firstIdAt } from '../../lib/ulid';
import type { BadgeStore, UnreadCounts } from '../../ports';
import { ACTIVITY_TTL_MS } from './activity-items';
import type { DynamoClient, Item, TransactItem } from './dynamo-client';
import { hiddenAmong, NOBODY, type HiddenPeople, type HiddenSet } from './hidden-people';
import {
  activityPartition,
  activityReadKey,
  badgesFilledMarkerKey,
  badgesKey,
  ENTITY,
  INBOX_SORT_PREFIX,
  inboxPartition,
} from './keys';

/**
 * A person's badge counters, one item in lumina_photos (keys.ts badgesKey):
 * - `messages`: the sum of `unread` over the person's inbox entries, exactly. A send adds 1 in the
 *   transaction that adds 1 to the receiver's entry; markRead takes an entry's unread away in a
 *   transaction that zeroes that entry on the condition that it still holds what was read.
 * - `act_mark`: the newest activity event the person has seen (it never moves back).
 * - `act_seq`: how many times the person's events changed: every put and every delete of one
 *   adds 1 in its own write (activity-items.ts).
 * - `act_count`: the last count of unread events, with the `act_seq` and `act_mark` it was made
 *   at, the cap it counted to and the oldest event it counted. While `act_seq` and `act_mark` are
 *   still those and that event is not past its 90 days, the count stands without a Query;
 *   otherwise one Query counts again and writes it down (only if neither moved meanwhile).
 * - `uf`: who the unread messages are from (a number set): every send adds its sender, every
 *   markRead takes its partner out, in the transaction that changes the entry. `uf_ok` says the
 *   set is whole: written with it by a sum over the entries (below); before that, an item made
 *   by sends alone may lack older senders.
 * - `hid`: how many of `messages` are in conversations with people hidden from everyone
 *   (suspended, or being deleted: hidden-people.ts), with the names of the hidden people it
 *   summed (those in `uf`; every hidden person, while `uf` is not known whole). Pages hide
 *   those conversations and those people's events, so the badges leave them out too. The sum
 *   stands while the same people are hidden among those in `uf` (a hidden person can send
 *   nothing, and the person cannot open their conversation), and a markRead drops it; otherwise
 *   one Query of the inbox sums it again. The activity count keeps whose events it counted and
 *   left out (`by`, `lb`), and stands while none of the first and all of the second are hidden.
 * - `v`: set once the item was filled from what was stored before it existed (backfill below);
 *   an item without it (or none) is filled on first read, and by setup:aws for everyone.
 */
export interface BadgesItem extends Item {
  type: typeof ENTITY.badges;
  v?: number;
  messages?: number;
  act_mark?: string;
  act_seq?: number;
  act_count?: ActivityCount;
  /** Moved on by every change of `messages` (see messagesAdded). */
  msg_ver?: number;
  hid?: { v: string; n: number };
  uf?: Set<number>;
  uf_ok?: boolean;
}

interface ActivityCount {
  seq: number;
  /** '' when there was no mark. */
  mark: string;
  n: number;
  cap: number;
  /** The oldest event counted ('' when none was). */
  first: string;
  /** Whose events it counted, and whose it left out, each once (undefined in older counts). */
  by?: number[];
  lb?: number[];
}

const VERSION = 1;

/** Events read per page of a count that leaves hidden people's out (a spammer's may be many). */
const HIDDEN_COUNT_PAGE = 1000;

/** Attempts of a fill that finds the counters changed under it, before it answers without writing. */
const BACKFILL_ATTEMPTS = 8;

const isFilled = (item: Item | null | undefined): item is BadgesItem => item?.v === VERSION;

/**
 * The badge counters (lumina_photos): read alone (unread) or from a page's own BatchGetItem
 * (unreadOf), changed inside the message and activity stores' transactions, filled from older data.
 */
export class DynamoBadgeStore implements BadgeStore {
  constructor(
    private readonly db: DynamoClient,
    private readonly tables: { photos: string; messages: string },
    private readonly hidden: Pick<HiddenPeople, 'current'> = { current: () => NOBODY },
  ) {}

  key(userId: UserId) {
    return badgesKey(userId);
  }

  /**
   * The update, for a transaction, that counts `n` more (negative: fewer) unread messages, and
   * moves `msg_ver` on (a fill racing it tells any change by that, even one that a send and a read
   * cancel out in `messages`). More unread: `partnerId` joins `uf`; fewer (a read of all of theirs):
   * they leave it, and the kept sum of hidden conversations may be less too.
   */
  messagesAdded(userId: UserId, n: number, partnerId: UserId): TransactItem {
    return {
      Update: {
        TableName: this.tables.photos,
        Key: badgesKey(userId),
        UpdateExpression:
          n > 0
            ? 'SET #type = :type ADD messages :n, msg_ver :one, uf :partner'
            : 'SET #type = :type ADD messages :n, msg_ver :one DELETE uf :partner REMOVE hid',
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':type': ENTITY.badges,
          ':n': n,
          ':one': 1,
          ':partner': new Set([partnerId]),
        },
      },
    };
  }

  /** The person's counters, filled (a strongly consistent GetItem). */
  async read(userId: UserId): Promise<BadgesItem> {
    const item = await this.db.get({
      TableName: this.tables.photos,
      Key: badgesKey(userId),
      ConsistentRead: true,
    });
    return isFilled(item) ? item : this.backfill(userId, { item });
  }

  /** One GetItem (ports.ts BadgeStore), and the activity Query only when it may find something. */
  async unread(userId: UserId, activityCap: number): Promise<UnreadCounts> {
    return this.unreadOf(userId, await this.read(userId), activityCap);
  }

  /**
   * Unread messages and activity (at most `cap`) from the counters as read, alone or as one key of
   * a page's BatchGetItem: no further call unless an event came or went, the read mark moved, or
   * someone the unread are from was hidden or shown again, since the last count.
   */
  async unreadOf(userId: UserId, item: Item | null | undefined, cap: number): Promise<UnreadCounts> {
    const counters = isFilled(item) ? item : await this.backfill(userId, { item: item ?? null });
    const hidden = this.hidden.current();
    const [messages, activity] = await Promise.all([
      this.messagesOf(userId, counters, hidden),
      this.unreadActivity(userId, counters, cap, hidden),
    ]);
    return { messages, activity };
  }

  /** Unread messages alone (MessageStore.unreadTotal): the counters' GetItem. */
  async unreadMessages(userId: UserId): Promise<number> {
    return this.messagesOf(userId, await this.read(userId), this.hidden.current());
  }

  private async messagesOf(userId: UserId, counters: BadgesItem, hidden: HiddenSet): Promise<number> {
    const hiddenUnread = await this.hiddenUnread(userId, counters, hidden);
    return Math.max(0, Number(counters.messages ?? 0) - hiddenUnread);
  }

  /**
   * How many of the unread messages are in conversations with hidden people: nothing to read
   * when there are none of either, or when nobody the unread messages are from is hidden; the
   * kept sum when it was made with the same hidden people among them; else summed from the inbox
   * entries and kept with `uf` whole (unless a send or read moved the counters meanwhile).
   */
  private async hiddenUnread(userId: UserId, counters: BadgesItem, hidden: HiddenSet): Promise<number> {
    if (hidden.size === 0 || Number(counters.messages ?? 0) <= 0) return 0;
    // Kept only with `uf` whole (uf_ok): before that, always summed.
    if (counters.uf_ok === true) {
      const concerned = hiddenAmong(counters.uf ?? [], hidden);
      if (concerned === '') return 0;
      if (counters.hid?.v === concerned) return counters.hid.n;
    }
    let n = 0;
    const from = new Set<number>();
    for await (const items of this.inboxPages(userId, 'other_user_id, unread')) {
      for (const entry of items) {
        const other = Number(entry.other_user_id);
        const unread = Number(entry.unread ?? 0);
        if (unread > 0) from.add(other);
        if (hidden.has(other)) n += unread;
      }
    }
    const version = counters.msg_ver;
    await this.db
      .update({
        TableName: this.tables.photos,
        Key: badgesKey(userId),
        UpdateExpression: `SET hid = :hid, uf_ok = :ok${from.size > 0 ? ', uf = :from' : ' REMOVE uf'}`,
        ConditionExpression: version === undefined ? 'attribute_not_exists(msg_ver)' : 'msg_ver = :ver',
        ExpressionAttributeValues: {
          ':hid': { v: hiddenAmong(from, hidden), n },
          ':ok': true,
          ...(from.size > 0 ? { ':from': from } : {}),
          ...(version === undefined ? {} : { ':ver': version }),
        },
      })
      // Only a shortcut for the next read, as the activity count's below.
      .catch(() => undefined);
    return n;
  }

  /**
   * Moves the activity read mark forward to `eventId` (refused, and nothing written, if it is
   * already further). On counters not filled yet, the fill keeps the further of this and the old mark.
   */
  async markActivityRead(userId: UserId, eventId: string): Promise<void> {
    await this.db.update({
      TableName: this.tables.photos,
      Key: badgesKey(userId),
      UpdateExpression: 'SET #type = :type, act_mark = :id',
      ConditionExpression: 'attribute_not_exists(act_mark) OR act_mark < :id',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':type': ENTITY.badges, ':id': eventId },
    });
  }

  /** The account deletion's last step: the counters go (and the read mark of before them). */
  async remove(userId: UserId): Promise<void> {
    await this.db.delete({ TableName: this.tables.photos, Key: badgesKey(userId) });
    await this.db.delete({ TableName: this.tables.photos, Key: activityReadKey(userId) });
  }

  private async unreadActivity(
    userId: UserId,
    counters: BadgesItem,
    cap: number,
    hidden: HiddenSet,
  ): Promise<number> {
    const seq = Number(counters.act_seq ?? 0);
    const mark = counters.act_mark ?? '';
    const oldest = firstIdAt(Date.now() - ACTIVITY_TTL_MS);
    const kept = counters.act_count;
    if (
      kept &&
      kept.seq === seq &&
      kept.mark === mark &&
      // None of those it counted is hidden now and all it left out still are (below the cap it
      // saw every unread event; at it, the cap stands); a count older than `by` and `lb` stands
      // while nobody is hidden.
      (kept.by !== undefined && kept.lb !== undefined
        ? kept.by.every((id) => !hidden.has(id)) && kept.lb.every((id) => hidden.has(id))
        : hidden.size === 0) &&
      (kept.n === 0 || kept.first > oldest)
    ) {
      // Below its cap a count is exact; at it, it says "at least cap".
      if (kept.n < kept.cap) return Math.min(kept.n, cap);
      if (cap <= kept.cap) return cap;
    }
    // The oldest unread events first, page by page until `cap` by people not hidden: one page of
    // `cap` while nobody is hidden, else pages of HIDDEN_COUNT_PAGE (their events may be many).
    const counted: string[] = [];
    const by = new Set<number>();
    const leftOut = new Set<number>();
    for await (const items of this.db.queryPages({
      TableName: this.tables.photos,
      KeyConditionExpression: 'PK = :pk AND SK > :from',
      ExpressionAttributeValues: { ':pk': activityPartition(userId), ':from': mark > oldest ? mark : oldest },
      ProjectionExpression: 'SK, actor_id',
      Limit: hidden.size === 0 ? cap : Math.max(cap, HIDDEN_COUNT_PAGE),
      ConsistentRead: true,
    })) {
      for (const item of items) {
        const actor = Number(item.actor_id);
        if (hidden.has(actor)) {
          leftOut.add(actor);
        } else if (counted.length < cap) {
          counted.push(String(item.SK));
          by.add(actor);
        }
      }
      if (counted.length >= cap) break;
    }
    const n = counted.length;
    const count: ActivityCount = {
      seq,
      mark,
      n,
      cap,
      first: counted[0] ?? '',
      by: [...by],
      lb: [...leftOut],
    };
    // Every change counted in `seq` was committed before the counters were read, so the Query saw
    // it. Written only while no event came or went and the mark did not move since.
    await this.db
      .update({
        TableName: this.tables.photos,
        Key: badgesKey(userId),
        UpdateExpression: 'SET act_count = :count',
        ConditionExpression: `${seq === 0 ? 'attribute_not_exists(act_seq)' : 'act_seq = :seq'} AND ${
          mark === '' ? 'attribute_not_exists(act_mark)' : 'act_mark = :mark'
        }`,
        ExpressionAttributeValues: {
          ':count': count,
          ...(seq === 0 ? {} : { ':seq': seq }),
          ...(mark === '' ? {} : { ':mark': mark }),
        },
      })
      // Only a shortcut for the next read: the answer stands without it (a write racing an act's
      // transaction on the item may be refused).
      .catch(() => undefined);
    return n;
  }

  /**
   * Fills the counters from what was stored before them: `messages` from the inbox entries, the
   * read mark from its old item (no activity count is kept yet: the first count queries). Race-free with
   * sends and reads that run meanwhile: the item is read first, and the fill is written only on
   * the condition that `msg_ver` and the mark are still what was read (every send and markRead
   * moves `msg_ver` in the same transaction as the entry), else it starts again. Idempotent: a filled item
   * is returned as it is.
   */
  async backfill(userId: UserId, read?: { item: Item | null }): Promise<BadgesItem> {
    for (let attempt = 1; ; attempt++) {
      // The first attempt may start from the counters as the caller just read them (strongly consistent).
      const before =
        attempt === 1 && read
          ? read.item
          : await this.db.get({
              TableName: this.tables.photos,
              Key: badgesKey(userId),
              ConsistentRead: true,
            });
      if (isFilled(before)) return before;
      const [messages, oldMark] = await Promise.all([this.inboxUnread(userId), this.oldReadMark(userId)]);
      const hadVersion = before?.msg_ver;
      const hadMark = before?.act_mark;
      const marks = [hadMark, oldMark].filter((m): m is string => typeof m === 'string');
      const mark = marks.sort().at(-1);
      const isWritten = await this.db.update({
        TableName: this.tables.photos,
        Key: badgesKey(userId),
        UpdateExpression: `SET #type = :type, v = :v, messages = :messages${mark ? ', act_mark = :mark' : ''}`,
        ConditionExpression: [
          'attribute_not_exists(v)',
          hadVersion === undefined ? 'attribute_not_exists(msg_ver)' : 'msg_ver = :hadVersion',
          hadMark === undefined ? 'attribute_not_exists(act_mark)' : 'act_mark = :hadMark',
        ].join(' AND '),
        ExpressionAttributeNames: { '#type': 'type' },
        ExpressionAttributeValues: {
          ':type': ENTITY.badges,
          ':v': VERSION,
          ':messages': messages,
          ...(mark ? { ':mark': mark } : {}),
          ...(hadVersion === undefined ? {} : { ':hadVersion': hadVersion }),
          ...(hadMark === undefined ? {} : { ':hadMark': hadMark }),
        },
      });
      const filled: BadgesItem = {
        ...(before ?? {}),
        ...badgesKey(userId),
        type: ENTITY.badges,
        v: VERSION,
        messages,
        ...(mark ? { act_mark: mark } : {}),
      };
      // Still changing after all attempts (someone receiving messages all the time): this answer
      // is as good as a read made a moment earlier; the next read fills again.
      if (isWritten || attempt >= BACKFILL_ATTEMPTS) return filled;
    }
  }

  /** Sum of unread over the person's inbox entries (lumina_messages), every page. */
  private async inboxUnread(userId: UserId): Promise<number> {
    let sum = 0;
    for await (const items of this.inboxPages(userId, 'unread')) {
      for (const item of items) sum += Number(item.unread ?? 0);
    }
    return sum;
  }

  /** The person's inbox entries (`projection` of each), a page at a time, strongly consistent. */
  private inboxPages(userId: UserId, projection: string): AsyncGenerator<Item[]> {
    return this.db.queryPages({
      TableName: this.tables.messages,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
      ExpressionAttributeValues: { ':pk': inboxPartition(userId), ':prefix': INBOX_SORT_PREFIX },
      ProjectionExpression: projection,
      ConsistentRead: true,
    });
  }

  private async oldReadMark(userId: UserId): Promise<string | undefined> {
    const item = await this.db.get({
      TableName: this.tables.photos,
      Key: activityReadKey(userId),
      ConsistentRead: true,
    });
    return typeof item?.last_id === 'string' ? item.last_id : undefined;
  }
}

/** `USER#<id>#ACTREAD` or `INBOX#<id>`: the person an older item belongs to. */
const ownerOf = (pk: unknown): UserId | null => {
  const match = /^(?:USER#(\d+)#ACTREAD|INBOX#(\d+))$/.exec(String(pk));
  const id = Number(match?.[1] ?? match?.[2]);
  return Number.isSafeInteger(id) && id > 0 ? id : null;
};

/**
 * Fills the badge counters of everyone who has inbox entries or an activity read mark from before
 * the counters existed (DynamoBadgeStore.backfill, each race-free and idempotent), then writes the
 * BADGES_FILLED marker; nothing when the marker is there. Run by `npm run setup:aws` (two Scans:
 * maintenance, never a request); until it ran, a person's first read fills their counters.
 * Returns how many people it filled.
 */
export async function fillBadges(
  db: DynamoClient,
  tables: { photos: string; messages: string },
): Promise<number> {
  const marker = badgesFilledMarkerKey();
  if (await db.get({ TableName: tables.photos, Key: marker, ConsistentRead: true })) return 0;
  const store = new DynamoBadgeStore(db, tables);
  const people = new Set<UserId>();
  const sources = [
    { table: tables.messages, type: ENTITY.inbox },
    { table: tables.photos, type: ENTITY.activityRead },
  ];
  for (const { table, type } of sources) {
    for await (const items of db.scanPages({
      TableName: table,
      FilterExpression: '#type = :type',
      ExpressionAttributeNames: { '#type': 'type' },
      ExpressionAttributeValues: { ':type': type },
      ProjectionExpression: 'PK',
      ConsistentRead: true,
    })) {
      for (const item of items) {
        const id = ownerOf(item.PK);
        if (id !== null) people.add(id);
      }
    }
  }
  let filled = 0;
  for (const id of people) {
    const before = await db.get({ TableName: tables.photos, Key: badgesKey(id), ConsistentRead: true });
    if (isFilled(before)) continue;
    await store.backfill(id, { item: before });
    filled++;
  }
  await db.update({
    TableName: tables.photos,
    Key: marker,
    UpdateExpression: 'SET #type = :type, filled_at = :at',
    ExpressionAttributeNames: { '#type': 'type' },
    ExpressionAttributeValues: { ':type': ENTITY.badgesMarker, ':at': new Date().toISOString() },
  });
  return filled;
}
