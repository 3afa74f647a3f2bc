import { requestEventId } from '../domain/activity';
import { InvalidInput } from '../domain/errors';
import { MAX_MENTIONS, mentionsOf } from '../domain/text';
import type {
  ActivityEvent,
  ActivityKind,
  Comment,
  FriendRequest,
  MentionChange,
  Photo,
  User,
  UserId,
  Viewer,
} from '../domain/types';
import { firstIdAt, newId, timeOfId } from '../lib/ulid';
import type { ActivityStore, BlockStore, UserStore } from '../ports';

export const messages = {
  badCursor: 'before is not a place in the activity list; use the link of the previous page.',
};

/** The kinds a reader filters by (a reply is a comment to them). */
export type ActivityFilter = 'like' | 'comment' | 'mention' | 'friend_request' | 'friend_accept';
export const ACTIVITY_FILTERS: readonly ActivityFilter[] = [
  'like',
  'comment',
  'mention',
  'friend_request',
  'friend_accept',
];

export const filterOf = (kind: ActivityKind): ActivityFilter => (kind === 'reply' ? 'comment' : kind);

/** One line of the activity list: the events of one photo (or none), kind and UTC day. */
export interface ActivityGroup {
  /** The newest event's id. */
  id: string;
  kind: ActivityKind;
  /** Newest first, at most three, each counted once. */
  actors: User[];
  actorCount: number;
  photoId: string | null;
  /** The sentence people read: "ada, ben and 3 others liked your photo." */
  text: string;
  /** Excerpt of the newest comment or caption, when there is one. */
  excerpt: string | null;
  createdAt: Date;
  isRead: boolean;
}

export interface ActivityPage {
  items: ActivityGroup[];
  /** Cursor of the next page (`<yyyy-mm-dd>.<groups of that day already shown>`), or null. */
  next: string | null;
}

export interface ActivityListInput {
  kinds?: ActivityFilter[];
  limit: number;
  before?: string;
}

/** At most this many earlier commenters hear about a new comment. */
const MAX_REPLY_RECIPIENTS = 20;
/** Events one page request reads at most; past it the page ends early (and says where to go on). */
const MAX_EVENTS_PER_PAGE = 2000;
const READ_CHUNK = 200;
const EXCERPT_LENGTH = 100;
const SHOWN_ACTORS = 3;
const CURSOR = /^(\d{4}-\d{2}-\d{2})\.(\d{1,5})$/;

const dayOf = (date: Date): string => date.toISOString().slice(0, 10);
const excerptOf = (text: string): string =>
  text.length > EXCERPT_LENGTH ? `${text.slice(0, EXCERPT_LENGTH - 1).trimEnd()}…` : text;

/** "ada", "ada and ben", "ada, ben and carl", "ada, ben and 3 others". */
export function namesOf(names: string[], total: number): string {
  const [a, b, c] = names;
  if (total <= 1 || b === undefined) return a ?? 'Someone';
  if (total === 2) return `${a} and ${b}`;
  if (total === 3 && c !== undefined) return `${a}, ${b} and ${c}`;
  const others = total - 2;
  return `${a}, ${b} and ${others} ${others === 1 ? 'other' : 'others'}`;
}

const VERBS: Record<ActivityKind, (plural: boolean) => string> = {
  like: () => 'liked your photo',
  comment: () => 'commented on your photo',
  reply: () => 'also commented on a photo you commented on',
  mention: () => 'mentioned you',
  friend_request: (plural) => (plural ? 'sent you friend requests' : 'sent you a friend request'),
  friend_accept: () => 'accepted your friend request',
};

/**
 * Who is told what. The acts' services ask it for the events an act causes and hand them to the
 * store that writes the act, which writes them in the act's own write (ports.ts ActivityStore);
 * each act adds at most one event per recipient, and nobody is told about their own act.
 * Readers group a person's events into one line per photo, kind and day.
 */
export class ActivityService {
  constructor(
    private readonly activity: ActivityStore,
    private readonly users: UserStore,
    private readonly blocks: BlockStore,
  ) {}

  // --- what an act tells -------------------------------------------------------------------

  /**
   * The owner's event about a like, or null for one's own photo. (The like's visibility check
   * already refused a photo across a block.)
   */
  likeEvent(actor: Viewer, photo: Photo): ActivityEvent | null {
    if (photo.userId === actor.id) return null;
    return this.event(actor, photo.userId, 'like', photo.id, null, null, newId());
  }

  /** Events of the mentions in a new photo's caption; each has the photo's id as its id. */
  async postEvents(actor: Viewer, photo: Pick<Photo, 'id' | 'caption'>): Promise<ActivityEvent[]> {
    const mentioned = await this.reachable(actor, await this.mentioned(actor, photo.caption));
    return mentioned.map((id) =>
      this.event(actor, id, 'mention', photo.id, null, excerptOf(photo.caption), photo.id),
    );
  }

  /**
   * A caption edit: the people the new caption mentions and the old one did not hear of it (not
   * the author, nobody across a block, no name that is nobody's); those the new one no longer
   * mentions lose their mention event.
   */
  async editMentions(actor: Viewer, photo: Photo, caption: string): Promise<MentionChange> {
    const [before, after] = await Promise.all([
      this.mentioned(actor, photo.caption),
      this.mentioned(actor, caption),
    ]);
    const added = await this.reachable(
      actor,
      after.filter((id) => !before.includes(id)),
    );
    return {
      add: added.map((id) => this.event(actor, id, 'mention', photo.id, null, excerptOf(caption), newId())),
      remove: before.filter((id) => !after.includes(id)),
    };
  }

  /**
   * A new comment's events, each with the comment's id as its id: the photo's owner, the people
   * it mentions, and those who commented before (`earlier`, oldest first) each hear once, in
   * that order of precedence.
   */
  async commentEvents(
    actor: Viewer,
    photo: Photo,
    comment: Comment,
    earlier: Comment[],
  ): Promise<ActivityEvent[]> {
    const kinds = new Map<UserId, ActivityKind>();
    if (photo.userId !== actor.id) kinds.set(photo.userId, 'comment');
    for (const id of await this.mentioned(actor, comment.text)) if (!kinds.has(id)) kinds.set(id, 'mention');
    const repliers = [...new Set(earlier.map((c) => c.userId))].filter(
      (id) => id !== actor.id && !kinds.has(id),
    );
    for (const id of repliers.slice(-MAX_REPLY_RECIPIENTS)) kinds.set(id, 'reply');
    const text = excerptOf(comment.text);
    const told = await this.reachable(actor, [...kinds.keys()]);
    return told.map((recipient) =>
      this.event(actor, recipient, kinds.get(recipient)!, photo.id, comment.id, text, comment.id),
    );
  }

  /** The receiver's event about a new request (its id made from the request, requestEventId). */
  readonly requestEvent = (request: FriendRequest): ActivityEvent =>
    this.event(
      { id: request.requesterId, username: request.requesterUsername },
      request.receiverId,
      'friend_request',
      null,
      String(request.id),
      null,
      requestEventId(request.id, request.createdAt),
      request.createdAt,
    );

  /** The requester's event when the receiver accepts. */
  readonly acceptEvent = (request: FriendRequest): ActivityEvent => {
    const at = request.respondedAt ?? new Date();
    return this.event(
      { id: request.receiverId, username: request.receiverUsername },
      request.requesterId,
      'friend_accept',
      null,
      String(request.id),
      null,
      requestEventId(request.id, at),
      at,
    );
  };

  /** The recipients who neither block the actor nor are blocked by them (one read). */
  private async reachable(actor: Pick<Viewer, 'id'>, recipients: UserId[]): Promise<UserId[]> {
    if (recipients.length === 0) return [];
    const hidden = await this.blocks.hiddenFrom(actor.id);
    return recipients.filter((id) => !hidden.has(id));
  }

  // --- readers -----------------------------------------------------------------------------

  /**
   * One page of grouped lines, newest first. Events are read newest first until every group
   * of the page is complete (an older day has begun, or nothing is left); the cursor names the
   * day where the page ended and how many of that day's groups were shown.
   */
  async list(viewer: Viewer, input: ActivityListInput): Promise<ActivityPage> {
    const cursor = parseCursor(input.before);
    const wanted = input.kinds && input.kinds.length > 0 ? new Set(input.kinds) : undefined;
    const need = (cursor?.skip ?? 0) + input.limit;
    const groups: { key: string; day: string; events: ActivityEvent[] }[] = [];
    const byKey = new Map<string, (typeof groups)[number]>();
    let before = cursor ? endOfDayId(cursor.day) : undefined;
    let read = 0;
    let hasMore = false;
    const mark = this.activity.readMark(viewer.id);
    scan: for (;;) {
      const page = await this.activity.list(viewer.id, {
        limit: READ_CHUNK,
        ...(before ? { before } : {}),
      });
      for (const event of page.items) {
        read++;
        if (wanted && !wanted.has(filterOf(event.kind))) continue;
        const day = dayOf(event.createdAt);
        const last = groups[need - 1];
        if (last && day < last.day) {
          hasMore = true;
          break scan;
        }
        const key = `${event.photoId ?? ''}|${event.kind}|${day}`;
        let group = byKey.get(key);
        if (!group) {
          group = { key, day, events: [] };
          byKey.set(key, group);
          groups.push(group);
        }
        group.events.push(event);
      }
      before = page.next ?? undefined;
      if (!before) break;
      if (read >= MAX_EVENTS_PER_PAGE) {
        hasMore = true;
        break;
      }
    }
    hasMore ||= groups.length > need;
    const shown = groups.slice(cursor?.skip ?? 0, need);
    const readMark = await mark;
    const [people, hidden] = await Promise.all([
      this.people(shown.flatMap((g) => g.events.map((e) => e.actorId))),
      this.blocks.hiddenFrom(viewer.id),
    ]);
    for (const id of hidden) people.delete(id);
    const items = shown.flatMap((g) => {
      const line = toGroup(
        g.events.filter((e) => people.has(e.actorId)),
        people,
        readMark,
      );
      return line ? [line] : [];
    });
    const lastShown = groups[Math.min(need, groups.length) - 1];
    const next =
      hasMore && lastShown
        ? `${lastShown.day}.${groups.slice(0, need).filter((g) => g.day === lastShown.day).length}`
        : null;
    return { items, next };
  }

  /** Everything up to the newest event is read. */
  async markAllRead(viewer: Viewer): Promise<void> {
    const [{ items }, mark] = await Promise.all([
      this.activity.list(viewer.id, { limit: 1 }),
      this.activity.readMark(viewer.id),
    ]);
    const newest = items[0];
    // Opening the page again with nothing new writes nothing.
    if (newest && (mark === null || newest.id > mark)) await this.activity.markRead(viewer.id, newest.id);
  }

  // -----------------------------------------------------------------------------------------

  private event(
    actor: Pick<Viewer, 'id' | 'username'>,
    recipientId: UserId,
    kind: ActivityKind,
    photoId: string | null,
    subjectId: string | null,
    text: string | null,
    id: string,
    createdAt = new Date(timeOfId(id)),
  ): ActivityEvent {
    return {
      id,
      recipientId,
      kind,
      actorId: actor.id,
      actorUsername: actor.username,
      photoId,
      subjectId,
      text,
      createdAt,
    };
  }

  /** Ids of the people a text mentions who exist, other than the author; at most MAX_MENTIONS. */
  private async mentioned(actor: Viewer, text: string): Promise<UserId[]> {
    const names = mentionsOf(text).slice(0, MAX_MENTIONS);
    if (names.length === 0) return [];
    const byName = new Map(
      (await this.users.findByUsernames(names)).map((u) => [u.username.toLowerCase(), u]),
    );
    // In the order the text names them, as one lookup per name would give.
    const found = names.flatMap((n) => byName.get(n.toLowerCase()) ?? []);
    return [...new Set(found.flatMap((u) => (u.id !== actor.id ? [u.id] : [])))];
  }

  /** The actors whose accounts still exist (events of the others are not shown), by id. */
  private async people(ids: UserId[]): Promise<Map<UserId, User>> {
    const distinct = [...new Set(ids)];
    // UserStore.findByIds takes 100 ids a call: one read per hundred actors.
    const batches: UserId[][] = [];
    for (let i = 0; i < distinct.length; i += 100) batches.push(distinct.slice(i, i + 100));
    const found = (await Promise.all(batches.map((batch) => this.users.findByIds(batch)))).flat();
    return new Map(found.map((u) => [u.id, u] as const));
  }
}

function toGroup(
  events: ActivityEvent[],
  people: Map<UserId, User>,
  readMark: string | null,
): ActivityGroup | null {
  const newest = events[0];
  if (!newest) return null;
  const actors: User[] = [];
  const seen = new Set<UserId>();
  for (const e of events) {
    if (seen.has(e.actorId)) continue;
    seen.add(e.actorId);
    const person = people.get(e.actorId);
    if (person && actors.length < SHOWN_ACTORS) actors.push(person);
  }
  const names = namesOf(
    actors.map((a) => a.username),
    seen.size,
  );
  return {
    id: newest.id,
    kind: newest.kind,
    actors,
    actorCount: seen.size,
    photoId: newest.photoId,
    text: `${names} ${VERBS[newest.kind](seen.size > 1)}.`,
    excerpt: newest.text,
    createdAt: newest.createdAt,
    isRead: readMark !== null && newest.id <= readMark,
  };
}

function parseCursor(before: string | undefined): { day: string; skip: number } | undefined {
  if (before === undefined) return undefined;
  const match = CURSOR.exec(before);
  const day = match?.[1];
  const ms = day ? Date.parse(`${day}T00:00:00Z`) : NaN;
  if (!match || !day || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) {
    throw new InvalidInput(messages.badCursor);
  }
  return { day, skip: Number(match[2]) };
}

/** An id sorting after every event of the UTC day `day` and before the next day's. */
const endOfDayId = (day: string): string => firstIdAt(Date.parse(`${day}T00:00:00Z`) + 24 * 60 * 60_000);
