import { describe, expect, it } from 'vitest';
import { Conflict, Unauthenticated } from '../../src/domain/errors';
import { AuthService } from '../../src/services/auth.service';
import { MemoryUserStore, PlainPasswords } from '../fakes/memory';

const setup = () => {
  const users = new MemoryUserStore();
  const passwords = new PlainPasswords();
  return { users, passwords, auth: new AuthService(users, passwords) };
};

describe('AuthService', () => {
  it('signup stores a hash, never the password, and a generated e-mail', async () => {
    const { auth, users } = setup();
    const user = await auth.signup({ username: 'Ana', password: 'secret123' });
    expect(user.email).toBe('ana@lumina.local');
    expect((await users.findCredentials('ana'))?.passwordHash).toBe('plain:secret123');
  });

  it('signup of a name taken in another case throws Conflict', async () => {
    const { auth } = setup();
    await auth.signup({ username: 'Ana', password: 'secret123' });
    await expect(auth.signup({ username: 'ANA', password: 'secret123' })).rejects.toBeInstanceOf(Conflict);
  });

  it('login with an unknown user and with a wrong password fails alike, each after one verification', async () => {
    const { auth, passwords } = setup();
    await auth.signup({ username: 'bob', password: 'secret123' });
    const unknown = await auth.login({ username: 'nobody', password: 'secret123' }).catch((e: unknown) => e);
    expect(passwords.verifications).toBe(1);
    const wrong = await auth.login({ username: 'bob', password: 'nope nope' }).catch((e: unknown) => e);
    expect(passwords.verifications).toBe(2);
    expect(unknown).toBeInstanceOf(Unauthenticated);
    expect(wrong).toBeInstanceOf(Unauthenticated);
    expect((unknown as Error).message).toBe((wrong as Error).message);
  });

  it('login is case-insensitive on the username and returns no hash', async () => {
    const { auth } = setup();
    await auth.signup({ username: 'Carol', password: 'secret123' });
    const user = await auth.login({ username: 'carol', password: 'secret123' });
    expect(user.username).toBe('Carol');
    expect(user).not.toHaveProperty('passwordHash');
  });
});
