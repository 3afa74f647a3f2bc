import type { RateLimitStore } from '../../ports';
import { PRUNE_BATCH, pruneAge, pruneInBatches, shouldSweep } from '../rate-limit-sweep';
import { run, type SqliteClient } from './sqlite-client';

export class SqliteRateLimitStore implements RateLimitStore {
  private readonly hit;
  private readonly takeBack;
  private readonly remove;
  private readonly removeEnded;
  private readonly removeSome;

  constructor(db: SqliteClient) {
    // One statement, so concurrent workers never lose a hit: a window that has ended restarts at 1.
    this.hit = db.prepare<{ key: string; now: number; resetAt: number }, { count: number; reset_at: number }>(
      `INSERT INTO rate_limits (key, count, reset_at) VALUES (:key, 1, :resetAt)
       ON CONFLICT (key) DO UPDATE SET
         count = CASE WHEN reset_at <= :now THEN 1 ELSE count + 1 END,
         reset_at = CASE WHEN reset_at <= :now THEN excluded.reset_at ELSE reset_at END
       RETURNING count, reset_at`,
    );
    this.takeBack = db.prepare<[string]>(
      'UPDATE rate_limits SET count = count - 1 WHERE key = ? AND count > 0',
    );
    this.remove = db.prepare<[string]>('DELETE FROM rate_limits WHERE key = ?');
    this.removeSome = db.prepare<[string, string, string]>(
      `DELETE FROM rate_limits WHERE key IN (SELECT value FROM json_each(?))
         OR substr(key, -length(?)) = ?`,
    );
    // A batch at a time (by the reset_at index), so one prune never holds the write lock for long.
    this.removeEnded = db.prepare<[number]>(
      `DELETE FROM rate_limits WHERE key IN
         (SELECT key FROM rate_limits WHERE reset_at < ? LIMIT ${PRUNE_BATCH})`,
    );
  }

  increment(key: string, windowMs: number): Promise<{ count: number; resetAt: Date }> {
    return run(() => {
      const now = Date.now();
      const row = this.hit.get({ key, now, resetAt: now + windowMs })!;
      if (shouldSweep()) setImmediate(() => void this.prune(pruneAge()).catch(() => undefined));
      return { count: row.count, resetAt: new Date(row.reset_at) };
    });
  }

  decrement(key: string): Promise<void> {
    return run(() => {
      this.takeBack.run(key);
    });
  }

  reset(key: string): Promise<void> {
    return run(() => {
      this.remove.run(key);
    });
  }

  removeKeys(keys: string[], endingWith: string): Promise<number> {
    return run(() => this.removeSome.run(JSON.stringify(keys), endingWith, endingWith).changes);
  }

  prune(before: Date): Promise<number> {
    return pruneInBatches(() => run(() => this.removeEnded.run(before.getTime()).changes));
  }
}
