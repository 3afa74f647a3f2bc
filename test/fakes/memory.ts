import { Readable } from 'node:stream';
import { Conflict } from '../../src/domain/errors';
import type {
  AccountState,
  ActivityEvent,
  FriendRequest,
  Page,
  PageRequest,
  User,
  UserCredentials,
  UserId,
} from '../../src/domain/types';
import type { RequestEventOf } from '../../src/domain/types';
import type {
  ActivityStore,
  BlobStore,
  BlockStore,
  FriendStore,
  ListedBlob,
  PasswordHasher,
  StoredBlob,
  UserStore,
} from '../../src/ports';

/**
 * In-memory fakes of the ports, for service unit tests: no disk, no network. They pass the same
 * contracts as both backends (test/contract/memory.test.ts).
 */

export class MemoryUserStore implements UserStore {
  private rows: UserCredentials[] = [];
  private lastId = 0;

  ping() {
    return Promise.resolve();
  }

  create(input: { username: string; email: string; passwordHash: string }): Promise<User> {
    if (this.rows.some((u) => u.username.toLowerCase() === input.username.toLowerCase())) {
      return Promise.reject(new Conflict('That username is taken.', 'username_taken'));
    }
    const row: UserCredentials = {
      id: ++this.lastId,
      createdAt: new Date(),
      bio: '',
      avatarId: null,
      state: 'active',
      isModerator: false,
      ...input,
    };
    this.rows.push(row);
    return Promise.resolve(strip(row));
  }

  findCredentials(username: string) {
    return Promise.resolve(
      this.rows.find((u) => u.username.toLowerCase() === username.toLowerCase()) ?? null,
    );
  }

  async findByUsername(username: string) {
    const row = await this.findCredentials(username);
    return row ? strip(row) : null;
  }

  findById(id: UserId) {
    const row = this.rows.find((u) => u.id === id);
    return Promise.resolve(row ? strip(row) : null);
  }

  searchByPrefix(prefix: string, limit: number) {
    const p = prefix.toLowerCase();
    return Promise.resolve(
      this.rows
        .filter((u) => u.username.toLowerCase().startsWith(p))
        .sort((a, b) => a.username.toLowerCase().localeCompare(b.username.toLowerCase()))
        .slice(0, limit)
        .map(strip),
    );
  }

  setState(id: UserId, state: AccountState) {
    const row = this.rows.find((u) => u.id === id && (u.state !== 'deleting' || state === 'deleting'));
    if (row) row.state = state;
    return Promise.resolve(row !== undefined);
  }

  listDeleting(limit: number) {
    return Promise.resolve(
      this.rows
        .filter((u) => u.state === 'deleting')
        .map((u) => u.id)
        .slice(0, limit),
    );
  }

  remove(id: UserId) {
    const before = this.rows.length;
    this.rows = this.rows.filter((u) => u.id !== id);
    return Promise.resolve(this.rows.length < before);
  }

  setModerator(id: UserId, isModerator: boolean) {
    const row = this.rows.find((u) => u.id === id);
    if (row) row.isModerator = isModerator;
    return Promise.resolve(row !== undefined);
  }

  findByIds(ids: UserId[]) {
    return Promise.resolve(this.rows.filter((u) => ids.includes(u.id)).map(strip));
  }

  findByUsernames(usernames: string[]) {
    const wanted = new Set(usernames.map((n) => n.toLowerCase()));
    return Promise.resolve(this.rows.filter((u) => wanted.has(u.username.toLowerCase())).map(strip));
  }

  setBio(id: UserId, bio: string) {
    const row = this.rows.find((u) => u.id === id);
    if (row) row.bio = bio;
    return Promise.resolve(row ? strip(row) : null);
  }

  replaceAvatar(id: UserId, from: string | null, to: string | null) {
    const row = this.rows.find((u) => u.id === id);
    if (!row || row.avatarId !== from) return Promise.resolve(false);
    row.avatarId = to;
    return Promise.resolve(true);
  }

  setPasswordHash(id: UserId, passwordHash: string) {
    const row = this.rows.find((u) => u.id === id);
    if (row) row.passwordHash = passwordHash;
    return Promise.resolve(row !== undefined);
  }
}

const strip = ({ passwordHash: _h, ...user }: UserCredentials): User => user;

/** The row belongs to the unordered pair {a, b}. */
const isPair = (row: FriendRequest, a: UserId, b: UserId): boolean =>
  (row.requesterId === a && row.receiverId === b) || (row.requesterId === b && row.receiverId === a);

export class MemoryFriendStore implements FriendStore {
  private rows: FriendRequest[] = [];
  private nextId = 1;

  /** With `activity`, the requests' events are written there, as the real stores do in their writes. */
  constructor(
    private readonly users: MemoryUserStore,
    private readonly activity?: MemoryActivityStore,
  ) {}

  ping() {
    return Promise.resolve();
  }

  async create(requesterId: UserId, receiverId: UserId, eventOf?: RequestEventOf): Promise<FriendRequest> {
    const [a, b] = await Promise.all([this.users.findById(requesterId), this.users.findById(receiverId)]);
    // Checked and inserted with no await between: two racing creates cannot both pass.
    if (this.rows.some((r) => isPair(r, requesterId, receiverId))) {
      throw new Conflict('You are already friends or have a pending request.', 'friend_request_exists');
    }
    const row: FriendRequest = {
      id: this.nextId++,
      requesterId,
      requesterUsername: a?.username ?? '',
      receiverId,
      receiverUsername: b?.username ?? '',
      status: 'pending',
      createdAt: new Date(),
      respondedAt: null,
    };
    this.rows.push(row);
    if (eventOf) await this.activity?.add([eventOf({ ...row })]);
    return { ...row };
  }

  findById(id: number) {
    const row = this.rows.find((r) => r.id === id);
    return Promise.resolve(row ? { ...row } : null);
  }

  findBetween(a: UserId, b: UserId) {
    const row = this.rows.find((r) => isPair(r, a, b));
    return Promise.resolve(row ? { ...row } : null);
  }

  async accept(id: number, eventOf?: RequestEventOf) {
    const row = this.rows.find((r) => r.id === id && r.status === 'pending');
    if (!row) return null;
    row.status = 'accepted';
    row.respondedAt = new Date();
    if (eventOf) await this.activity?.add([eventOf({ ...row })]);
    return { ...row };
  }

  remove(id: number, status: FriendRequest['status']) {
    const before = this.rows.length;
    this.rows = this.rows.filter((r) => !(r.id === id && r.status === status));
    const removed = this.rows.length < before;
    if (removed && status === 'pending') {
      this.activity?.removeWhere((e) => e.kind === 'friend_request' && e.subjectId === String(id));
    }
    return Promise.resolve(removed);
  }

  listPending(userId: UserId, direction: 'incoming' | 'outgoing') {
    return Promise.resolve(
      this.rows
        .filter(
          (r) =>
            r.status === 'pending' && (direction === 'incoming' ? r.receiverId : r.requesterId) === userId,
        )
        .reverse(),
    );
  }

  async countIncoming(userId: UserId) {
    return (await this.listPending(userId, 'incoming')).length;
  }

  listFriends(userId: UserId) {
    return Promise.resolve(
      this.rows
        .filter((r) => r.status === 'accepted' && (r.requesterId === userId || r.receiverId === userId))
        .map((r) =>
          r.requesterId === userId
            ? { id: r.receiverId, username: r.receiverUsername, since: r.respondedAt ?? r.createdAt }
            : { id: r.requesterId, username: r.requesterUsername, since: r.respondedAt ?? r.createdAt },
        )
        .sort((a, b) => a.username.toLowerCase().localeCompare(b.username.toLowerCase())),
    );
  }

  async friendIds(userId: UserId) {
    return (await this.listFriends(userId)).map((f) => f.id);
  }
}

export class MemoryBlobStore implements BlobStore {
  readonly objects = new Map<string, { bytes: Buffer; contentType: string; modifiedAt: Date }>();

  ping() {
    return Promise.resolve();
  }

  put(key: string, bytes: Buffer, contentType: string) {
    this.objects.set(key, { bytes, contentType, modifiedAt: new Date() });
    return Promise.resolve();
  }

  open(key: string): Promise<StoredBlob | null> {
    const o = this.objects.get(key);
    return Promise.resolve(
      o
        ? {
            body: Readable.from(o.bytes),
            size: o.bytes.length,
            contentType: o.contentType,
            etag: `"${o.bytes.length}"`,
          }
        : null,
    );
  }

  delete(keys: string[]) {
    for (const key of keys) this.objects.delete(key);
    return Promise.resolve();
  }

  async *list(prefix: string): AsyncIterable<ListedBlob> {
    const keys = [...this.objects.keys()].filter((key) => key.startsWith(prefix)).sort();
    for (const key of keys) {
      const object = this.objects.get(key);
      if (object) yield await Promise.resolve({ key, modifiedAt: object.modifiedAt });
    }
  }
}

/** Reversible "hash" so unit tests need no bcrypt; counts verifications. */
export class PlainPasswords implements PasswordHasher {
  verifications = 0;
  hash(password: string) {
    return Promise.resolve(`plain:${password}`);
  }
  verify(password: string, hash: string) {
    this.verifications++;
    return Promise.resolve(hash === `plain:${password}`);
  }
}

export class MemoryBlockStore implements BlockStore {
  private rows: { blockerId: UserId; blockedId: UserId; createdAt: Date }[] = [];

  constructor(private readonly users: MemoryUserStore) {}

  async add(blockerId: UserId, blockedId: UserId) {
    if (this.rows.some((r) => r.blockerId === blockerId && r.blockedId === blockedId)) {
      throw new Conflict('You already block this person.', 'already_blocked');
    }
    const row = { blockerId, blockedId, createdAt: new Date() };
    this.rows.push(row);
    const user = await this.users.findById(blockedId);
    return { userId: blockedId, username: user?.username ?? '', createdAt: row.createdAt };
  }

  remove(blockerId: UserId, blockedId: UserId) {
    const before = this.rows.length;
    this.rows = this.rows.filter((r) => !(r.blockerId === blockerId && r.blockedId === blockedId));
    return Promise.resolve(this.rows.length < before);
  }

  async list(blockerId: UserId) {
    const mine = this.rows.filter((r) => r.blockerId === blockerId).reverse();
    return Promise.all(
      mine.map(async (r) => ({
        userId: r.blockedId,
        username: (await this.users.findById(r.blockedId))?.username ?? '',
        createdAt: r.createdAt,
      })),
    );
  }

  hiddenFrom(userId: UserId) {
    const ids = this.rows.flatMap((r) =>
      r.blockerId === userId ? [r.blockedId] : r.blockedId === userId ? [r.blockerId] : [],
    );
    return Promise.resolve(new Set(ids));
  }

  removeAllOf(userId: UserId) {
    const before = this.rows.length;
    this.rows = this.rows.filter((r) => r.blockerId !== userId && r.blockedId !== userId);
    return Promise.resolve(before - this.rows.length);
  }

  between(a: UserId, b: UserId) {
    return Promise.resolve(
      this.rows.some(
        (r) => (r.blockerId === a && r.blockedId === b) || (r.blockerId === b && r.blockedId === a),
      ),
    );
  }

  async personAndBlock(a: UserId, b: UserId) {
    const [person, blocked] = await Promise.all([this.users.findById(b), this.between(a, b)]);
    return { person, blocked };
  }
}

/** Activity events in one array, newest first by id (the contract's order). */
export class MemoryActivityStore implements ActivityStore {
  readonly events: ActivityEvent[] = [];
  private readonly marks = new Map<UserId, string>();

  ping(): Promise<void> {
    return Promise.resolve();
  }

  add(events: ActivityEvent[]): Promise<void> {
    this.events.push(...events);
    this.events.sort((a, b) => (a.id < b.id ? 1 : -1));
    return Promise.resolve();
  }

  list(recipientId: UserId, page: PageRequest): Promise<Page<ActivityEvent>> {
    const mine = this.events.filter(
      (e) => e.recipientId === recipientId && (!page.before || e.id < page.before),
    );
    const items = mine.slice(0, page.limit);
    return Promise.resolve({ items, next: mine.length > page.limit ? (items.at(-1)?.id ?? null) : null });
  }

  /** Deletes the events `matches` picks (what an undone act does in a store's own write). */
  removeWhere(matches: (e: ActivityEvent) => boolean): void {
    for (let i = this.events.length - 1; i >= 0; i--) if (matches(this.events[i]!)) this.events.splice(i, 1);
  }

  removeAllFor(recipientId: UserId): Promise<void> {
    for (let i = this.events.length - 1; i >= 0; i--) {
      if (this.events[i]!.recipientId === recipientId) this.events.splice(i, 1);
    }
    this.marks.delete(recipientId);
    return Promise.resolve();
  }

  removeEvents(refs: { recipientId: UserId; eventId: string }[]): Promise<void> {
    for (let i = this.events.length - 1; i >= 0; i--) {
      const e = this.events[i]!;
      if (refs.some((r) => r.recipientId === e.recipientId && r.eventId === e.id)) this.events.splice(i, 1);
    }
    return Promise.resolve();
  }

  readMark(recipientId: UserId): Promise<string | null> {
    return Promise.resolve(this.marks.get(recipientId) ?? null);
  }

  markRead(recipientId: UserId, eventId: string): Promise<void> {
    const old = this.marks.get(recipientId);
    if (!old || eventId > old) this.marks.set(recipientId, eventId);
    return Promise.resolve();
  }

  countUnread(recipientId: UserId, cap: number): Promise<number> {
    const mark = this.marks.get(recipientId) ?? '';
    return Promise.resolve(
      Math.min(cap, this.events.filter((e) => e.recipientId === recipientId && e.id > mark).length),
    );
  }
}
