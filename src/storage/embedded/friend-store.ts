import { Conflict } from '../../domain/errors';
import type { Friend, FriendRequest, FriendRequestStatus, UserId } from '../../domain/types';
import type { FriendStore } from '../../ports';
import { messages, SELECT_REQUEST, toFriend, toRequest, type FriendRow, type RequestRow } from '../sql-rows';
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
    this.createTx = db.transaction((requesterId: UserId, receiverId: UserId): RequestRow => {
      const { id } = this.insert.get(requesterId, receiverId, Date.now())!;
      return this.byId.get(id)!;
    });
    this.acceptTx = db.transaction((id: number): RequestRow | undefined =>
      this.markAccepted.run(Date.now(), id).changes === 1 ? this.byId.get(id) : undefined,
    );
  }

  create(requesterId: UserId, receiverId: UserId): Promise<FriendRequest> {
    return run(
      () => toRequest(this.createTx.immediate(requesterId, receiverId)),
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

  accept(id: number): Promise<FriendRequest | null> {
    return run(() => {
      const row = this.acceptTx.immediate(id);
      return row ? toRequest(row) : null;
    });
  }

  remove(id: number, status: FriendRequestStatus): Promise<boolean> {
    return run(() => this.removeWithStatus.run(id, status).changes > 0);
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
