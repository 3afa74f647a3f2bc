import type { PageRequest, Photo, UserId } from '../../domain/types';
import { Semaphore } from '../../lib/semaphore';
import { emptyPage, itself, toPage } from '../paging';
import type { OwnersPage } from '../../ports';
import type { DynamoClient, Item } from './dynamo-client';
import type { Likes } from './likes';
import { newestPhotosOf, ownerPartition, photoIdOfSortKey, photoKey } from './keys';
import { toPhoto } from './photo-item';

/**
 * Owners' index partitions queried at once: as many as the DynamoDB client has sockets (the SDK's
 * 50 per client), so a Home of up to 49 friends and the viewer is one wave of queries; past that
 * the queries would wait for a socket anyway, and this keeps them from queueing in the agent.
 */
const OWNER_QUERY_CONCURRENCY = 50;

/**
 * Access pattern "photos of some owners, newest first" (Home and Profile feeds): each owner's
 * index partition (`USER#<id>`, `PHOTO#<id>`) newest first, merged by id, then the page's META
 * items in one batch.
 */
export class OwnerFeed {
  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
    private readonly likes: Likes,
  ) {}

  /**
   * Two waves for up to OWNER_QUERY_CONCURRENCY owners: page + 1 ids from each owner, then the
   * page's photos in order and, with a viewer, the viewer's likes of them.
   */
  async list(ownerIds: UserId[], page: PageRequest, viewerId?: UserId): Promise<OwnersPage> {
    const owners = [...new Set(ownerIds)];
    const none = viewerId !== undefined ? { liked: new Set<string>() } : {};
    if (owners.length === 0) return { ...emptyPage<Photo>(), ...none };
    const want = page.limit + 1;
    const gate = new Semaphore(OWNER_QUERY_CONCURRENCY);
    const perOwner = await Promise.all(
      owners.map((owner) => gate.run(() => this.idsOf(owner, page.before, want))),
    );
    const ids = toPage([...new Set(perOwner.flat())].sort().reverse().slice(0, want), page.limit, itself);
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

  /** One owner's photo ids, newest first, below the cursor. */
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
