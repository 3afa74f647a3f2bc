import { NotFound, noSuch } from '../domain/errors';
import { USER_SEARCH_LIMIT } from '../domain/limits';
import { MAX_MENTIONS } from '../domain/text';
import type { User, UserId } from '../domain/types';
import type { UserStore } from '../ports';

export const messages = {
  noSuchUser: 'No user with that name.',
};

export class UserService {
  constructor(private readonly users: UserStore) {}

  async lookup(username: string): Promise<User> {
    const user = await this.users.findByUsername(username);
    if (!user) throw new NotFound(messages.noSuchUser, 'user_not_found');
    return user;
  }

  async get(id: UserId): Promise<User> {
    const user = await this.users.findById(id);
    if (!user) throw noSuch('user');
    return user;
  }

  /**
   * Which of `usernames` (mentions in a text, at most MAX_MENTIONS looked up) name people,
   * lower-cased: pages link those and leave the rest as text.
   */
  async existing(usernames: string[]): Promise<Map<string, User>> {
    const names = [...new Set(usernames.map((n) => n.toLowerCase()))].slice(0, MAX_MENTIONS);
    const found = await Promise.all(names.map((n) => this.users.findByUsername(n)));
    return new Map(found.flatMap((u) => (u ? [[u.username.toLowerCase(), u] as const] : [])));
  }

  /** At most 20 users whose name starts with `prefix`; an empty prefix finds nobody. */
  search(prefix: string): Promise<User[]> {
    const clean = prefix.trim();
    if (clean === '' || !/^[A-Za-z0-9_.]+$/.test(clean)) return Promise.resolve([]);
    return this.users.searchByPrefix(clean, USER_SEARCH_LIMIT);
  }
}
