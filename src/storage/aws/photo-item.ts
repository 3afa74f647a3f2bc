import type { NewPhoto, Photo } from '../../domain/types';
import type { EventRef } from './activity-items';
import type { Item } from './dynamo-client';
import { ALL_FEED_PARTITION, allFeedBucket, ENTITY, photoKey } from './keys';

/** A photo's META item in lumina_photos: the record every list shows. */
export interface PhotoItem extends Item {
  PK: string;
  SK: string;
  type: typeof ENTITY.photo;
  /** ALL_FEED_INDEX's partition (keys.ts); absent on photos from before it, until indexFeed. */
  feed_bucket?: string;
  /** The All feed's old index: on photos from before ALL_FEED_INDEX until indexFeed strips it. */
  GSI1PK?: string;
  GSI1SK?: string;
  /** OWNER_FEED_INDEX's partition (keys.ts): `user_id` again; absent on photos from before it, until indexOwnerFeed. */
  feed_owner?: number;
  id: string;
  user_id: number;
  username: string;
  topic?: string;
  caption: string;
  alt?: string;
  created_at: string;
  edited_at?: string;
  width: number;
  height: number;
  likes: number;
  comment_count: number;
  full_key: string;
  /** Absent on photos stored before the medium size, until the image backfill. */
  medium_key?: string;
  thumb_key: string;
  content_type: string;
  /** The photo's search terms, for the search's other-term check and for deleting its term items. */
  terms: string[];
  /** The caption's mention events: recipient id → event id (so an edit or delete finds them by key). */
  mention_events?: Record<string, string>;
}

/** The caption's mention events a META item lists. */
export function mentionEventsOf(item: Item): EventRef[] {
  const map = (item as Partial<PhotoItem>).mention_events ?? {};
  return Object.entries(map).map(([recipient, eventId]) => ({ recipientId: Number(recipient), eventId }));
}

/**
 * The META item of a new photo. `withGsi1` also puts it on the old All-feed index, for workers
 * that read that index until indexFeed has run (all-feed.ts).
 */
export function toPhotoItem(photo: NewPhoto, terms: string[], withGsi1: boolean): PhotoItem {
  return {
    ...photoKey(photo.id),
    type: ENTITY.photo,
    feed_bucket: ALL_FEED_PARTITION,
    ...(withGsi1 ? { GSI1PK: allFeedBucket(photo.id), GSI1SK: photo.id } : {}),
    feed_owner: photo.userId,
    id: photo.id,
    user_id: photo.userId,
    username: photo.username,
    ...(photo.topic !== null ? { topic: photo.topic } : {}),
    caption: photo.caption,
    ...(photo.alt !== null ? { alt: photo.alt } : {}),
    created_at: photo.createdAt.toISOString(),
    width: photo.width,
    height: photo.height,
    likes: 0,
    comment_count: 0,
    full_key: photo.keys.full,
    ...(photo.keys.medium !== null ? { medium_key: photo.keys.medium } : {}),
    thumb_key: photo.keys.thumb,
    content_type: photo.contentType,
    terms,
  };
}

/**
 * What toPhoto reads besides the keys (PK, SK and the index's own keys, `id` among them, come
 * with every index item): ALL_FEED_INDEX and OWNER_FEED_INDEX project exactly these, so a feed
 * page carries no search terms. A new field of Photo must be added here too (and both indexes
 * made again: a projection cannot change in place).
 */
export const FEED_ATTRIBUTES = [
  'user_id',
  'username',
  'topic',
  'caption',
  'alt',
  'created_at',
  'edited_at',
  'width',
  'height',
  'likes',
  'comment_count',
  'full_key',
  'medium_key',
  'thumb_key',
  'content_type',
];

export function toPhoto(item: Item): Photo {
  const p = item as PhotoItem;
  return {
    id: p.id,
    userId: Number(p.user_id),
    username: p.username,
    topic: p.topic ?? null,
    caption: p.caption,
    alt: p.alt ?? null,
    createdAt: new Date(p.created_at),
    editedAt: p.edited_at ? new Date(p.edited_at) : null,
    likes: Number(p.likes ?? 0),
    commentCount: Number(p.comment_count ?? 0),
    width: Number(p.width),
    height: Number(p.height),
    keys: { full: p.full_key, medium: p.medium_key ?? null, thumb: p.thumb_key },
    contentType: p.content_type,
  };
}
