import { NotFound, noSuch } from '../domain/errors';
import { USER_SEARCH_LIMIT } from '../domain/limits';
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

  /** At most 20 users whose name starts with `prefix`; an empty prefix finds nobody. */
  search(prefix: string): Promise<User[]> {
    const clean = prefix.trim();
    if (clean === '' || !/^[A-Za-z0-9_.]+$/.test(clean)) return Promise.resolve([]);
    return this.users.searchByPrefix(clean, USER_SEARCH_LIMIT);
  }
}
