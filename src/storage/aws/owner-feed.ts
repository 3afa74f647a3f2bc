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

const idOf = (item: Item): string => String(item.id);

/** Newest first by id (ids are ULIDs: time order), for merging the owners' answers. */
const newestFirst = (a: Item, b: Item): number => (idOf(a) < idOf(b) ? 1 : idOf(a) > idOf(b) ? -1 : 0);

/**
 * How many photos the first wave reads from each of `owners` owners for a page of `want`: half
 * as much again as an even share, and two more, so that owners posting at different rates still
 * fill the page from the first wave (a whole page for one owner, as Profile reads).
 */
const perOwnerLimit = (owners: number, want: number): number =>
  Math.min(want, Math.ceil((want * 3) / (2 * owners)) + 2);

/**
 * Access pattern "photos of some owners, newest first" (Home and Profile feeds): each owner's
 * partition of OWNER_FEED_INDEX (`feed_owner`, `id`, the feed's attributes) newest first, merged
 * by id; a page is one wave of owner queries, each for a share of the page, and a second with the
 * viewer's likes in the page's id range (likes.ts) and any owner read further (readFromIndex). Until indexOwnerFeed has given every older photo its
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
   * Two waves for up to OWNER_QUERY_CONCURRENCY owners (readFromIndex); before OWNERS_INDEXED,
   * page + 1 ids from each owner, then the page's photos beside the viewer's likes of them.
   */
  async list(ownerIds: UserId[], page: PageRequest, viewerId?: UserId): Promise<OwnersPage> {
    const owners = [...new Set(ownerIds)];
    const none = viewerId !== undefined ? { liked: new Set<string>() } : {};
    if (owners.length === 0) return { ...emptyPage<Photo>(), ...none };
    if (await this.indexed.isDone()) return this.readFromIndex(owners, page, viewerId);
    const want = page.limit + 1;
    const gate = new Semaphore(OWNER_QUERY_CONCURRENCY);
    const found = await Promise.all(
      owners.map((owner) => gate.run(() => this.idsOf(owner, page.before, want))),
    );
    const ids = toPage([...new Set(found.flat())].sort().reverse().slice(0, want), page.limit, itself);
    const [items, liked] = await Promise.all([
      this.photos(ids.items),
      viewerId !== undefined ? this.likes.likedBy(viewerId, ids.items) : undefined,
    ]);
    return { items, next: ids.next, ...(liked ? { liked } : {}) };
  }

  /**
   * The first wave reads a share of the page from each owner (perOwnerLimit), not a whole page:
   * with photos spread over the owners, that holds the page, and the second wave is the viewer's
   * likes in the page's id range. An owner whose share ran out above the page's oldest photo (one
   * who posted much lately) is read further in the second wave, from its oldest photo read down
   * to that bound, beside the likes. When the shares hold fewer photos than the page (few owners
   * with many photos, the rest with few), there is no bound yet: the owners still open are read
   * further, a page each, and beside the likes of the photos read, the viewer's newest
   * likes below them (likedBelow); only a page reaching past those (a viewer who liked more than
   * a page of other photos in between) reads the rest of its likes in a third wave.
   */
  private async readFromIndex(owners: UserId[], page: PageRequest, viewerId?: UserId): Promise<OwnersPage> {
    const want = page.limit + 1;
    const share = perOwnerLimit(owners.length, want);
    const gate = new Semaphore(OWNER_QUERY_CONCURRENCY);
    const before = page.before ? { before: page.before } : {};
    const shares = await Promise.all(
      owners.map((owner) =>
        gate.run(async () => ({
          owner,
          items: await newestOnIndex(this.db, this.table, OWNER_FEED, owner, before, share),
        })),
      ),
    );
    const read = shares.flatMap((s) => s.items).sort(newestFirst);
    const bound = read.length >= want ? idOf(read[want - 1]!) : undefined;
    const open = shares.flatMap(({ owner, items }) => {
      const oldest = items.length === share ? items.at(-1) : undefined;
      return oldest && (bound === undefined || idOf(oldest) > bound) ? [{ owner, oldest: idOf(oldest) }] : [];
    });
    // From where up the viewer's likes are read whole in the second wave (undefined: not yet known).
    const likesFrom = bound ?? (open.length > 0 ? undefined : read.at(-1) && idOf(read.at(-1)!));
    const [more, likes] = await Promise.all([
      Promise.all(
        open.map(({ owner, oldest }) =>
          gate.run(() =>
            newestOnIndex(
              this.db,
              this.table,
              OWNER_FEED,
              owner,
              { before: oldest, ...(bound ? { from: bound } : {}) },
              // Its photos further down may all be newer than every other owner's: a whole page.
              want,
            ),
          ),
        ),
      ),
      viewerId !== undefined && read.length > 0 ? this.likesNear(viewerId, read, likesFrom, want) : undefined,
    ]);
    // A second read from `bound` meets the photo at the bound again.
    const merged = new Map([...read, ...more.flat()].map((item) => [idOf(item), item]));
    const items = [...merged.values()].sort(newestFirst).slice(0, want).map(toPhoto);
    const photos = toPage(items, page.limit, byId);
    if (viewerId === undefined) return photos;
    const ids = photos.items.map(byId);
    // Likes the second wave did not cover (before LIKES_INDEXED, all of them): a third read.
    const known = likes ?? { liked: new Set<string>(), completeFrom: '\uffff' };
    const unknown = ids.filter((id) => id < known.completeFrom);
    const late = unknown.length > 0 ? await this.likes.likedBy(viewerId, unknown) : new Set<string>();
    return { ...photos, liked: new Set(ids.filter((id) => known.liked.has(id) || late.has(id))) };
  }

  /**
   * The viewer's likes around the photos the first wave read (`read`, newest first): every like
   * from `from` up to the newest photo read when the page's oldest photo is known to be no older;
   * otherwise every like among the photos read and the newest `want` below them. `completeFrom`:
   * every like of a photo from there up is in `liked`. Undefined before LIKES_INDEXED.
   */
  private async likesNear(
    viewerId: UserId,
    read: Item[],
    from: string | undefined,
    want: number,
  ): Promise<{ liked: Set<string>; completeFrom: string } | undefined> {
    if (!(await this.likes.isIndexed())) return undefined;
    const newest = idOf(read[0]!);
    const oldest = from ?? idOf(read.at(-1)!);
    const [between, below] = await Promise.all([
      this.likes.likedBetween(viewerId, oldest, newest),
      from === undefined ? this.likes.likedBelow(viewerId, oldest, want) : undefined,
    ]);
    if (!below) return { liked: between, completeFrom: oldest };
    return { liked: new Set([...between, ...below.liked]), completeFrom: below.completeFrom };
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
