import { Readable } from 'node:stream';
import type { BlobStore, ListedBlob, StoredBlob } from '../../ports';
import type { S3Bucket } from './s3-client';

/** Keys are server-made and never change content in practice, so browsers may keep them for a year. */
const CACHE_CONTROL = 'private, max-age=31536000, immutable';

/** Image bytes in one S3 bucket. */
export class S3BlobStore implements BlobStore {
  constructor(private readonly bucket: S3Bucket) {}

  ping(): Promise<void> {
    return this.bucket.head();
  }

  put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    return this.bucket.put(key, bytes, contentType, CACHE_CONTROL);
  }

  /** The object as a Node stream with its size, type and S3's (quoted) ETag; null if missing. */
  async open(key: string): Promise<StoredBlob | null> {
    const object = await this.bucket.get(key);
    if (!object) return null;
    if (!(object.Body instanceof Readable)) throw new Error('S3 GetObject returned no Node stream');
    return {
      body: object.Body,
      size: object.ContentLength ?? 0,
      contentType: object.ContentType ?? 'application/octet-stream',
      etag: object.ETag ?? '',
    };
  }

  delete(keys: string[]): Promise<void> {
    return this.bucket.deleteMany(keys);
  }

  /** Page by page, each page starting after the last key of the one before (at most 1000 a page). */
  async *list(prefix: string, options: { pageSize?: number } = {}): AsyncIterable<ListedBlob> {
    let marker: string | undefined;
    for (;;) {
      const page = await this.bucket.listPage(prefix, marker, options.pageSize ?? 1000);
      const objects = page.Contents ?? [];
      for (const object of objects) {
        if (object.Key) yield { key: object.Key, modifiedAt: object.LastModified ?? new Date(0) };
      }
      marker = objects.at(-1)?.Key;
      if (!page.IsTruncated || !marker) return;
    }
  }
}
