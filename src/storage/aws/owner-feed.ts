import type { PageRequest, Photo, UserId } from '../../domain/types';
import { Semaphore } from '../../lib/semaphore';
import { byId, emptyPage, itself, toPage } from '../paging';
import type { OwnersPage } from '../../ports';
import { BackfillMarker, isMarked, mark, setOnPhotos } from './backfill';
import type { DynamoClient, Item } from './dynamo-client';
import { type FeedIndex, newestOnIndex } from './feed-index';
import type { Likes } from './likes';
import {
  ENTITY,
  FEED_OWNER_ATTRIBUTE,
  newestPhotosOf,
  OWNER_FEED_INDEX,
  ownerFeedMarkerKey,
  ownerPartition,
  photoIdOfSortKey,
  photoKey,
} from './keys';
import { toPhoto } from './photo-item';

/**
 * Owners' partitions queried at once: as many as the DynamoDB client has sockets (the SDK's 50
 * per client), so a Home of up to 49 friends and the viewer is one wave of queries; past that
 * the queries would wait for a socket anyway, and this keeps them from queueing in the agent.
 */
const OWNER_QUERY_CONCURRENCY = 50;

const OWNER_FEED: FeedIndex = { name: OWNER_FEED_INDEX, partition: FEED_OWNER_ATTRIBUTE, sort: 'id' };

/** Newest first by id (ids are ULIDs: time order), for merging the owners' answers. */
const newestFirst = (a: Item, b: Item): number => (String(a.id) < String(b.id) ? 1 : -1);

/**
 * Access pattern "photos of some owners, newest first" (Home and Profile feeds): each owner's
 * partition of OWNER_FEED_INDEX (`feed_owner`, `id`, the feed's attributes) newest first, merged
 * by id; a page is one wave of owner queries and, with a viewer, one Query of the viewer's likes
 * in the page's id range (likes.ts). Until indexOwnerFeed has given every older photo its
 * `feed_owner` (the OWNERS_INDEXED marker), each owner's index partition (`USER#<id>`,
 * `PHOTO#<id>`) is read for ids instead and the page's META items are batch-read after it.
 */
export class OwnerFeed {
  /** OWNERS_INDEXED, read again every MARKER_TTL_MS (backfill.ts) until it is there. */
  private readonly indexed: BackfillMarker;

  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
    private readonly likes: Likes,
  ) {
    this.indexed = new BackfillMarker(db, table, ownerFeedMarkerKey());
  }

  /**
   * Two waves for up to OWNER_QUERY_CONCURRENCY owners: page + 1 photos from each owner, then,
   * with a viewer, the viewer's likes of the page. (Before OWNERS_INDEXED: page + 1 ids from each
   * owner, then the page's photos beside the likes.)
   */
  async list(ownerIds: UserId[], page: PageRequest, viewerId?: UserId): Promise<OwnersPage> {
    const owners = [...new Set(ownerIds)];
    const none = viewerId !== undefined ? { liked: new Set<string>() } : {};
    if (owners.length === 0) return { ...emptyPage<Photo>(), ...none };
    const want = page.limit + 1;
    const gate = new Semaphore(OWNER_QUERY_CONCURRENCY);
    const eachOwner = <T>(read: (owner: UserId) => Promise<T[]>): Promise<T[]> =>
      Promise.all(owners.map((owner) => gate.run(() => read(owner)))).then((all) => all.flat());
    if (await this.indexed.isDone()) {
      const found = await eachOwner((owner) =>
        newestOnIndex(this.db, this.table, OWNER_FEED, owner, page.before, want),
      );
      const photos = toPage(found.sort(newestFirst).slice(0, want).map(toPhoto), page.limit, byId);
      if (viewerId === undefined) return photos;
      return { ...photos, liked: await this.likes.likedBy(viewerId, photos.items.map(byId)) };
    }
    const found = await eachOwner((owner) => this.idsOf(owner, page.before, want));
    const ids = toPage([...new Set(found)].sort().reverse().slice(0, want), page.limit, itself);
    const [items, liked] = await Promise.all([
      this.photos(ids.items),
      viewerId !== undefined ? this.likes.likedBy(viewerId, ids.items) : undefined,
    ]);
    return { items, next: ids.next, ...(liked ? { liked } : {}) };
  }

  /** Access pattern "how many photos one owner has": a COUNT query on the owner's index partition. */
  async count(owner: UserId): Promise<number> {
    let count = 0;
    let startKey: Item | undefined;
    do {
      const result = await this.db.query({
        TableName: this.table,
        ...newestPhotosOf(ownerPartition(owner), undefined),
        Select: 'COUNT',
        ConsistentRead: true,
        ...(startKey ? { ExclusiveStartKey: startKey } : {}),
      });
      count += result.count;
      startKey = result.lastKey;
    } while (startKey);
    return count;
  }

  /** One owner's photo ids, newest first, below the cursor (before OWNERS_INDEXED). */
  private async idsOf(owner: UserId, before: string | undefined, limit: number): Promise<string[]> {
    const { items } = await this.db.query({
      TableName: this.table,
      ...newestPhotosOf(ownerPartition(owner), before),
      ProjectionExpression: 'SK',
      Limit: limit,
      ConsistentRead: true,
    });
    return items.map((item) => photoIdOfSortKey(String(item.SK)));
  }

  /** The META items of `ids`, in the order of `ids`; ids whose photo is gone are skipped. */
  private async photos(ids: string[]): Promise<Photo[]> {
    const found = await this.db.batchGet(this.table, ids.map(photoKey));
    return ids.flatMap((id) => {
      const item = found.get(photoKey(id));
      return item ? [toPhoto(item)] : [];
    });
  }
}

/**
 * Puts every photo stored before OWNER_FEED_INDEX on it (its `feed_owner`, from `user_id`), then
 * writes the OWNERS_INDEXED marker, and workers read Home and Profile from the index within
 * MARKER_TTL_MS. Idempotent; run by `npm run setup:aws` once the index is ACTIVE (a Scan:
 * maintenance, never a request). It scans even when the marker is there, so a photo an older
 * version wrote after an earlier run is put on the index by the next one. Returns how many
 * photos it put on the index.
 */
export async function indexOwnerFeed(db: DynamoClient, table: string): Promise<number> {
  const indexed = await setOnPhotos(
    db,
    table,
    { filter: `attribute_not_exists(${FEED_OWNER_ATTRIBUTE})`, projection: ['user_id'] },
    FEED_OWNER_ATTRIBUTE,
    (item) => Number(item.user_id),
  );
  if (!(await isMarked(db, table, ownerFeedMarkerKey())))
    await mark(db, table, ownerFeedMarkerKey(), ENTITY.ownerFeedMarker);
  return indexed;
}
