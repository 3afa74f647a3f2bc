import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { remainingMs, withCallSignal, withDeadline, withFreshDeadline } from '../../src/lib/deadline';

describe('lib/deadline', () => {
  it('remainingMs outside a deadline is undefined, inside counts down across awaits', async () => {
    expect(remainingMs()).toBeUndefined();
    await withDeadline(200, async () => {
      expect(remainingMs()).toBeGreaterThan(190);
      await sleep(60);
      expect(remainingMs()).toBeLessThanOrEqual(145);
      await Promise.all([
        (async () => {
          await sleep(10);
          expect(remainingMs()).toBeLessThan(140);
        })(),
      ]);
    });
    expect(remainingMs()).toBeUndefined();
  });

  it('two deadlines running at once keep their own end', async () => {
    const seen = await Promise.all([
      withDeadline(1000, async () => {
        await sleep(20);
        return remainingMs()!;
      }),
      withDeadline(100, async () => {
        await sleep(20);
        return remainingMs()!;
      }),
    ]);
    // Both looked after the same sleep, so only their budgets set them apart (however late the
    // timers fired on a loaded machine).
    expect(seen[0] - seen[1]).toBeGreaterThan(850);
    expect(seen[0] - seen[1]).toBeLessThan(950);
    expect(seen[1]).toBeLessThan(100);
  });

  it('withFreshDeadline counts the same budget again from now', async () => {
    await withDeadline(100, async () => {
      await sleep(60);
      expect(remainingMs()).toBeLessThan(50);
      expect(withFreshDeadline(() => remainingMs())).toBeGreaterThan(90);
    });
  });

  it('withCallSignal aborts a call that outlives the deadline, and leaves one that answered in time alone', async () => {
    await withDeadline(80, async () => {
      const quick = await withCallSignal((signal) => Promise.resolve(signal));
      await sleep(120);
      expect(quick?.aborted).toBe(false);
    });
    const started = Date.now();
    const slow = withDeadline(80, () =>
      withCallSignal(
        (signal) =>
          new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted')))),
      ),
    );
    await expect(slow).rejects.toThrow('aborted');
    // Aborted at its own 80 ms (late on a loaded machine), not at some other budget.
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
