import { copyFile, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { imageKeysOf, type Photo } from '../../src/domain/types';
import type { Storage } from '../../src/ports';
import { createEmbeddedStorage } from '../../src/storage/embedded';

/**
 * Backups of the embedded default. A self-hoster's whole site is one data folder: the SQLite file,
 * the image folder and a few small files (the generated session secret). A backup is a folder of
 * the same shape, so restoring is copying it back.
 *
 * Consistency while the site runs and takes writes:
 * - The database is copied by SQLite's online backup API in one step, inside one read transaction:
 *   a snapshot of one moment, whatever the workers write meanwhile (WAL lets them go on).
 * - Images are copied after the snapshot. An image is stored before the row that names it and
 *   never rewritten (every upload has its own key), so every photo of the snapshot has its files
 *   on disk, unless it was deleted after the snapshot: such photos are deleted from the copy too,
 *   as the site deleted them. Images no row names are left out.
 */

const DATABASE_FILE = 'lumina.sqlite';
const IMAGES_DIR = 'images';
/** SQLite's side files and our temporary folder are never copied. */
const SKIPPED = new Set([`${DATABASE_FILE}-wal`, `${DATABASE_FILE}-shm`, `${DATABASE_FILE}-journal`, '.tmp']);
export const MANIFEST_FILE = 'lumina-backup.json';

export interface BackupSummary {
  photos: number;
  images: number;
  /** Photos deleted by the site while the backup ran, left out of it. */
  deletedMeanwhile: number;
  bytes: number;
}

const isMissing = (err: unknown): boolean =>
  err instanceof Error && 'code' in err && (err.code === 'ENOENT' || err.code === 'ENOTDIR');

async function isEmptyOrMissing(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length === 0;
  } catch (err) {
    if (isMissing(err)) return true;
    throw err;
  }
}

/** Every photo of the store, whatever the page size, newest first. */
async function* everyPhoto(storage: Storage): AsyncGenerator<Photo> {
  let before: string | undefined;
  do {
    const page = await storage.photos.listAll({ limit: 100, before });
    yield* page.items;
    before = page.next ?? undefined;
  } while (before);
}

/** Copies `dataDir` into `target` (missing or empty) while the site may be running on it. */
export async function backupDataDir(
  dataDir: string,
  target: string,
  timeoutMs = 10_000,
): Promise<BackupSummary> {
  if (!(await isEmptyOrMissing(target)))
    throw new Error(`${target} is not empty: back up into a new folder.`);
  const source = join(dataDir, DATABASE_FILE);
  await stat(source).catch((err: unknown) => {
    throw isMissing(err) ? new Error(`${source} does not exist: is DATA_DIR right?`) : err;
  });
  await mkdir(join(target, IMAGES_DIR), { recursive: true });

  const db = new Database(source, { readonly: true, timeout: timeoutMs, fileMustExist: true });
  try {
    // Every page in one step (the largest count better-sqlite3 takes), so the copy is one snapshot.
    await db.backup(join(target, DATABASE_FILE), { progress: () => 0x7fffffff });
  } finally {
    db.close();
  }

  let bytes = 0;
  for (const entry of await readdir(dataDir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name) || entry.name === DATABASE_FILE || !entry.isFile()) continue;
    await copyFile(join(dataDir, entry.name), join(target, entry.name));
  }

  const copy = createEmbeddedStorage({ dataDir: target, timeoutMs });
  let photos = 0;
  let images = 0;
  let deletedMeanwhile = 0;
  try {
    for await (const photo of everyPhoto(copy)) {
      const keys = imageKeysOf(photo);
      const copied = await Promise.all(keys.map((key) => copyImage(dataDir, target, key)));
      if (copied.every((size) => size !== null)) {
        photos += 1;
        images += keys.length;
        bytes += copied.reduce<number>((sum, size) => sum + (size ?? 0), 0);
        continue;
      }
      // Deleted after the snapshot (a delete removes the row first, then the files).
      await copy.comments.deleteAllForPhoto(photo.id);
      await copy.photos.delete(photo.id);
      await copy.blobs.delete(keys);
      deletedMeanwhile += 1;
    }
  } finally {
    await copy.close();
  }
  await rm(join(target, `${DATABASE_FILE}-wal`), { force: true });
  await rm(join(target, `${DATABASE_FILE}-shm`), { force: true });
  const summary = { photos, images, deletedMeanwhile, bytes };
  await writeFile(
    join(target, MANIFEST_FILE),
    `${JSON.stringify({ createdAt: new Date(), ...summary }, null, 2)}\n`,
  );
  return summary;
}

/** Copies one image of the data folder into the backup; null when it is gone. */
async function copyImage(dataDir: string, target: string, key: string): Promise<number | null> {
  const to = join(target, IMAGES_DIR, key);
  await mkdir(join(to, '..'), { recursive: true });
  try {
    await copyFile(join(dataDir, IMAGES_DIR, key), to);
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
  return (await stat(to)).size;
}

/**
 * Puts a backup made by backupDataDir into `dataDir`, which must hold no database (a site that
 * runs on it would be overwritten under its feet): stop the site and move the old folder away first.
 */
export async function restoreDataDir(backup: string, dataDir: string): Promise<void> {
  try {
    await stat(join(backup, MANIFEST_FILE));
  } catch (err) {
    if (isMissing(err)) throw new Error(`${backup} is not a Lumina backup (no ${MANIFEST_FILE}).`);
    throw err;
  }
  try {
    await stat(join(dataDir, DATABASE_FILE));
    throw new Error(`${dataDir} already holds a site: stop it and move that folder away first.`);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  await mkdir(dataDir, { recursive: true });
  await copyTree(backup, dataDir);
}

async function copyTree(from: string, to: string): Promise<void> {
  for (const entry of await readdir(from, { withFileTypes: true })) {
    if (entry.name === MANIFEST_FILE || SKIPPED.has(entry.name)) continue;
    const source = join(from, entry.name);
    const dest = join(to, entry.name);
    if (entry.isDirectory()) {
      await mkdir(dest, { recursive: true });
      await copyTree(source, dest);
    } else if (entry.isFile()) {
      await copyFile(source, dest);
    }
  }
}
