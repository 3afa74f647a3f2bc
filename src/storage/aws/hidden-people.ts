import type { RowDataPacket } from 'mysql2';
import type { UserId } from '../../domain/types';
import type { Sql } from './mysql-client';

/** How often each worker reads the set again: how late it learns of a change made by another. */
export const HIDDEN_REFRESH_MS = 5_000;

/**
 * Who is hidden from everyone: each one's id to their name within the set, the id and when their
 * state last changed, so the same person hidden again later has another name.
 */
export type HiddenSet = ReadonlyMap<UserId, string>;

/** Nobody hidden: the set before the first read, and for work that shows nobody a badge (setup). */
export const NOBODY: HiddenSet = new Map();

/** The name of the hidden people among `ids` ('' when none is hidden). */
export const hiddenAmong = (ids: Iterable<UserId>, hidden: HiddenSet): string =>
  [...ids]
    .filter((id) => hidden.has(id))
    .sort((a, b) => a - b)
    .map((id) => hidden.get(id))
    .join(',');

/**
 * The accounts hidden from everyone (suspended, or being deleted), for the badge counters
 * (badge-store.ts), which live in DynamoDB while the accounts' states are in MySQL. A rarely
 * changing fact, kept per worker: read at start and every HIDDEN_REFRESH_MS by a timer (never on
 * a request's path, so no request pays a MySQL call for it), and at once after this worker
 * changed a state (MysqlUserStore). Another worker's change shows here within HIDDEN_REFRESH_MS.
 * A failed read keeps the set last read.
 */
export class HiddenPeople {
  private known: HiddenSet = NOBODY;
  private reading: Promise<void> | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly db: Sql) {
    void this.refresh().catch(() => undefined);
    // A read still running (a slow MySQL) is not joined by another.
    this.timer = setInterval(() => {
      if (!this.reading) void this.refresh().catch(() => undefined);
    }, HIDDEN_REFRESH_MS);
    this.timer.unref();
  }

  /** The set as last read. */
  current(): HiddenSet {
    return this.known;
  }

  /** Reads the set again (one read at a time; a call during a read waits for a fresh one). */
  async refresh(): Promise<void> {
    while (this.reading) await this.reading.catch(() => undefined);
    this.reading = this.read().finally(() => (this.reading = undefined));
    return this.reading;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private async read(): Promise<void> {
    const rows = await this.db.query<RowDataPacket[]>(
      `SELECT id, DATE_FORMAT(state_changed_at, '%Y%m%d%H%i%s%f') AS changed
       FROM users WHERE state IN ('suspended', 'deleting') ORDER BY id`,
    );
    this.known = new Map(
      rows.map((row) => [Number(row.id), `${Number(row.id)}@${String(row.changed ?? '')}`]),
    );
  }
}
