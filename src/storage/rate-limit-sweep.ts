/**
 * When both backends' rate-limit stores (and SQLite's request keys) prune by themselves (ports.ts
 * RateLimitStore.prune): in the background, about once in SWEEP_EVERY writes, what ended over a
 * day ago.
 */
const SWEEP_EVERY = 500;
const SWEEP_AGE_MS = 24 * 60 * 60_000;

/** Rows one prune statement deletes at most; a prune repeats it until fewer come back. */
export const PRUNE_BATCH = 1000;

export const shouldSweep = (): boolean => Math.floor(Math.random() * SWEEP_EVERY) === 0;

/** The `before` of a background sweep. */
export const pruneAge = (now = Date.now()): Date => new Date(now - SWEEP_AGE_MS);

/** Runs `deleteBatch` (which deletes at most PRUNE_BATCH rows) until a batch comes back short; returns the total. */
export async function pruneInBatches(deleteBatch: () => Promise<number>): Promise<number> {
  let total = 0;
  for (;;) {
    const removed = await deleteBatch();
    total += removed;
    if (removed < PRUNE_BATCH) return total;
  }
}
