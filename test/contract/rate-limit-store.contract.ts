import { describe, expect, it } from 'vitest';
import { randomToken, useStorage, type MakeStorage } from './fixtures';

const key = () => `login:user:${randomToken(16)}`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function rateLimitStoreContract(make: MakeStorage): void {
  const storage = useStorage(make);
  const limits = () => storage().rateLimits;

  describe('RateLimitStore', () => {
    it('RateLimitStore.increment on a new key counts 1, 2, 3 with one reset time inside the window', async () => {
      const k = key();
      const start = Date.now();
      const first = await limits().increment(k, 60_000);
      const second = await limits().increment(k, 60_000);
      const third = await limits().increment(k, 60_000);
      expect([first.count, second.count, third.count]).toEqual([1, 2, 3]);
      expect(first.resetAt).toBeInstanceOf(Date);
      expect(first.resetAt.getTime()).toBeGreaterThanOrEqual(start + 60_000 - 1_000);
      expect(first.resetAt.getTime()).toBeLessThanOrEqual(Date.now() + 60_000 + 1_000);
      expect(third.resetAt.getTime()).toBe(first.resetAt.getTime());
    });

    it('RateLimitStore.increment with 25 concurrent hits counts each exactly once', async () => {
      const k = key();
      const results = await Promise.all(Array.from({ length: 25 }, () => limits().increment(k, 60_000)));
      expect(results.map((r) => r.count).sort((a, b) => a - b)).toEqual(
        Array.from({ length: 25 }, (_, i) => i + 1),
      );
    });

    it('RateLimitStore.increment after the window ended starts a new window at 1', async () => {
      const k = key();
      await limits().increment(k, 200);
      const old = await limits().increment(k, 200);
      expect(old.count).toBe(2);
      await sleep(Math.max(0, old.resetAt.getTime() - Date.now()) + 150);
      const fresh = await limits().increment(k, 200);
      expect(fresh.count).toBe(1);
      expect(fresh.resetAt.getTime()).toBeGreaterThan(old.resetAt.getTime());
    });

    it('RateLimitStore.increment keeps keys apart', async () => {
      const a = key();
      const b = key();
      await limits().increment(a, 60_000);
      await limits().increment(a, 60_000);
      expect((await limits().increment(b, 60_000)).count).toBe(1);
    });

    it('RateLimitStore.decrement takes one hit back', async () => {
      const k = key();
      await limits().increment(k, 60_000);
      await limits().increment(k, 60_000);
      await limits().decrement(k);
      expect((await limits().increment(k, 60_000)).count).toBe(2);
    });

    it('RateLimitStore.decrement never goes below zero, and on a missing key does nothing', async () => {
      const k = key();
      await limits().increment(k, 60_000);
      await limits().decrement(k);
      await limits().decrement(k);
      await limits().decrement(k);
      expect((await limits().increment(k, 60_000)).count).toBe(1);
      const missing = key();
      await expect(limits().decrement(missing)).resolves.toBeUndefined();
      expect((await limits().increment(missing, 60_000)).count).toBe(1);
    });

    it('RateLimitStore.reset clears the count, so the next hit counts 1', async () => {
      const k = key();
      for (let i = 0; i < 4; i++) await limits().increment(k, 60_000);
      await limits().reset(k);
      expect((await limits().increment(k, 60_000)).count).toBe(1);
      await expect(limits().reset(key())).resolves.toBeUndefined();
    });

    it('RateLimitStore.prune deletes the windows that ended before the date and keeps the live ones', async () => {
      const ended = key();
      const live = key();
      await limits().increment(ended, 1);
      await limits().increment(live, 60_000);
      await sleep(50);
      const before = new Date();
      expect(await limits().prune(before)).toBeGreaterThanOrEqual(1);
      // Nothing that ended before `before` is left to delete.
      expect(await limits().prune(before)).toBe(0);
      expect((await limits().increment(live, 60_000)).count).toBe(2);
      expect((await limits().increment(ended, 60_000)).count).toBe(1);
    });
  });
}
