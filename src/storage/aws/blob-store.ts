import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { Unavailable } from '../../domain/errors';
import type { BlobStore, StoredBlob } from '../../ports';
import { guard, S3 } from './clients';

/** Keys are server-made and never change content in practice, so browsers may keep them for a year. */
const CACHE_CONTROL = 'private, max-age=31536000, immutable';
/** DeleteObjects takes at most 1000 keys. */
const DELETE_BATCH = 1000;

const isMissing = (err: unknown): boolean =>
  err instanceof Error &&
  (err.name === 'NoSuchKey' ||
    err.name === 'NotFound' ||
    (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404);

/** Image bytes in one S3 bucket. */
export class S3BlobStore implements BlobStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  ping(): Promise<void> {
    return guard(S3, async () => {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.bucket }));
    });
  }

  put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    return guard(S3, async () => {
      await this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          ContentLength: bytes.length,
          ContentType: contentType,
          CacheControl: CACHE_CONTROL,
        }),
      );
    });
  }

  /** The object as a Node stream with its size, type and S3's (quoted) ETag; null if missing. */
  open(key: string): Promise<StoredBlob | null> {
    return guard(S3, async () => {
      try {
        const object = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        if (!(object.Body instanceof Readable)) throw new Error('S3 GetObject returned no Node stream');
        return {
          body: object.Body,
          size: object.ContentLength ?? 0,
          contentType: object.ContentType ?? 'application/octet-stream',
          etag: object.ETag ?? '',
        };
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
    });
  }

  /** DeleteObjects in batches of 1000; S3 reports no error for keys that do not exist. */
  delete(keys: string[]): Promise<void> {
    return guard(S3, async () => {
      const unique = [...new Set(keys)];
      for (let i = 0; i < unique.length; i += DELETE_BATCH) {
        const { Errors } = await this.s3.send(
          new DeleteObjectsCommand({
            Bucket: this.bucket,
            Delete: { Objects: unique.slice(i, i + DELETE_BATCH).map((Key) => ({ Key })), Quiet: true },
          }),
        );
        const failures = (Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
        if (
          failures.some(
            (e) => e.Code === 'InternalError' || e.Code === 'SlowDown' || e.Code === 'ServiceUnavailable',
          )
        ) {
          throw new Unavailable(S3);
        }
        if (failures.length > 0) {
          throw new Error(`S3 could not delete ${failures.map((e) => `${e.Key}: ${e.Code}`).join(', ')}`);
        }
      }
    });
  }
}
