import { Conflict } from '../../domain/errors';
import { photoTerms } from '../../domain/search';
import type { ImageKeys, NewPhoto, Page, PageRequest, Photo, PhotoEdit, UserId } from '../../domain/types';
import type { ActivityEvent, MentionChange } from '../../domain/types';
import type { LikedPhoto, Liker, LikeResult, OwnersPage, PhotoStore, UnreadCounts } from '../../ports';
import { ActivityItems } from './activity-items';
import { AllFeed } from './all-feed';
import type { DynamoBadgeStore } from './badge-store';
import { Likes } from './likes';
import type { DynamoClient, Item, TransactItem } from './dynamo-client';
import {
  allFeedBucket,
  ENTITY,
  FEED_BUCKET_ATTRIBUTE,
  FEED_OWNER_ATTRIBUTE,
  feedMarkerKey,
  type ItemKey,
  likedKey,
  ownerIndexKey,
  PHOTO_DELETES_PARTITION,
  photoDeleteKey,
  photoKey,
  termKey,
} from './keys';
import { OwnerFeed } from './owner-feed';
import { mentionEventsOf, type PhotoItem, toPhoto, toPhotoItem } from './photo-item';
import { PhotoSearch } from './photo-search';
import { DynamoRequestKeys, keyRefused } from './request-keys';

/** DynamoDB allows at most 100 actions in one TransactWrite. */
const MAX_TRANSACTION_ITEMS = 100;

/**
 * The record of a delete about to begin: META's attributes under PHOTO_DELETES, without the keys
 * of any index (so no feed lists it), with its terms (worked out again for photos stored before
 * META kept them) and the time the delete began.
 */
function toDeleteRecord(item: Item): Item {
  const {
    PK: _pk,
    SK: _sk,
    GSI1PK: _g1pk,
    GSI1SK: _g1sk,
    [FEED_BUCKET_ATTRIBUTE]: _bucket,
    [FEED_OWNER_ATTRIBUTE]: _owner,
    ...rest
  } = item;
  const terms = Array.isArray(item.terms) ? (item.terms as string[]) : photoTerms(toPhoto(item));
  return {
    ...rest,
    ...photoDeleteKey(String(item.id)),
    type: ENTITY.photoDelete,
    terms: [...new Set(terms)],
    deleted_at: new Date().toISOString(),
  };
}

/**
 * Photos, likes, owners' index and search terms in lumina_photos. No Scan anywhere. Each list
 * is its own access pattern: all-feed.ts, owner-feed.ts, photo-search.ts.
 */
export class DynamoPhotoStore implements PhotoStore {
  private readonly allFeed: AllFeed;
  private readonly ownerFeed: OwnerFeed;
  private readonly terms: PhotoSearch;
  private readonly likes: Likes;
  private readonly events: ActivityItems;
  private readonly requestKeys: DynamoRequestKeys;

  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
    /** The viewer's badge counters, read beside the photo on its page (same table). */
    private readonly badges: DynamoBadgeStore,
  ) {
    this.requestKeys = new DynamoRequestKeys(db, table);
    this.allFeed = new AllFeed(db, table);
    this.likes = new Likes(db, table);
    this.ownerFeed = new OwnerFeed(db, table, this.likes);
    this.terms = new PhotoSearch(db, table);
    this.events = new ActivityItems(db, table);
  }

  async ping(): Promise<void> {
    await this.db.get({ TableName: this.table, Key: feedMarkerKey() });
  }

  /**
   * META and the owner's index item in one transaction (conditional on the id being new), with
   * the term items in the same transaction when they fit its 100 actions. Otherwise the terms
   * are batch-written first: a term entry whose META does not exist is skipped by search, so
   * the photo appears in no list until the transaction commits. With a request key, its
   * REQUEST item is put in the same transaction if absent; when it is there already, the photo
   * it names is returned and nothing is written.
   */
  async create(photo: NewPhoto, requestKey?: string, events: ActivityEvent[] = []): Promise<Photo> {
    const terms = photoTerms(photo);
    const meta: PhotoItem = {
      ...toPhotoItem(photo, terms, await this.allFeed.needsGsi1()),
      ...(events.length > 0
        ? { mention_events: Object.fromEntries(events.map((e) => [String(e.recipientId), e.id])) }
        : {}),
    };
    await this.allFeed.mark(allFeedBucket(photo.id));
    const termItems = terms.map((term) => ({
      ...termKey(term, photo.id),
      type: ENTITY.term,
      term,
      photo_id: photo.id,
      user_id: photo.userId,
    }));
    const core: Record<string, TransactItem | undefined> = {
      photo: { Put: { TableName: this.table, Item: meta, ConditionExpression: 'attribute_not_exists(PK)' } },
      owner: {
        Put: {
          TableName: this.table,
          Item: { ...ownerIndexKey(photo.userId, photo.id), type: ENTITY.ownerPhoto, photo_id: photo.id },
        },
      },
      ...this.requestKeys.writes(photo.userId, 'PHOTO', requestKey, { photo_id: photo.id }, photo.createdAt),
      ...this.events.puts('event', events),
    };
    let failed: Map<string, unknown> | null;
    if (Object.values(core).filter(Boolean).length + termItems.length <= MAX_TRANSACTION_ITEMS) {
      const termPuts = termItems.map((item): [string, TransactItem] => [
        `term:${item.term}`,
        { Put: { TableName: this.table, Item: item } },
      ]);
      failed = await this.db.transact({ ...core, ...Object.fromEntries(termPuts) });
    } else {
      await this.db.batchWrite(
        this.table,
        termItems.map((item) => ({ PutRequest: { Item: item } })),
      );
      failed = await this.db.transact(core);
    }
    if (requestKey && keyRefused(failed)) {
      const earlier = await this.madeWith(photo.userId, requestKey, failed);
      if (earlier) return earlier;
      throw new Conflict('This upload was made before, and its photo is gone.', 'photo_exists');
    }
    if (failed?.has('photo')) {
      // Ids are made fresh for each upload: a photo already stored under this id by this owner is
      // this one, whose first attempt landed though its answer was lost (and was sent again).
      const stored = await this.get(photo.id);
      if (stored?.userId === photo.userId) return stored;
      throw new Conflict('A photo with this id already exists.', 'photo_exists');
    }
    return { ...photo, editedAt: null, likes: 0, commentCount: 0 };
  }

  byRequestKey(userId: UserId, requestKey: string): Promise<Photo | null> {
    return this.madeWith(userId, requestKey);
  }

  removeRequestKeysOf(userId: UserId): Promise<number> {
    return this.requestKeys.removeAllOf(userId);
  }

  /** The photo a request with this key made (DynamoRequestKeys.find: after a refusal, the key that refused). */
  private async madeWith(
    userId: UserId,
    requestKey: string,
    refused?: ReadonlyMap<string, unknown> | null,
  ): Promise<Photo | null> {
    const key = await this.requestKeys.find(userId, 'PHOTO', requestKey, refused);
    return typeof key?.photo_id === 'string' ? this.get(key.photo_id) : null;
  }

  async get(id: string): Promise<Photo | null> {
    const item = await this.getMeta(id);
    return item ? toPhoto(item) : null;
  }

  /** META and the viewer's like item in one BatchGetItem (strongly consistent, like get). */
  async getWithLike(id: string, viewerId: UserId): Promise<{ photo: Photo; liked: boolean } | null> {
    return (await this.readWithLike(id, viewerId)).found;
  }

  /** getWithLike's BatchGetItem with the viewer's badge counters as a third key (badge-store.ts). */
  async getWithLikeAndUnread(
    id: string,
    viewerId: UserId,
    activityCap: number,
  ): Promise<{ found: { photo: Photo; liked: boolean } | null; unread: UnreadCounts }> {
    const { found, also } = await this.readWithLike(id, viewerId, this.badges.key(viewerId));
    return { found, unread: await this.badges.unreadOf(viewerId, also, activityCap) };
  }

  /** META, the viewer's like item and, when given, one more item of the table, in one BatchGetItem. */
  private async readWithLike(
    id: string,
    viewerId: UserId,
    alsoKey?: ItemKey,
  ): Promise<{ found: { photo: Photo; liked: boolean } | null; also: Item | undefined }> {
    const liked = await this.likes.keyOf(viewerId, id);
    const items = await this.db.batchGet(this.table, [photoKey(id), liked, ...(alsoKey ? [alsoKey] : [])]);
    const item = items.get(photoKey(id));
    return {
      found: item ? { photo: toPhoto(item), liked: items.get(liked) !== undefined } : null,
      also: alsoKey ? items.get(alsoKey) : undefined,
    };
  }

  /**
   * Resumable (ports.ts PhotoStore.delete). One transaction deletes META, the owner's index item
   * and the caption's mention events (so a concurrent delete returns null) and puts the delete's
   * record: META's attributes without its index keys, under PHOTO_DELETES (keys.ts). Then the
   * term items and every like with its event (queried page by page) go. Of a photo whose META is
   * gone but whose record is left, it does those again from the record.
   */
  async delete(id: string): Promise<Photo | null> {
    const item = await this.getMeta(id);
    const record = item
      ? toDeleteRecord(item)
      : await this.db.get({ TableName: this.table, Key: photoDeleteKey(id), ConsistentRead: true });
    if (!record) return null;
    const photo = toPhoto(record);
    if (item) {
      const failed = await this.db.transact({
        ...this.metaDeletes(item, photo, 'attribute_exists(PK)'),
        record: { Put: { TableName: this.table, Item: record } },
      });
      if (failed) return null;
    }
    await this.deleteOwned(record, photo);
    return photo;
  }

  async finishDelete(id: string): Promise<void> {
    await this.db.delete({ TableName: this.table, Key: photoDeleteKey(id) });
  }

  async unfinishedDeletes(startedBefore: Date): Promise<Photo[]> {
    const photos: Photo[] = [];
    for await (const items of this.db.queryPages({
      TableName: this.table,
      KeyConditionExpression: 'PK = :deletes',
      FilterExpression: 'deleted_at < :before',
      ExpressionAttributeValues: {
        ':deletes': PHOTO_DELETES_PARTITION,
        ':before': startedBefore.toISOString(),
      },
      ConsistentRead: true,
    })) {
      photos.push(...items.map(toPhoto));
    }
    return photos;
  }

  listByOwners(ownerIds: UserId[], page: PageRequest, viewerId?: UserId): Promise<OwnersPage> {
    return this.ownerFeed.list(ownerIds, page, viewerId);
  }

  listAll(page: PageRequest): Promise<Page<Photo>> {
    return this.allFeed.list(page);
  }

  search(terms: string[], ownerIds: UserId[] | undefined, page: PageRequest): Promise<Page<Photo>> {
    return this.terms.search(terms, ownerIds, page);
  }

  countByOwner(userId: UserId): Promise<number> {
    return this.ownerFeed.count(userId);
  }

  likedBy(userId: UserId, photoIds: string[]): Promise<Set<string>> {
    return this.likes.likedBy(userId, photoIds);
  }

  /**
   * One transaction: the like's items and its event (likes.ts) if the like is absent, and
   * likes + 1 on META if it exists. A like that already exists cancels it, event and all; that
   * is "liked, count unchanged" (idempotent).
   */
  async like(
    photoId: string,
    userId: UserId,
    event: ActivityEvent | null = null,
  ): Promise<LikeResult | null> {
    const failed = await this.db.transact({
      ...this.likes.put(photoId, userId, event),
      photo: this.addLikes(photoId, 1),
    });
    if (failed?.has('photo')) return null;
    return this.likeResult(photoId, true);
  }

  /**
   * The reverse of like: a consistent read of the like item, then one transaction deleting its
   * items and its event (while the like is still the one read) with likes − 1 on META. Like items
   * a crash left behind (of a deleted photo, or a user-side item alone) are deleted too.
   */
  async unlike(photoId: string, userId: UserId): Promise<LikeResult | null> {
    const items = await this.likes.delete(photoId, userId);
    if (!items) {
      await this.db.delete({ TableName: this.table, Key: likedKey(userId, photoId) });
      return this.likeResult(photoId, false);
    }
    const failed = await this.db.transact({ ...items, photo: this.addLikes(photoId, -1) });
    if (failed?.has('photo')) {
      await this.db.transact(items);
      return null;
    }
    return this.likeResult(photoId, false);
  }

  /** META and the owner's index item, with the events of the caption's mentions: one transaction. */
  private metaDeletes(item: Item, photo: Photo, condition?: string): Record<string, TransactItem> {
    return {
      photo: {
        Delete: {
          TableName: this.table,
          Key: photoKey(photo.id),
          ...(condition ? { ConditionExpression: condition } : {}),
        },
      },
      owner: { Delete: { TableName: this.table, Key: ownerIndexKey(photo.userId, photo.id) } },
      ...this.events.deletes('event', mentionEventsOf(item)),
    };
  }

  /** What the photo owns besides META: its term items, and its likes with their events. */
  private async deleteOwned(item: Item, photo: Photo): Promise<void> {
    const terms = Array.isArray(item.terms) ? (item.terms as string[]) : photoTerms(photo);
    await this.db.batchWrite(
      this.table,
      [...new Set(terms)].map((term) => ({ DeleteRequest: { Key: termKey(term, photo.id) } })),
    );
    await this.likes.deleteAllOf(photo.id);
  }

  /**
   * New text and new terms in one transaction with the META update when the change fits its 100
   * actions (the usual case). A larger change puts the added term items first (search checks
   * every term against META's list, so an entry ahead of its META matches nothing), commits
   * META with as many removals as fit, and deletes the remaining removed items right after.
   */
  async update(
    id: string,
    edit: PhotoEdit,
    editedAt: Date,
    mentions: MentionChange = { add: [], remove: [] },
  ): Promise<Photo | null> {
    const item = await this.getMeta(id);
    if (!item) return null;
    const gone = new Set(mentions.remove);
    const kept = mentionEventsOf(item).filter((ref) => !gone.has(ref.recipientId));
    const untold = mentionEventsOf(item).filter((ref) => gone.has(ref.recipientId));
    const mentionEvents: Record<string, string> = Object.fromEntries([
      ...kept.map((ref): [string, string] => [String(ref.recipientId), ref.eventId]),
      ...mentions.add.map((e): [string, string] => [String(e.recipientId), e.id]),
    ]);
    const eventChanges = {
      ...this.events.deletes('untell', untold),
      ...this.events.puts('tell', mentions.add),
    };
    const before = toPhoto(item);
    const oldTerms = new Set(Array.isArray(item.terms) ? (item.terms as string[]) : photoTerms(before));
    const after: Photo = { ...before, ...edit, editedAt };
    const newTerms = photoTerms(after);
    const added = newTerms.filter((t) => !oldTerms.has(t));
    const removed = [...oldTerms].filter((t) => !newTerms.includes(t));
    const putTerm = (term: string) => ({
      ...termKey(term, id),
      type: ENTITY.term,
      term,
      photo_id: id,
      user_id: before.userId,
    });
    const sets = [
      'caption = :caption',
      'terms = :terms',
      'edited_at = :edited',
      'mention_events = :mentions',
    ];
    const removes: string[] = [];
    if (edit.topic !== null) sets.push('topic = :topic');
    else removes.push('topic');
    if (edit.alt !== null) sets.push('alt = :alt');
    else removes.push('alt');
    const metaUpdate: TransactItem = {
      Update: {
        TableName: this.table,
        Key: photoKey(id),
        UpdateExpression: `SET ${sets.join(', ')}${removes.length > 0 ? ` REMOVE ${removes.join(', ')}` : ''}`,
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: {
          ':caption': edit.caption,
          ':terms': newTerms,
          ':edited': editedAt.toISOString(),
          ':mentions': mentionEvents,
          ...(edit.topic !== null ? { ':topic': edit.topic } : {}),
          ...(edit.alt !== null ? { ':alt': edit.alt } : {}),
        },
      },
    };
    const room = MAX_TRANSACTION_ITEMS - 1 - Object.keys(eventChanges).length;
    const fitsAll = added.length + removed.length <= room;
    if (!fitsAll) {
      await this.db.batchWrite(
        this.table,
        added.map((term) => ({ PutRequest: { Item: putTerm(term) } })),
      );
    }
    const inTransaction = fitsAll ? removed : removed.slice(0, room);
    const termChanges: [string, TransactItem][] = [
      ...(fitsAll ? added : []).map((term): [string, TransactItem] => [
        `add:${term}`,
        { Put: { TableName: this.table, Item: putTerm(term) } },
      ]),
      ...inTransaction.map((term): [string, TransactItem] => [
        `remove:${term}`,
        { Delete: { TableName: this.table, Key: termKey(term, id) } },
      ]),
    ];
    const failed = await this.db.transact({
      photo: metaUpdate,
      ...eventChanges,
      ...Object.fromEntries(termChanges),
    });
    if (failed) return null;
    const rest = removed.slice(inTransaction.length);
    await this.db.batchWrite(
      this.table,
      rest.map((term) => ({ DeleteRequest: { Key: termKey(term, id) } })),
    );
    return after;
  }

  likers(photoId: string, page: PageRequest): Promise<Page<Liker>> {
    return this.likes.likers(photoId, page);
  }

  likedPhotos(userId: UserId, page: PageRequest): Promise<Page<LikedPhoto>> {
    return this.likes.likedPhotos(userId, page);
  }

  setImageKeys(id: string, keys: ImageKeys): Promise<boolean> {
    return this.db.update({
      TableName: this.table,
      Key: photoKey(id),
      UpdateExpression:
        keys.medium !== null
          ? 'SET thumb_key = :thumb, medium_key = :medium'
          : 'SET thumb_key = :thumb REMOVE medium_key',
      ConditionExpression: 'attribute_exists(PK)',
      ExpressionAttributeValues: {
        ':thumb': keys.thumb,
        ...(keys.medium !== null ? { ':medium': keys.medium } : {}),
      },
    });
  }

  private addLikes(photoId: string, delta: 1 | -1): TransactItem {
    return {
      Update: {
        TableName: this.table,
        Key: photoKey(photoId),
        UpdateExpression: 'ADD likes :delta',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeValues: { ':delta': delta },
      },
    };
  }

  private async likeResult(photoId: string, liked: boolean): Promise<LikeResult | null> {
    const item = await this.getMeta(photoId, 'likes');
    return item ? { likes: Number(item.likes ?? 0), liked } : null;
  }

  private getMeta(id: string, projection?: string): Promise<Item | null> {
    return this.db.get({
      TableName: this.table,
      Key: photoKey(id),
      ConsistentRead: true,
      ...(projection ? { ProjectionExpression: projection } : {}),
    });
  }
}
