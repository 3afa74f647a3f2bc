import { newId } from '../../src/lib/ulid';
import { describe, expect, it } from 'vitest';
import { Conflict } from '../../src/domain/errors';
import { createUser, randomToken, settle, uniqueUsername, useStorage, type MakeStorage } from './fixtures';

export function userStoreContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const users = () => storage().users;

  describe('UserStore', () => {
    it('UserStore.ping with a reachable backend resolves', async () => {
      await expect(users().ping()).resolves.toBeUndefined();
    });

    it('UserStore.create with a new name returns the user with an id and creation time', async () => {
      const username = uniqueUsername('New');
      const before = Date.now();
      const user = await users().create({ username, email: `${username}@lumina.test`, passwordHash: 'h4sh' });
      expect(user).toMatchObject({ username, email: `${username}@lumina.test` });
      expect(Number.isInteger(user.id)).toBe(true);
      expect(user.createdAt).toBeInstanceOf(Date);
      expect(user.createdAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(user.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
      expect(user).not.toHaveProperty('passwordHash');
    });

    it('UserStore.create with a name taken in another case throws Conflict username_taken', async () => {
      const username = uniqueUsername('Case');
      await createUser(storage(), username);
      const clash = users().create({
        username: username.toUpperCase(),
        email: `other.${username.toLowerCase()}@lumina.test`,
        passwordHash: 'x',
      });
      await expect(clash).rejects.toBeInstanceOf(Conflict);
      await expect(clash).rejects.toMatchObject({ code: 'username_taken' });
    });

    it('UserStore.create with 20 concurrent inserts of one name lets exactly one succeed and 19 get Conflict', async () => {
      const username = uniqueUsername('race');
      const variants = Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? username : username.toUpperCase(),
      );
      const { values, errors } = await settle(
        variants.map((name, i) =>
          users().create({
            username: name,
            email: `${username.toLowerCase()}.${i}@lumina.test`,
            passwordHash: 'x',
          }),
        ),
      );
      expect(values).toHaveLength(1);
      expect(errors).toHaveLength(19);
      for (const error of errors) {
        expect(error).toBeInstanceOf(Conflict);
        expect(error).toMatchObject({ code: 'username_taken' });
      }
      expect((await users().findByUsername(username))?.id).toBe(values[0]?.id);
    });

    it('UserStore.findByUsername with a different case finds the user as stored', async () => {
      const username = uniqueUsername('MiXed');
      const created = await createUser(storage(), username);
      const found = await users().findByUsername(username.toLowerCase());
      expect(found).toEqual(created);
      expect(await users().findByUsername(username.toUpperCase())).toEqual(created);
    });

    it('UserStore.findByUsername with an unknown name returns null', async () => {
      expect(await users().findByUsername(uniqueUsername('nobody'))).toBeNull();
    });

    it('UserStore.findCredentials with a different case returns the user with the password hash', async () => {
      const username = uniqueUsername('Cred');
      const created = await users().create({
        username,
        email: `${username}@lumina.test`,
        passwordHash: '$2b$04$hash-of-the-password',
      });
      const found = await users().findCredentials(username.toUpperCase());
      expect(found).toEqual({ ...created, passwordHash: '$2b$04$hash-of-the-password' });
      expect(await users().findCredentials(uniqueUsername('nobody'))).toBeNull();
    });

    it('UserStore.findById with a known id returns the user, with an unknown id null', async () => {
      const created = await createUser(storage());
      expect(await users().findById(created.id)).toEqual(created);
      expect(await users().findById(2_000_000_000)).toBeNull();
    });

    it('UserStore.searchByPrefix with a case-insensitive prefix returns matches ordered by lower-cased name', async () => {
      const prefix = `p${randomToken(8)}`;
      const names = [`${prefix}Delta`, `${prefix}alpha`, `${prefix.toUpperCase()}charlie`, `${prefix}Bravo`];
      for (const name of names) await createUser(storage(), name);
      const found = await users().searchByPrefix(prefix.toUpperCase(), 20);
      expect(found.map((u) => u.username)).toEqual([
        `${prefix}alpha`,
        `${prefix}Bravo`,
        `${prefix.toUpperCase()}charlie`,
        `${prefix}Delta`,
      ]);
    });

    it('UserStore.searchByPrefix with a limit returns at most that many, the first in order', async () => {
      const prefix = `l${randomToken(8)}`;
      await Promise.all(['e', 'a', 'd', 'b', 'c'].map((s) => createUser(storage(), `${prefix}${s}`)));
      const found = await users().searchByPrefix(prefix, 3);
      expect(found.map((u) => u.username)).toEqual([`${prefix}a`, `${prefix}b`, `${prefix}c`]);
    });

    it('UserStore.searchByPrefix with _ or . in the prefix matches them literally, not as wildcards', async () => {
      const stem = `w${randomToken(8)}`;
      await createUser(storage(), `${stem}_under`);
      await createUser(storage(), `${stem}xunder`);
      await createUser(storage(), `${stem}.dot`);
      await createUser(storage(), `${stem}xdot`);
      expect((await users().searchByPrefix(`${stem}_`, 20)).map((u) => u.username)).toEqual([
        `${stem}_under`,
      ]);
      expect((await users().searchByPrefix(`${stem}.`, 20)).map((u) => u.username)).toEqual([`${stem}.dot`]);
    });

    it('UserStore.searchByPrefix with no match returns an empty list', async () => {
      expect(await users().searchByPrefix(`z${randomToken(12)}`, 20)).toEqual([]);
    });

    it('UserStore: a new user has an empty bio and no avatar', async () => {
      const user = await createUser(storage(), `n${randomToken(8)}`);
      expect(user).toMatchObject({ bio: '', avatarId: null });
      expect(await users().findById(user.id)).toMatchObject({ bio: '', avatarId: null });
    });

    it('UserStore.setBio stores the bio (unicode kept) and returns the user; a missing user returns null', async () => {
      const user = await createUser(storage(), `b${randomToken(8)}`);
      const bio = 'Lakes, light & ünïcødé 🌅';
      expect(await users().setBio(user.id, bio)).toMatchObject({ id: user.id, bio });
      expect((await users().findByUsername(user.username))?.bio).toBe(bio);
      expect(await users().setBio(2_000_000_000, 'x')).toBeNull();
    });

    it('UserStore.replaceAvatar swaps only from the expected id, NULL included', async () => {
      const user = await createUser(storage(), `a${randomToken(8)}`);
      const [first, second] = [newId(), newId()];
      expect(await users().replaceAvatar(user.id, 'not-the-current', first)).toBe(false);
      expect(await users().replaceAvatar(user.id, null, first)).toBe(true);
      expect((await users().findById(user.id))?.avatarId).toBe(first);
      expect(await users().replaceAvatar(user.id, null, second)).toBe(false);
      expect(await users().replaceAvatar(user.id, first, second)).toBe(true);
      expect(await users().replaceAvatar(user.id, second, null)).toBe(true);
      expect((await users().findById(user.id))?.avatarId).toBeNull();
      expect(await users().replaceAvatar(2_000_000_000, null, first)).toBe(false);
    });

    it('UserStore.findByIds returns the users that exist among the ids, once each', async () => {
      const [a, b] = [await createUser(storage()), await createUser(storage())];
      const found = await users().findByIds([a.id, b.id, a.id, 2_000_000_000]);
      expect(found.map((u) => u.id).sort((x, y) => x - y)).toEqual([a.id, b.id].sort((x, y) => x - y));
      expect(await users().findByIds([])).toEqual([]);
    });

    it('UserStore.findByUsernames finds the named users in any letter case, once each, as findByUsername does', async () => {
      const a = await createUser(storage(), `Mx${randomToken(8)}`);
      const b = await createUser(storage(), `n_${randomToken(8)}`);
      const found = await users().findByUsernames([
        a.username.toLowerCase(),
        b.username.toUpperCase(),
        a.username,
        uniqueUsername('nobody'),
      ]);
      const byId = (x: { id: number }, y: { id: number }) => x.id - y.id;
      expect([...found].sort(byId)).toEqual(
        [await users().findByUsername(a.username), await users().findByUsername(b.username)].sort(
          (x, y) => x!.id - y!.id,
        ),
      );
      expect(await users().findByUsernames([])).toEqual([]);
      // `_` and `%` are plain characters here, not patterns.
      expect(await users().findByUsernames([`n%`, `${b.username.slice(0, -1)}_`])).toEqual([]);
    });

    it('UserStore.setPasswordHash replaces the hash of that user only; a missing user returns false', async () => {
      const a = await createUser(storage(), `p${randomToken(8)}`);
      const b = await createUser(storage(), `p${randomToken(8)}`);
      const before = (await users().findCredentials(b.username))?.passwordHash;
      expect(await users().setPasswordHash(a.id, 'new-hash')).toBe(true);
      expect((await users().findCredentials(a.username))?.passwordHash).toBe('new-hash');
      expect((await users().findCredentials(b.username))?.passwordHash).toBe(before);
      expect(await users().setPasswordHash(2_000_000_000, 'x')).toBe(false);
    });
  });
}
