import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, extname, join } from 'node:path';
import { InvalidInput, Unavailable } from '../../domain/errors';
import type { BlobStore, ListedBlob, StoreCallListener, StoredBlob } from '../../ports';
import { timed } from '../store-calls';
import { DISK, fileErrorCode as codeOf, translateDiskError as translate } from './errors';

/** The content type of an object follows from its key's extension, so nothing is stored beside the bytes. */
const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
};

/**
 * Keys are made by the server (`photos/<ulid>/full.jpg`). Each segment is letters, digits, `.`,
 * `_` or `-` and does not start with a dot, which rules out `..`, hidden files and our `.tmp` folder.
 */
const KEY_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/;
const MAX_KEY_LENGTH = 512;

const isMissing = (err: unknown): boolean => {
  const code = codeOf(err);
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/**
 * Images in a folder on the local disk; both PM2 workers share it. The folder is its own client:
 * each method is one reported call (`put`, `open`, `delete`) and translates what the file
 * system throws (errors.ts).
 */
export class LocalBlobStore implements BlobStore {
  private readonly tmpDir: string;

  constructor(
    private readonly root: string,
    private readonly onCall?: StoreCallListener,
  ) {
    this.tmpDir = join(root, '.tmp');
  }

  async ping(): Promise<void> {
    try {
      if (!(await stat(this.root)).isDirectory()) throw new Error(`${this.root} is not a folder`);
    } catch {
      throw new Unavailable(DISK);
    }
  }

  /** Written to a temporary file and renamed into place, so a reader sees the old bytes or the new, never half. */
  put(key: string, bytes: Buffer, contentType: string): Promise<void> {
    return timed(this.onCall, { store: DISK, operation: 'put' }, () => this.write(key, bytes, contentType));
  }

  open(key: string): Promise<StoredBlob | null> {
    return timed(this.onCall, { store: DISK, operation: 'open' }, () => this.read(key));
  }

  delete(keys: string[]): Promise<void> {
    return timed(this.onCall, { store: DISK, operation: 'delete' }, () => this.remove(keys));
  }

  private async write(key: string, bytes: Buffer, contentType: string): Promise<void> {
    const path = this.pathOf(key);
    const expected = CONTENT_TYPES[extname(key).toLowerCase()];
    if (expected !== contentType) {
      throw new InvalidInput(
        `The key ${key} does not fit the content type ${contentType}.`,
        'invalid_blob_key',
      );
    }
    const tmp = join(this.tmpDir, `${randomBytes(12).toString('hex')}.part`);
    try {
      await mkdir(this.tmpDir, { recursive: true });
      await writeFile(tmp, bytes, { flag: 'wx' });
      try {
        await mkdir(dirname(path), { recursive: true });
        await rename(tmp, path);
      } catch (err) {
        // delete() may have removed the (then empty) folder in between: make it again once.
        if (!isMissing(err)) throw err;
        await mkdir(dirname(path), { recursive: true });
        await rename(tmp, path);
      }
    } catch (err) {
      await rm(tmp, { force: true });
      throw translate(err);
    }
  }

  private async read(key: string): Promise<StoredBlob | null> {
    const path = this.pathOf(key);
    let handle;
    try {
      handle = await open(path, 'r');
    } catch (err) {
      if (isMissing(err)) return null;
      throw translate(err);
    }
    try {
      const info = await handle.stat({ bigint: true });
      // put() always renames a new file into place, so a new inode and mtime mean new bytes.
      const etag = `"${info.ino.toString(36)}-${info.size.toString(36)}-${info.mtimeNs.toString(36)}"`;
      return {
        body: handle.createReadStream(),
        size: Number(info.size),
        contentType: CONTENT_TYPES[extname(key).toLowerCase()] ?? 'application/octet-stream',
        etag,
      };
    } catch (err) {
      await handle.close();
      throw translate(err);
    }
  }

  private async remove(keys: string[]): Promise<void> {
    const paths = keys.map((key) => this.pathOf(key));
    try {
      await Promise.all(paths.map((path) => unlink(path).catch(ignoreMissing)));
      // A photo's folder is empty once both images are gone; a folder still in use stays.
      const folders = [...new Set(paths.map((path) => dirname(path)))].filter((dir) => dir !== this.root);
      await Promise.all(folders.map((dir) => rmdir(dir).catch(ignoreMissingOrNotEmpty)));
    } catch (err) {
      throw translate(err);
    }
  }

  /** A walk of the folders under `prefix`, each folder read and sorted on its own (page size does not apply). */
  async *list(prefix: string): AsyncIterable<ListedBlob> {
    const onCall = this.onCall;
    const walk = async function* (dir: string, keyPrefix: string): AsyncGenerator<ListedBlob> {
      let entries;
      try {
        entries = await timed(onCall, { store: DISK, operation: 'list' }, () =>
          readdir(dir, { withFileTypes: true }),
        );
      } catch (err) {
        if (isMissing(err)) return;
        throw translate(err);
      }
      entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      for (const entry of entries) {
        const key = `${keyPrefix}${entry.name}`;
        if (entry.isDirectory()) yield* walk(join(dir, entry.name), `${key}/`);
        else if (entry.isFile() && key.startsWith(prefix)) {
          const info = await stat(join(dir, entry.name)).catch((err: unknown) => {
            if (isMissing(err)) return null;
            throw translate(err);
          });
          if (info) yield { key, modifiedAt: info.mtime };
        }
      }
    };
    // Start at the deepest folder the prefix names; the rest of it filters file names.
    const folder = prefix.slice(0, prefix.lastIndexOf('/') + 1);
    const start = folder ? this.pathOf(folder.slice(0, -1)) : this.root;
    for await (const blob of walk(start, folder)) {
      if (!blob.key.startsWith('.tmp/')) yield blob;
    }
  }

  private pathOf(key: string): string {
    if (key.length > MAX_KEY_LENGTH || !KEY_PATTERN.test(key)) {
      throw new InvalidInput(`The storage key ${JSON.stringify(key)} is not allowed.`, 'invalid_blob_key');
    }
    return join(this.root, ...key.split('/'));
  }
}

function ignoreMissing(err: unknown): void {
  if (!isMissing(err)) throw err;
}

function ignoreMissingOrNotEmpty(err: unknown): void {
  const code = codeOf(err);
  if (!isMissing(err) && code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
}
