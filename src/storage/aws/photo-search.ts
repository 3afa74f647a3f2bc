import type { Page, PageRequest, Photo, UserId } from '../../domain/types';
import { emptyPage, toPage, byId } from '../paging';
import type { DynamoClient } from './dynamo-client';
import { newestPhotosOf, photoIdOfSortKey, photoKey, termPartition } from './keys';
import { toPhoto } from './photo-item';

/**
 * Search: the most term index entries one page request examines. Candidates come newest first
 * from the partition of one term (the longest word, the most selective guess); every term, that
 * one too (an entry may lag an edit by a moment), is checked against the `terms` list stored on
 * each candidate's META item (read anyway to show the photo), and the owner filter against the
 * entry's `user_id`. When the bound is hit
 * before the page is full, the page comes back short (perhaps empty) with a cursor at the last
 * entry examined, so following `next` continues the search where it stopped.
 */
export const MAX_SEARCH_ENTRIES_PER_PAGE = 1000;
const SEARCH_CHUNK_MIN = 50;

/** Access pattern "photos carrying every term, newest first": the term items (`TERM#<term>`, `PHOTO#<id>`). */
export class PhotoSearch {
  constructor(
    private readonly db: DynamoClient,
    private readonly table: string,
  ) {}

  async search(terms: string[], ownerIds: UserId[] | undefined, page: PageRequest): Promise<Page<Photo>> {
    const wanted = [...new Set(terms)];
    const lead = leadTerm(wanted);
    if (lead === undefined) return emptyPage();
    const owners = ownerIds ? new Set(ownerIds) : undefined;
    if (owners?.size === 0) return emptyPage();

    const want = page.limit + 1;
    const matches: Photo[] = [];
    let cursor = page.before;
    let examined = 0;
    let isExhausted = false;
    while (matches.length < want && examined < MAX_SEARCH_ENTRIES_PER_PAGE) {
      const limit = Math.min(MAX_SEARCH_ENTRIES_PER_PAGE - examined, Math.max(want, SEARCH_CHUNK_MIN));
      const result = await this.db.query({
        TableName: this.table,
        ...newestPhotosOf(termPartition(lead), cursor),
        ProjectionExpression: 'SK, #user',
        ExpressionAttributeNames: { '#user': 'user_id' },
        Limit: limit,
        ConsistentRead: true,
      });
      examined += result.items.length;
      const candidates = result.items
        .filter((entry) => !owners || owners.has(Number(entry.user_id)))
        .map((entry) => photoIdOfSortKey(String(entry.SK)));
      const metas = await this.db.batchGet(this.table, candidates.map(photoKey));
      for (const id of candidates) {
        const meta = metas.get(photoKey(id));
        if (!meta) continue; // a term entry outliving (or preceding) its photo
        const photoTermSet = new Set(Array.isArray(meta.terms) ? (meta.terms as string[]) : []);
        if (wanted.every((t) => photoTermSet.has(t))) matches.push(toPhoto(meta));
      }
      const last = result.items.at(-1);
      if (last) cursor = photoIdOfSortKey(String(last.SK));
      if (!result.lastKey) {
        isExhausted = true;
        break;
      }
    }
    if (matches.length > page.limit) return toPage(matches, page.limit, byId);
    return { items: matches, next: isExhausted ? null : (cursor ?? null) };
  }
}

/** The term whose partition search walks: the longest word (most selective guess), else a topic. */
function leadTerm(terms: string[]): string | undefined {
  const words = terms.filter((t) => !t.startsWith('topic:'));
  const pool = words.length > 0 ? words : terms;
  return pool.reduce<string | undefined>(
    (best, t) => (best === undefined || t.length > best.length ? t : best),
    undefined,
  );
}
