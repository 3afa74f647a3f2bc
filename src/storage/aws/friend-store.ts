import type { ResultSetHeader, RowDataPacket } from 'mysql2/promise';
import { Conflict } from '../../domain/errors';
import { requestEventId } from '../../domain/activity';
import type { Friend, FriendRequest, FriendRequestStatus, RequestEventOf, UserId } from '../../domain/types';
import type { FriendStore } from '../../ports';
import { messages, SELECT_REQUEST, toFriend, toRequest, type FriendRow, type RequestRow } from '../sql-rows';
import type { ActivityItems } from './activity-items';
import type { MysqlClient, Sql } from './mysql-client';

type Row<T> = T & RowDataPacket;

/** How long a worker keeps a user's friend ids (ports.ts FriendStore.friendIds says what that allows). */
export const FRIEND_IDS_TTL_MS = 5_000;

/** The most users whose friend ids one worker keeps; past it the oldest entry goes. */
const MAX_FRIEND_IDS_CACHED = 10_000;

/**
 * This worker's copies of friendIds answers, each for FRIEND_IDS_TTL_MS. Every friendship write
 * of the store clears them all (`changed`), and an answer read while a write was under way is not
 * kept, so a change made through this worker shows at once.
 */
class FriendIdsCache {
  private readonly entries = new Map<UserId, { ids: UserId[]; until: number }>();
  private generation = 0;

  async get(userId: UserId, read: () => Promise<UserId[]>): Promise<UserId[]> {
    const now = Date.now();
    const kept = this.entries.get(userId);
    if (kept && now < kept.until) return [...kept.ids];
    const startedAt = this.generation;
    const ids = await read();
    if (startedAt === this.generation) {
      this.entries.delete(userId);
      this.entries.set(userId, { ids, until: now + FRIEND_IDS_TTL_MS });
      if (this.entries.size > MAX_FRIEND_IDS_CACHED) this.entries.delete(this.entries.keys().next().value!);
    }
    return [...ids];
  }

  /** Called before and after each write: a read that overlaps the write is not kept. */
  changed(): void {
    this.generation++;
    this.entries.clear();
  }

  /** Runs a friendship write, clearing the copies on both sides of it. */
  async writing<T>(write: () => Promise<T>): Promise<T> {
    this.changed();
    try {
      return await write();
    } finally {
      this.changed();
    }
  }
}

/**
 * Friend requests and friendships in MySQL. The unique key on the generated (user_low,
 * user_high) pair keeps one row per unordered pair, whichever direction two racing requests take.
 * friendIds answers are kept per worker for FRIEND_IDS_TTL_MS (FriendIdsCache).
 *
 * Their activity events live in DynamoDB, which no MySQL transaction spans: each is written (or
 * deleted, by the key made from the row, domain/activity.ts) inside the MySQL transaction of its
 * act, before the commit. A failed event write rolls the act back (nothing changed); only a
 * commit that fails after it can leave an event without its act.
 */
export class MysqlFriendStore implements FriendStore {
  private readonly friendIdsCache = new FriendIdsCache();

  constructor(
    private readonly db: MysqlClient,
    private readonly events: ActivityItems,
  ) {}

  ping(): Promise<void> {
    return this.db.ping();
  }

  async create(requesterId: UserId, receiverId: UserId, eventOf?: RequestEventOf): Promise<FriendRequest> {
    try {
      return await this.db.transaction(async (tx) => {
        const result = await tx.query<ResultSetHeader>(
          "INSERT INTO friend_requests (requester_id, receiver_id, status, created_at) VALUES (?, ?, 'pending', NOW(3))",
          [requesterId, receiverId],
        );
        const created = await selectById(tx, result.insertId);
        if (!created) throw new Error(`friend request ${result.insertId} vanished inside its transaction`);
        if (eventOf) await this.events.write([eventOf(created)]);
        return created;
      });
    } catch (err) {
      if (err instanceof Conflict) throw new Conflict(messages.requestExists, 'friend_request_exists');
      throw err;
    }
  }

  findById(id: number): Promise<FriendRequest | null> {
    return selectById(this.db, id);
  }

  async findBetween(a: UserId, b: UserId): Promise<FriendRequest | null> {
    const [row] = await this.db.query<Row<RequestRow>[]>(
      `${SELECT_REQUEST} WHERE f.user_low = ? AND f.user_high = ?`,
      [Math.min(a, b), Math.max(a, b)],
    );
    return row ? toRequest(row) : null;
  }

  accept(id: number, eventOf?: RequestEventOf): Promise<FriendRequest | null> {
    return this.friendIdsCache.writing(() => this.acceptRow(id, eventOf));
  }

  private acceptRow(id: number, eventOf?: RequestEventOf): Promise<FriendRequest | null> {
    return this.db.transaction(async (tx) => {
      const result = await tx.query<ResultSetHeader>(
        "UPDATE friend_requests SET status = 'accepted', responded_at = NOW(3) WHERE id = ? AND status = 'pending'",
        [id],
      );
      if (result.affectedRows !== 1) return null;
      const accepted = await selectById(tx, id);
      if (accepted && eventOf) await this.events.write([eventOf(accepted)]);
      return accepted;
    });
  }

  /** A pending request's event (the receiver's, keyed by the request's number and time) goes with it. */
  remove(id: number, status: FriendRequestStatus): Promise<boolean> {
    return this.friendIdsCache.writing(() =>
      this.db.transaction(async (tx) => {
        const row = await selectById(tx, id);
        const result = await tx.query<ResultSetHeader>(
          'DELETE FROM friend_requests WHERE id = ? AND status = ?',
          [id, status],
        );
        if (result.affectedRows === 0) return false;
        if (status === 'pending' && row) {
          await this.events.remove([
            { recipientId: row.receiverId, eventId: requestEventId(row.id, row.createdAt) },
          ]);
        }
        return true;
      }),
    );
  }

  async listPending(userId: UserId, direction: 'incoming' | 'outgoing'): Promise<FriendRequest[]> {
    const column = direction === 'incoming' ? 'f.receiver_id' : 'f.requester_id';
    // Ids grow with time, so the highest id is the newest request.
    const rows = await this.db.query<Row<RequestRow>[]>(
      `${SELECT_REQUEST} WHERE ${column} = ? AND f.status = 'pending' ORDER BY f.id DESC`,
      [userId],
    );
    return rows.map(toRequest);
  }

  async countIncoming(userId: UserId): Promise<number> {
    const [row] = await this.db.query<RowDataPacket[]>(
      "SELECT COUNT(*) AS n FROM friend_requests WHERE receiver_id = ? AND status = 'pending'",
      [userId],
    );
    return Number(row?.n ?? 0);
  }

  async listFriends(userId: UserId): Promise<Friend[]> {
    // Two index lookups (as requester, as receiver) rather than one OR that would scan.
    const rows = await this.db.query<Row<FriendRow>[]>(
      `SELECT u.id, u.username, u.username_lower, COALESCE(f.responded_at, f.created_at) AS since
         FROM friend_requests f JOIN users u ON u.id = f.receiver_id
         WHERE f.requester_id = ? AND f.status = 'accepted'
       UNION ALL
       SELECT u.id, u.username, u.username_lower, COALESCE(f.responded_at, f.created_at) AS since
         FROM friend_requests f JOIN users u ON u.id = f.requester_id
         WHERE f.receiver_id = ? AND f.status = 'accepted'
       ORDER BY username_lower, id`,
      [userId, userId],
    );
    // An accepted row always has its response time; created_at stands in should one lack it (COALESCE).
    return rows.map(toFriend);
  }

  friendIds(userId: UserId): Promise<UserId[]> {
    return this.friendIdsCache.get(userId, () => this.readFriendIds(userId));
  }

  private async readFriendIds(userId: UserId): Promise<UserId[]> {
    const rows = await this.db.query<RowDataPacket[]>(
      `SELECT receiver_id AS id FROM friend_requests WHERE requester_id = ? AND status = 'accepted'
       UNION ALL
       SELECT requester_id AS id FROM friend_requests WHERE receiver_id = ? AND status = 'accepted'`,
      [userId, userId],
    );
    return rows.map((row) => Number(row.id));
  }
}

async function selectById(sql: Sql, id: number): Promise<FriendRequest | null> {
  const [row] = await sql.query<Row<RequestRow>[]>(`${SELECT_REQUEST} WHERE f.id = ?`, [id]);
  return row ? toRequest(row) : null;
}
