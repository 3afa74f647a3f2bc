import { Conflict, Forbidden, Unauthenticated } from '../domain/errors';
import type { User } from '../domain/types';
import type { PasswordHasher, UserStore } from '../ports';

export const messages = {
  badCredentials: 'Invalid username or password.',
  usernameTaken: 'That username is taken.',
  suspended: 'This account is suspended by the moderators.',
  deleting: 'This account is being deleted.',
};

/**
 * Sign-up and login. An unknown username costs the same bcrypt comparison as a wrong password
 * (against a dummy hash made once with the configured cost), so neither answer nor timing tells
 * which usernames exist.
 */
export class AuthService {
  private readonly dummyHash: Promise<string>;

  constructor(
    private readonly users: UserStore,
    private readonly passwords: PasswordHasher,
  ) {
    // Made up front so the first unknown-user login is not faster than the rest.
    this.dummyHash = passwords.hash('lumina-dummy-password-for-timing');
  }

  async signup(input: { username: string; password: string }): Promise<User> {
    const existing = await this.users.findByUsername(input.username);
    if (existing) throw new Conflict(messages.usernameTaken, 'username_taken');
    const passwordHash = await this.passwords.hash(input.password);
    return this.users.create({
      username: input.username,
      email: `${input.username.toLowerCase()}@lumina.local`,
      passwordHash,
    });
  }

  async login(input: { username: string; password: string }): Promise<User> {
    const found = await this.users.findCredentials(input.username);
    const hash = found?.passwordHash ?? (await this.dummyHash);
    const matches = await this.passwords.verify(input.password, hash);
    if (!found || !matches) throw new Unauthenticated(messages.badCredentials, 'invalid_credentials');
    if (found.state === 'suspended') throw new Forbidden(messages.suspended, 'account_suspended');
    if (found.state === 'deleting') throw new Forbidden(messages.deleting, 'account_deleting');
    const { passwordHash: _hash, ...user } = found;
    return user;
  }
}
