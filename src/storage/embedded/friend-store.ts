import { Conflict } from '../../domain/errors';
import type { Friend, FriendRequest, FriendRequestStatus, RequestEventOf, UserId } from '../../domain/types';
import type { FriendStore } from '../../ports';
import { messages, SELECT_REQUEST, toFriend, toRequest, type FriendRow, type RequestRow } from '../sql-rows';
import { SqliteActivityRows } from './activity-rows';
import { run, type SqliteClient } from './sqlite-client';

export class SqliteFriendStore implements FriendStore {
  readonly ping: () => Promise<void>;
  private readonly insert;
  private readonly byId;
  private readonly byPair;
  private readonly markAccepted;
  private readonly removeWithStatus;
  private readonly incoming;
  private readonly outgoing;
  private readonly incomingCount;
  private readonly friends;
  private readonly ids;
  private readonly acceptTx;
  private readonly createTx;
  private readonly removeTx;
  private readonly events: SqliteActivityRows;

  constructor(db: SqliteClient) {
    this.ping = db.pinger();
    this.insert = db.prepare<[number, number, number], { id: number }>(
      `INSERT INTO friend_requests (requester_id, receiver_id, status, created_at)
       VALUES (?, ?, 'pending', ?) RETURNING id`,
    );
    this.byId = db.prepare<[number], RequestRow>(`${SELECT_REQUEST} WHERE f.id = ?`);
    this.byPair = db.prepare<{ a: number; b: number }, RequestRow>(
      `${SELECT_REQUEST} WHERE f.user_low = min(:a, :b) AND f.user_high = max(:a, :b)`,
    );
    this.markAccepted = db.prepare<[number, number]>(
      "UPDATE friend_requests SET status = 'accepted', responded_at = ? WHERE id = ? AND status = 'pending'",
    );
    this.removeWithStatus = db.prepare<[number, FriendRequestStatus]>(
      'DELETE FROM friend_requests WHERE id = ? AND status = ?',
    );
    this.incoming = db.prepare<[number], RequestRow>(
      `${SELECT_REQUEST} WHERE f.receiver_id = ? AND f.status = 'pending' ORDER BY f.created_at DESC, f.id DESC`,
    );
    this.outgoing = db.prepare<[number], RequestRow>(
      `${SELECT_REQUEST} WHERE f.requester_id = ? AND f.status = 'pending' ORDER BY f.created_at DESC, f.id DESC`,
    );
    this.incomingCount = db
      .prepare<[number], number>(
        "SELECT count(*) FROM friend_requests WHERE receiver_id = ? AND status = 'pending'",
      )
      .pluck();
    this.friends = db.prepare<{ user: number }, FriendRow>(
      `SELECT * FROM (
         SELECT u.id, u.username, f.responded_at AS since
         FROM friend_requests f JOIN users u ON u.id = f.receiver_id
         WHERE f.requester_id = :user AND f.status = 'accepted'
         UNION ALL
         SELECT u.id, u.username, f.responded_at AS since
         FROM friend_requests f JOIN users u ON u.id = f.requester_id
         WHERE f.receiver_id = :user AND f.status = 'accepted'
       ) ORDER BY username COLLATE NOCASE, id`,
    );
    this.ids = db
      .prepare<{ user: number }, number>(
        `SELECT receiver_id FROM friend_requests WHERE requester_id = :user AND status = 'accepted'
         UNION ALL
         SELECT requester_id FROM friend_requests WHERE receiver_id = :user AND status = 'accepted'`,
      )
      .pluck();
    this.events = new SqliteActivityRows(db);
    // The row and the event made from it, in one transaction.
    this.createTx = db.transaction(
      (requesterId: UserId, receiverId: UserId, eventOf?: RequestEventOf): FriendRequest => {
        const { id } = this.insert.get(requesterId, receiverId, Date.now())!;
        const request = toRequest(this.byId.get(id)!);
        if (eventOf) this.events.add([eventOf(request)]);
        return request;
      },
    );
    this.acceptTx = db.transaction((id: number, eventOf?: RequestEventOf): FriendRequest | undefined => {
      if (this.markAccepted.run(Date.now(), id).changes !== 1) return undefined;
      const request = toRequest(this.byId.get(id)!);
      if (eventOf) this.events.add([eventOf(request)]);
      return request;
    });
    this.removeTx = db.transaction((id: number, status: FriendRequestStatus): boolean => {
      if (this.removeWithStatus.run(id, status).changes === 0) return false;
      if (status === 'pending') this.events.deleteRequest(id);
      return true;
    });
  }

  create(requesterId: UserId, receiverId: UserId, eventOf?: RequestEventOf): Promise<FriendRequest> {
    return run(
      () => this.createTx.immediate(requesterId, receiverId, eventOf),
      (err) =>
        err instanceof Conflict ? new Conflict(messages.requestExists, 'friend_request_exists') : undefined,
    );
  }

  findById(id: number): Promise<FriendRequest | null> {
    return run(() => {
      const row = this.byId.get(id);
      return row ? toRequest(row) : null;
    });
  }

  findBetween(a: UserId, b: UserId): Promise<FriendRequest | null> {
    return run(() => {
      const row = this.byPair.get({ a, b });
      return row ? toRequest(row) : null;
    });
  }

  accept(id: number, eventOf?: RequestEventOf): Promise<FriendRequest | null> {
    return run(() => this.acceptTx.immediate(id, eventOf) ?? null);
  }

  remove(id: number, status: FriendRequestStatus): Promise<boolean> {
    return run(() => this.removeTx.immediate(id, status));
  }

  listPending(userId: UserId, direction: 'incoming' | 'outgoing'): Promise<FriendRequest[]> {
    const statement = direction === 'incoming' ? this.incoming : this.outgoing;
    return run(() => statement.all(userId).map(toRequest));
  }

  countIncoming(userId: UserId): Promise<number> {
    return run(() => this.incomingCount.get(userId)!);
  }

  listFriends(userId: UserId): Promise<Friend[]> {
    return run(() => this.friends.all({ user: userId }).map(toFriend));
  }

  friendIds(userId: UserId): Promise<UserId[]> {
    return run(() => this.ids.all({ user: userId }));
  }
}
