import { photoTerms } from '../../domain/search';
import type { ImageKeys, NewPhoto, Page, PageRequest, Photo, PhotoEdit, UserId } from '../../domain/types';
import type { ActivityEvent, MentionChange } from '../../domain/types';
import type {
  BadgeStore,
  LikedPhoto,
  Liker,
  LikeResult,
  OwnersPage,
  PhotoStore,
  UnreadCounts,
} from '../../ports';
import { byId, toPage } from '../paging';
import { SqliteActivityRows } from './activity-rows';
import { run, type SqliteClient, type SqlStatement } from './sqlite-client';
import { SqliteRequestKeys } from './request-keys';

interface PhotoRow {
  id: string;
  user_id: number;
  username: string;
  topic: string | null;
  caption: string;
  alt: string | null;
  created_at: number;
  edited_at: number | null;
  likes: number;
  comment_count: number;
  width: number;
  height: number;
  full_key: string;
  medium_key: string | null;
  thumb_key: string;
  content_type: string;
}

const toPhoto = (row: PhotoRow): Photo => ({
  id: row.id,
  userId: row.user_id,
  username: row.username,
  topic: row.topic,
  caption: row.caption,
  alt: row.alt,
  createdAt: new Date(row.created_at),
  editedAt: row.edited_at === null ? null : new Date(row.edited_at),
  likes: row.likes,
  commentCount: row.comment_count,
  width: row.width,
  height: row.height,
  keys: { full: row.full_key, medium: row.medium_key, thumb: row.thumb_key },
  contentType: row.content_type,
});

/** Sorts after every ULID, so "older than NEWEST" means "from the start". */
const NEWEST = '~';

export class SqlitePhotoStore implements PhotoStore {
  readonly ping: () => Promise<void>;
  private readonly searches = new Map<string, SqlStatement<(string | number)[], PhotoRow>>();
  private readonly insertPhoto;
  private readonly insertTerm;
  private readonly byId;
  private readonly removePhoto;
  private readonly idsOfOwner;
  private readonly byIds;
  private readonly newest;
  private readonly likedAmong;
  private readonly insertLike;
  private readonly removeLike;
  private readonly likesOf;
  private readonly addLikes;
  private readonly updateText;
  private readonly removeTerms;
  private readonly updateKeys;
  private readonly countOfOwner;
  private readonly requestKeys: SqliteRequestKeys;
  private readonly events: SqliteActivityRows;
  private readonly likersPage;
  private readonly likedPage;
  private readonly createTx;
  private readonly editTx;
  private readonly deleteTx;
  private readonly recordDelete;
  private readonly deleteRecord;
  private readonly forgetDelete;
  private readonly deletesBefore;
  private readonly ownersTx;
  private readonly likeTx;
  private readonly unlikeTx;

  constructor(
    private readonly db: SqliteClient,
    /** The viewer's badges, for the photo page's read (getWithLikeAndUnread). */
    private readonly badges: BadgeStore,
  ) {
    this.ping = db.pinger();
    this.insertPhoto = db.prepare<[PhotoRow]>(
      `INSERT INTO photos (id, user_id, username, topic, caption, alt, created_at, edited_at, likes,
                           comment_count, width, height, full_key, medium_key, thumb_key, content_type)
       VALUES (:id, :user_id, :username, :topic, :caption, :alt, :created_at, NULL, 0,
               0, :width, :height, :full_key, :medium_key, :thumb_key, :content_type)`,
    );
    this.insertTerm = db.prepare<[string, string, number]>(
      'INSERT OR IGNORE INTO photo_terms (term, photo_id, user_id) VALUES (?, ?, ?)',
    );
    this.byId = db.prepare<[string], PhotoRow>('SELECT * FROM photos WHERE id = ?');
    // Likes and terms go with the photo (ON DELETE CASCADE).
    this.removePhoto = db.prepare<[string]>('DELETE FROM photos WHERE id = ?');
    // Ids only, from the covering index photos_owner (user_id, id): no photo row is read.
    this.idsOfOwner = db
      .prepare<[number, string, number], string>(
        'SELECT id FROM photos WHERE user_id = ? AND id < ? ORDER BY id DESC LIMIT +?',
      )
      .pluck();
    // Primary-key lookups in the order of the (sorted) id list, newest first.
    this.byIds = db.prepare<[string], PhotoRow>(
      'SELECT * FROM photos WHERE id IN (SELECT value FROM json_each(?)) ORDER BY id DESC',
    );
    this.newest = db.prepare<[string, number], PhotoRow>(
      'SELECT * FROM photos WHERE id < ? ORDER BY id DESC LIMIT +?',
    );
    this.likedAmong = db
      .prepare<[number, string], string>(
        'SELECT photo_id FROM likes WHERE user_id = ? AND photo_id IN (SELECT value FROM json_each(?))',
      )
      .pluck();
    this.insertLike = db.prepare<[string, number, number]>(
      'INSERT OR IGNORE INTO likes (photo_id, user_id, created_at) VALUES (?, ?, ?)',
    );
    this.removeLike = db.prepare<[string, number]>('DELETE FROM likes WHERE photo_id = ? AND user_id = ?');
    this.likesOf = db.prepare<[string], number>('SELECT likes FROM photos WHERE id = ?').pluck();
    this.addLikes = db
      .prepare<[number, string], number>(
        'UPDATE photos SET likes = max(likes + ?, 0) WHERE id = ? RETURNING likes',
      )
      .pluck();

    this.updateText = db.prepare<[PhotoEdit & { id: string; edited_at: number }], PhotoRow>(
      `UPDATE photos SET caption = :caption, topic = :topic, alt = :alt, edited_at = :edited_at
       WHERE id = :id RETURNING *`,
    );
    this.likersPage = db.prepare<[string, number, number, number], { user_id: number; created_at: number }>(
      `SELECT user_id, created_at FROM likes WHERE photo_id = ? AND (created_at, user_id) < (?, ?)
       ORDER BY created_at DESC, user_id DESC LIMIT +?`,
    );
    this.likedPage = db.prepare<[number, string, number], { photo_id: string; created_at: number }>(
      'SELECT photo_id, created_at FROM likes WHERE user_id = ? AND photo_id < ? ORDER BY photo_id DESC LIMIT +?',
    );
    this.removeTerms = db.prepare<[string]>('DELETE FROM photo_terms WHERE photo_id = ?');
    this.updateKeys = db.prepare<[string | null, string, string]>(
      'UPDATE photos SET medium_key = ?, thumb_key = ? WHERE id = ?',
    );
    this.countOfOwner = db.prepare<[number], number>('SELECT count(*) FROM photos WHERE user_id = ?').pluck();

    // With a request key used before, the photo stored then (if it is still there) instead.
    this.requestKeys = new SqliteRequestKeys(db);
    this.events = new SqliteActivityRows(db);
    this.createTx = db.transaction(
      (photo: NewPhoto, requestKey: string | undefined, events: ActivityEvent[]): PhotoRow | undefined => {
        if (requestKey) {
          const earlier = this.requestKeys.find(photo.userId, 'photo', requestKey);
          const row = earlier && this.byId.get(earlier.targetId);
          if (row) return row;
          this.requestKeys.record(photo.userId, 'photo', requestKey, { parentId: '', targetId: photo.id });
        }
        this.insertPhoto.run(toRow(photo));
        for (const term of photoTerms(photo)) this.insertTerm.run(term, photo.id, photo.userId);
        this.events.add(events);
        return undefined;
      },
    );
    // The text and the search terms change in one transaction: no search sees old terms on new text.
    // So do the mention events.
    this.editTx = db.transaction(
      (id: string, edit: PhotoEdit, editedAt: Date, mentions?: MentionChange): PhotoRow | undefined => {
        const row = this.updateText.get({ id, ...edit, edited_at: editedAt.getTime() });
        if (!row) return undefined;
        this.removeTerms.run(id);
        for (const term of photoTerms(toPhoto(row))) this.insertTerm.run(term, id, row.user_id);
        if (mentions) {
          this.events.deleteCaptionMentions(id, mentions.remove);
          this.events.add(mentions.add);
        }
        return row;
      },
    );
    this.recordDelete = db.prepare<[string, string, number]>(
      'INSERT OR REPLACE INTO photo_deletes (photo_id, photo, deleted_at) VALUES (?, ?, ?)',
    );
    this.deleteRecord = db
      .prepare<[string], string>('SELECT photo FROM photo_deletes WHERE photo_id = ?')
      .pluck();
    this.forgetDelete = db.prepare<[string]>('DELETE FROM photo_deletes WHERE photo_id = ?');
    this.deletesBefore = db
      .prepare<[number], string>('SELECT photo FROM photo_deletes WHERE deleted_at < ? ORDER BY photo_id')
      .pluck();
    // The row goes (its terms and likes with it, by foreign key) with every event about the photo
    // (its likes', comments', caption's), and the delete's record comes, in one transaction; of a
    // photo already gone, the record's row.
    this.deleteTx = db.transaction((id: string): PhotoRow | undefined => {
      const row = this.byId.get(id);
      if (!row) {
        const recorded = this.deleteRecord.get(id);
        return recorded === undefined ? undefined : (JSON.parse(recorded) as PhotoRow);
      }
      this.removePhoto.run(id);
      this.events.deletePhoto(id);
      this.recordDelete.run(id, JSON.stringify(row), Date.now());
      return row;
    });
    // One read transaction, so the per-owner queries and the fetch see one snapshot.
    this.ownersTx = db.transaction((ownerIds: UserId[], page: PageRequest): Page<PhotoRow> => {
      const want = page.limit + 1;
      const before = page.before ?? NEWEST;
      const ids = mergeNewest(
        ownerIds.map((owner) => this.idsOfOwner.all(owner, before, want)),
        want,
      );
      // The extra id only says there is a next page: its row is not needed.
      const pageIds = ids.slice(0, page.limit);
      const rows = pageIds.length === 0 ? [] : this.byIds.all(JSON.stringify(pageIds));
      return { items: rows, next: ids.length > page.limit ? (pageIds.at(-1) ?? null) : null };
    });
    // A like and its event, an unlike and the event's removal: one transaction each.
    this.likeTx = db.transaction(
      (photoId: string, userId: UserId, event: ActivityEvent | null): LikeResult | null => {
        const likes = this.likesOf.get(photoId);
        if (likes === undefined) return null;
        if (this.insertLike.run(photoId, userId, Date.now()).changes === 0) return { likes, liked: true };
        if (event) this.events.add([event]);
        return { likes: this.addLikes.get(1, photoId)!, liked: true };
      },
    );
    this.unlikeTx = db.transaction((photoId: string, userId: UserId): LikeResult | null => {
      const likes = this.likesOf.get(photoId);
      if (likes === undefined) return null;
      if (this.removeLike.run(photoId, userId).changes === 0) return { likes, liked: false };
      this.events.deleteLike(photoId, userId);
      return { likes: this.addLikes.get(-1, photoId)!, liked: false };
    });
  }

  create(photo: NewPhoto, requestKey?: string, events: ActivityEvent[] = []): Promise<Photo> {
    return run(() => {
      const earlier = this.createTx.immediate(photo, requestKey, events);
      return earlier ? toPhoto(earlier) : { ...photo, editedAt: null, likes: 0, commentCount: 0 };
    });
  }

  byRequestKey(userId: UserId, requestKey: string): Promise<Photo | null> {
    return run(() => {
      const earlier = this.requestKeys.find(userId, 'photo', requestKey);
      const row = earlier && this.byId.get(earlier.targetId);
      return row ? toPhoto(row) : null;
    });
  }

  removeRequestKeysOf(userId: UserId): Promise<number> {
    return this.requestKeys.removeAllOf(userId, 'photo');
  }

  get(id: string): Promise<Photo | null> {
    return run(() => {
      const row = this.byId.get(id);
      return row ? toPhoto(row) : null;
    });
  }

  getWithLike(id: string, viewerId: UserId): Promise<{ photo: Photo; liked: boolean } | null> {
    return run(() => {
      const row = this.byId.get(id);
      return row ? { photo: toPhoto(row), liked: this.likedAmongPage(viewerId, [id]).has(id) } : null;
    });
  }

  async getWithLikeAndUnread(
    id: string,
    viewerId: UserId,
    activityCap: number,
  ): Promise<{ found: { photo: Photo; liked: boolean } | null; unread: UnreadCounts }> {
    const [found, unread] = await Promise.all([
      this.getWithLike(id, viewerId),
      this.badges.unread(viewerId, activityCap),
    ]);
    return { found, unread };
  }

  delete(id: string): Promise<Photo | null> {
    return run(() => {
      const row = this.deleteTx.immediate(id);
      return row ? toPhoto(row) : null;
    });
  }

  finishDelete(id: string): Promise<void> {
    return run(() => {
      this.forgetDelete.run(id);
    });
  }

  unfinishedDeletes(startedBefore: Date): Promise<Photo[]> {
    return run(() =>
      this.deletesBefore.all(startedBefore.getTime()).map((json) => toPhoto(JSON.parse(json) as PhotoRow)),
    );
  }

  /**
   * The DynamoDB shape: each owner's ids from the (user_id, id) index (page + 1 each, newest
   * first), merged by id, then the page's rows in one statement. The cost follows the page size
   * and the number of owners, not how many photos they have, and only the page's rows are read.
   */
  listByOwners(ownerIds: UserId[], page: PageRequest, viewerId?: UserId): Promise<OwnersPage> {
    return run(() => {
      const owners = [...new Set(ownerIds)];
      if (owners.length === 0)
        return { items: [], next: null, ...(viewerId !== undefined ? { liked: new Set<string>() } : {}) };
      const { items, next } = this.ownersTx.deferred(owners, page);
      const photos = items.map(toPhoto);
      if (viewerId === undefined) return { items: photos, next };
      return {
        items: photos,
        next,
        liked: this.likedAmongPage(
          viewerId,
          photos.map((p) => p.id),
        ),
      };
    });
  }

  /** A count over the (user_id, id) index. */
  countByOwner(userId: UserId): Promise<number> {
    return run(() => this.countOfOwner.get(userId) ?? 0);
  }

  listAll(page: PageRequest): Promise<Page<Photo>> {
    return run(() =>
      toPage(this.newest.all(page.before ?? NEWEST, page.limit + 1).map(toPhoto), page.limit, byId),
    );
  }

  /**
   * Walks the first term's index entries newest first and keeps the photos that carry every
   * other term (a primary-key lookup each), so no photo row is read unless it matches.
   */
  search(terms: string[], ownerIds: UserId[] | undefined, page: PageRequest): Promise<Page<Photo>> {
    return run(() => {
      const [first, ...rest] = [...new Set(terms)];
      if (first === undefined || ownerIds?.length === 0) return { items: [], next: null };
      const params: (string | number)[] = [first, page.before ?? NEWEST, ...rest];
      if (ownerIds) params.push(JSON.stringify([...new Set(ownerIds)]));
      params.push(page.limit + 1);
      const rows = this.searchStatement(rest.length, ownerIds !== undefined).all(...params);
      return toPage(rows.map(toPhoto), page.limit, byId);
    });
  }

  likedBy(userId: UserId, photoIds: string[]): Promise<Set<string>> {
    return run(() => this.likedAmongPage(userId, photoIds));
  }

  private likedAmongPage(userId: UserId, photoIds: string[]): Set<string> {
    return new Set(photoIds.length === 0 ? [] : this.likedAmong.all(userId, JSON.stringify(photoIds)));
  }

  like(photoId: string, userId: UserId, event: ActivityEvent | null = null): Promise<LikeResult | null> {
    return run(() => this.likeTx.immediate(photoId, userId, event));
  }

  unlike(photoId: string, userId: UserId): Promise<LikeResult | null> {
    return run(() => this.unlikeTx.immediate(photoId, userId));
  }

  update(id: string, edit: PhotoEdit, editedAt: Date, mentions?: MentionChange): Promise<Photo | null> {
    return run(() => {
      const row = this.editTx.immediate(id, edit, editedAt, mentions);
      return row ? toPhoto(row) : null;
    });
  }

  likers(photoId: string, page: PageRequest): Promise<Page<Liker>> {
    return run(() => {
      const [ms, user] = page.before ? page.before.split('.').map(Number) : [Number.MAX_SAFE_INTEGER, 0];
      const rows = this.likersPage.all(photoId, ms!, user!, page.limit + 1);
      const items = rows
        .slice(0, page.limit)
        .map((r) => ({ userId: r.user_id, likedAt: new Date(r.created_at) }));
      const last = items.at(-1);
      return {
        items,
        next: rows.length > page.limit && last ? `${last.likedAt.getTime()}.${last.userId}` : null,
      };
    });
  }

  /** Walks the index likes_user (user_id, photo_id). */
  likedPhotos(userId: UserId, page: PageRequest): Promise<Page<LikedPhoto>> {
    return run(() =>
      toPage(
        this.likedPage
          .all(userId, page.before ?? NEWEST, page.limit + 1)
          .map((r) => ({ photoId: r.photo_id, likedAt: new Date(r.created_at) })),
        page.limit,
        (l) => l.photoId,
      ),
    );
  }

  setImageKeys(id: string, keys: ImageKeys): Promise<boolean> {
    return run(() => this.updateKeys.run(keys.medium, keys.thumb, id).changes > 0);
  }

  /** One prepared statement per shape (number of extra terms, owner filter or not), made on first use. */
  private searchStatement(extraTerms: number, byOwner: boolean): SqlStatement<(string | number)[], PhotoRow> {
    const key = `${extraTerms}:${byOwner}`;
    let statement = this.searches.get(key);
    if (!statement) {
      const clauses = [
        't.term = ?',
        't.photo_id < ?',
        ...Array.from(
          { length: extraTerms },
          () => 'EXISTS (SELECT 1 FROM photo_terms o WHERE o.term = ? AND o.photo_id = t.photo_id)',
        ),
        ...(byOwner ? ['t.user_id IN (SELECT value FROM json_each(?))'] : []),
      ];
      statement = this.db.prepare<(string | number)[], PhotoRow>(
        `SELECT p.* FROM photo_terms t JOIN photos p ON p.id = t.photo_id
         WHERE ${clauses.join(' AND ')}
         ORDER BY t.photo_id DESC LIMIT +?`,
      );
      this.searches.set(key, statement);
    }
    return statement;
  }
}

/**
 * The `take` newest ids of lists that are each newest first (ids are unique across them), newest
 * first: a k-way merge, so 11 owners' pages cost about a page of comparisons, not a sort of all.
 */
function mergeNewest(lists: string[][], take: number): string[] {
  const heads = lists.map(() => 0);
  const merged: string[] = [];
  while (merged.length < take) {
    let best = -1;
    let bestId = '';
    for (let i = 0; i < lists.length; i++) {
      const id = lists[i]![heads[i]!];
      if (id !== undefined && (best < 0 || id > bestId)) {
        best = i;
        bestId = id;
      }
    }
    if (best < 0) break;
    merged.push(bestId);
    heads[best] = heads[best]! + 1;
  }
  return merged;
}

function toRow(photo: NewPhoto): PhotoRow {
  return {
    id: photo.id,
    user_id: photo.userId,
    username: photo.username,
    topic: photo.topic,
    caption: photo.caption,
    alt: photo.alt,
    created_at: photo.createdAt.getTime(),
    edited_at: null,
    likes: 0,
    comment_count: 0,
    width: photo.width,
    height: photo.height,
    full_key: photo.keys.full,
    medium_key: photo.keys.medium,
    thumb_key: photo.keys.thumb,
    content_type: photo.contentType,
  };
}
