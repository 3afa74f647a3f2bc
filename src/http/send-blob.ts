import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import type { StoredBlob } from '../ports';

/**
 * Streams stored image bytes. Keys never change content (a new upload gets a new key), so the
 * answer is cacheable for a year by this browser only (images need a session), and revalidates by ETag.
 */
export function sendBlob(
  req: Request,
  res: Response,
  blob: StoredBlob,
  cacheControl = 'private, max-age=31536000, immutable',
): void {
  res.set({
    'Content-Type': blob.contentType,
    'Cache-Control': cacheControl,
    ETag: blob.etag,
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.fresh) {
    blob.body.destroy();
    res.status(304).end();
    return;
  }
  res.set('Content-Length', String(blob.size));
  if (req.method === 'HEAD') {
    blob.body.destroy();
    res.end();
    return;
  }
  pipeline(blob.body, res).catch(() => {
    // The client went away or the store broke mid-stream; headers are gone, so just close.
    res.destroy();
  });
}
