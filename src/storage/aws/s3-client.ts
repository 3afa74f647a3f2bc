import {
  DeleteObjectsCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadBucketCommand,
  ListObjectsCommand,
  type ListObjectsCommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { AwsConfig } from '../../config';
import { Unavailable } from '../../domain/errors';
import { withCallSignal } from '../../lib/deadline';
import type { StoreCallListener } from '../../ports';
import { timed } from '../store-calls';
import { S3, translateError } from './errors';
import { credentialsOf, endpointOf, httpHandler, MAX_ATTEMPTS } from './sdk-config';

export function createS3Client(config: AwsConfig, timeoutMs: number): S3Client {
  return new S3Client({
    region: config.region,
    ...endpointOf(config.s3.endpoint),
    ...credentialsOf(config),
    forcePathStyle: config.s3.forcePathStyle,
    maxAttempts: MAX_ATTEMPTS,
    requestHandler: httpHandler(timeoutMs),
    // Checksums only where S3 demands them: S3-compatible servers (s3rver, MinIO) reject the
    // aws-chunked trailing checksums the SDK now adds to every upload by default.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** DeleteObjects takes at most 1000 keys. */
const DELETE_BATCH = 1000;

const isMissing = (err: unknown): boolean =>
  err instanceof Error &&
  (err.name === 'NoSuchKey' ||
    err.name === 'NotFound' ||
    (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404);

/**
 * One S3 bucket as the blob store uses it: every command reported once (ports.ts StoreCall) and
 * its failure translated once, here (errors.ts); a missing object is an answer (null), not an error.
 */
export class S3Bucket {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly onCall?: StoreCallListener,
  ) {}

  async head(): Promise<void> {
    await this.call('HeadBucket', (sendOptions) =>
      this.s3.send(new HeadBucketCommand({ Bucket: this.bucket }), sendOptions),
    );
  }

  async put(key: string, body: Buffer, contentType: string, cacheControl: string): Promise<void> {
    await this.call('PutObject', (sendOptions) =>
      this.s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentType: contentType,
          CacheControl: cacheControl,
        }),
        sendOptions,
      ),
    );
  }

  /** The object (its body still to be read), or null if there is none under the key. */
  get(key: string): Promise<GetObjectCommandOutput | null> {
    return this.call('GetObject', async (sendOptions) => {
      try {
        return await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }), sendOptions);
      } catch (err) {
        if (isMissing(err)) return null;
        throw err;
      }
    });
  }

  /** DeleteObjects in batches of 1000; S3 reports no error for keys that do not exist. */
  async deleteMany(keys: string[]): Promise<void> {
    const unique = [...new Set(keys)];
    for (let i = 0; i < unique.length; i += DELETE_BATCH) {
      const objects = unique.slice(i, i + DELETE_BATCH).map((Key) => ({ Key }));
      const { Errors } = await this.call('DeleteObjects', (sendOptions) =>
        this.s3.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: objects, Quiet: true } }),
          sendOptions,
        ),
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
  }

  /**
   * One page of keys under `prefix` after `marker`, in UTF-8 binary order. Version 1 of the call,
   * paged by the last key, because s3rver cannot page ListObjectsV2 (its continuation tokens need
   * DES, which Node's OpenSSL 3 no longer has).
   */
  listPage(prefix: string, marker: string | undefined, maxKeys: number): Promise<ListObjectsCommandOutput> {
    return this.call('ListObjects', (sendOptions) =>
      this.s3.send(
        new ListObjectsCommand({ Bucket: this.bucket, Prefix: prefix, Marker: marker, MaxKeys: maxKeys }),
        sendOptions,
      ),
    );
  }

  private call<T>(
    operation: string,
    send: (options: { abortSignal?: AbortSignal }) => Promise<T>,
  ): Promise<T> {
    return timed(this.onCall, { store: S3, operation }, async () => {
      try {
        // Aborted when the request's deadline passes (lib/deadline.ts); the timer stops once the
        // call answers, so an object's body streaming to a slow reader is never cut.
        return await withCallSignal((abortSignal) => send(abortSignal ? { abortSignal } : {}));
      } catch (err) {
        throw translateError(S3, err);
      }
    });
  }
}
