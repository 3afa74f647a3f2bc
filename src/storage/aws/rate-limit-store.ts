import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import type { RateLimitStore } from '../../ports';
import { PRUNE_BATCH, pruneAge, pruneInBatches, shouldSweep } from '../rate-limit-sweep';
import type { MysqlClient } from './mysql-client';

interface CounterRow extends RowDataPacket {
  hits: number;
  reset_at: Date;
}

/**
 * Fixed-window counters in MySQL, shared by every worker and instance. Windows are timed by the
 * database's clock (NOW(3)), one clock for every instance.
 */
export class MysqlRateLimitStore implements RateLimitStore {
  constructor(private readonly db: MysqlClient) {}

  async increment(key: string, windowMs: number): Promise<{ count: number; resetAt: Date }> {
    const windowMicros = Math.max(1, Math.round(windowMs)) * 1000;
    const row = await this.db.transaction(async (tx) => {
      // One statement counts the hit, or starts a new window when the old one has ended. Its row
      // lock holds until commit, so the read below sees exactly this hit's result.
      // (Assignments run left to right: `reset_at` in the second IF is still the old value.)
      await tx.query<ResultSetHeader>(
        `INSERT INTO rate_limits (rl_key, hits, reset_at) VALUES (?, 1, NOW(3) + INTERVAL ? MICROSECOND)
         ON DUPLICATE KEY UPDATE
           hits = IF(reset_at <= NOW(3), 1, hits + 1),
           reset_at = IF(reset_at <= NOW(3), NOW(3) + INTERVAL ? MICROSECOND, reset_at)`,
        [key, windowMicros, windowMicros],
      );
      const [counter] = await tx.query<CounterRow[]>(
        'SELECT hits, reset_at FROM rate_limits WHERE rl_key = ?',
        [key],
      );
      return counter;
    });
    if (!row) throw new Error(`rate limit counter ${key} vanished inside its transaction`);
    if (shouldSweep()) this.prune(pruneAge()).catch(() => undefined);
    return { count: row.hits, resetAt: row.reset_at };
  }

  async decrement(key: string): Promise<void> {
    await this.db.query<ResultSetHeader>(
      'UPDATE rate_limits SET hits = hits - 1 WHERE rl_key = ? AND hits > 0',
      [key],
    );
  }

  async reset(key: string): Promise<void> {
    await this.db.query<ResultSetHeader>('DELETE FROM rate_limits WHERE rl_key = ?', [key]);
  }

  /** The keys one by one; the suffix by a walk of the table (small: pruned), no LIKE escaping needed. */
  async removeKeys(keys: string[], endingWith: string): Promise<number> {
    const exact =
      keys.length === 0
        ? 0
        : (await this.db.query<ResultSetHeader>('DELETE FROM rate_limits WHERE rl_key IN (?)', [keys]))
            .affectedRows;
    const { affectedRows } = await this.db.query<ResultSetHeader>(
      'DELETE FROM rate_limits WHERE RIGHT(rl_key, CHAR_LENGTH(?)) = ?',
      [endingWith, endingWith],
    );
    return exact + affectedRows;
  }

  /** A batch at a time (by the reset_at index), so one prune never holds many row locks for long. */
  prune(before: Date): Promise<number> {
    return pruneInBatches(async () => {
      const { affectedRows } = await this.db.query<ResultSetHeader>(
        `DELETE FROM rate_limits WHERE reset_at < ? LIMIT ${PRUNE_BATCH}`,
        [before],
      );
      return affectedRows;
    });
  }
}
