import { NotFound, noSuch } from '../domain/errors';
import { USER_SEARCH_LIMIT } from '../domain/limits';
import { MAX_MENTIONS } from '../domain/text';
import type { User, UserId, Viewer } from '../domain/types';
import type { BlockStore, UserStore } from '../ports';

export const messages = {
  noSuchUser: 'No user with that name.',
};

/** A person a request names: by id, or by username. */
export type PersonRef = { username: string } | { userId: UserId };

/** The person `ref` names, or "No such user." (404). */
export async function findPerson(users: UserStore, ref: PersonRef): Promise<User> {
  const user = 'userId' in ref ? await users.findById(ref.userId) : await users.findByUsername(ref.username);
  if (!user) throw noSuch('user');
  return user;
}

export class UserService {
  constructor(
    private readonly users: UserStore,
    private readonly blocks: BlockStore,
  ) {}

  /** The person of that name, unless either of the two blocks the other (then: no such user). */
  async lookup(viewer: Viewer, username: string): Promise<User> {
    const user = await this.users.findByUsername(username);
    if (!user || (user.id !== viewer.id && (await this.blocks.between(viewer.id, user.id)))) {
      throw new NotFound(messages.noSuchUser, 'user_not_found');
    }
    return user;
  }

  get(id: UserId): Promise<User> {
    return findPerson(this.users, { userId: id });
  }

  /**
   * Which of `usernames` (mentions in a text, at most MAX_MENTIONS looked up) name people,
   * lower-cased: pages link those and leave the rest as text. `hidden` is BlockStore.hiddenFrom
   * of the viewer when the caller has read it for this request already.
   */
  async existing(
    viewer: Viewer,
    usernames: string[],
    max = MAX_MENTIONS,
    hidden?: Promise<Set<UserId>>,
  ): Promise<Map<string, User>> {
    const names = [...new Set(usernames.map((n) => n.toLowerCase()))].slice(0, max);
    if (names.length === 0) return new Map();
    const [found, hiddenSet] = await Promise.all([
      this.users.findByUsernames(names),
      hidden ?? this.blocks.hiddenFrom(viewer.id),
    ]);
    // People the viewer blocks, or who block the viewer, stay plain text.
    return new Map(
      found.flatMap((u) => (hiddenSet.has(u.id) ? [] : [[u.username.toLowerCase(), u] as const])),
    );
  }

  /**
   * At most 20 users whose name starts with `prefix`, leaving out people the viewer blocks or is
   * blocked by; an empty prefix finds nobody.
   */
  async search(viewer: Viewer, prefix: string): Promise<User[]> {
    const clean = prefix.trim();
    if (clean === '' || !/^[A-Za-z0-9_.]+$/.test(clean)) return [];
    const [hidden, found] = await Promise.all([
      this.blocks.hiddenFrom(viewer.id),
      this.users.searchByPrefix(clean, USER_SEARCH_LIMIT + 1),
    ]);
    return found.filter((u) => !hidden.has(u.id)).slice(0, USER_SEARCH_LIMIT);
  }
}
