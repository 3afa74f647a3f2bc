import { MEDIUM_SIDE, THUMB_SIZE } from '../../domain/limits';
import type { Photo } from '../../domain/types';
import { imageUrl } from '../serializers';

/**
 * The attributes of every photo `<img>`: which file the browser may pick for its screen
 * (`srcset` with real pixel widths, `sizes` with the box's width in CSS pixels), and the
 * stored width and height, from which the browser reserves the box before the bytes arrive.
 */
export type ImageUse = 'grid' | 'feed' | 'page' | 'viewer';

export interface ImageAttrs {
  src: string;
  srcset: string;
  sizes: string;
  width: number;
  height: number;
}

/** Width of the medium image of a `width`×`height` photo (long side at most MEDIUM_SIDE). */
export function mediumWidth(width: number, height: number): number {
  const scale = Math.min(1, MEDIUM_SIDE / Math.max(width, height));
  return Math.max(1, Math.round(width * scale));
}

export function imageAttrs(
  photo: Pick<Photo, 'id' | 'width' | 'height' | 'keys'>,
  use: ImageUse,
): ImageAttrs {
  const thumb = imageUrl(photo.id, 'thumb');
  const medium = imageUrl(photo.id, 'medium');
  const full = imageUrl(photo.id, 'full');
  // Before the backfill, the medium address answers the full image: its real width.
  const mediumW = photo.keys.medium !== null ? mediumWidth(photo.width, photo.height) : photo.width;
  switch (use) {
    case 'grid':
      return {
        src: thumb,
        srcset: `${thumb} ${THUMB_SIZE}w`,
        sizes: '(max-width: 599px) 50vw, (max-width: 899px) 33vw, 240px',
        width: THUMB_SIZE,
        height: THUMB_SIZE,
      };
    case 'feed':
      // A feed card never offers the full image: a 3× phone takes the medium one.
      return {
        src: medium,
        srcset: `${medium} ${mediumW}w`,
        sizes: '(max-width: 640px) 100vw, 600px',
        width: photo.width,
        height: photo.height,
      };
    case 'page':
      return {
        src: medium,
        srcset:
          mediumW < photo.width ? `${medium} ${mediumW}w, ${full} ${photo.width}w` : `${medium} ${mediumW}w`,
        sizes: '(max-width: 899px) 100vw, 62vw',
        width: photo.width,
        height: photo.height,
      };
    case 'viewer':
      return {
        src: full,
        srcset:
          mediumW < photo.width
            ? `${medium} ${mediumW}w, ${full} ${photo.width}w`
            : `${full} ${photo.width}w`,
        sizes: '100vw',
        width: photo.width,
        height: photo.height,
      };
  }
}

/** The `alt` of a photo: the owner's text, or a sentence naming who posted what. */
export function altOf(photo: Pick<Photo, 'alt' | 'caption' | 'username'>): string {
  if (photo.alt) return photo.alt;
  const caption = photo.caption.trim();
  if (!caption) return `Photo by ${photo.username}`;
  const short = caption.length > 120 ? `${caption.slice(0, 117).trimEnd()}…` : caption;
  return `Photo by ${photo.username}: ${short}`;
}
