import Database from 'better-sqlite3';
import { AppError, InvalidInput, NotFound, Unavailable } from '../../domain/errors';
import { uniqueClash } from '../clash';

/** The names /readyz and Unavailable errors use for the SQLite file and the image folder. */
export const SQLITE = 'sqlite';
export const DISK = 'disk';

const codeOf = (err: unknown): string | undefined =>
  err instanceof Database.SqliteError ? err.code : undefined;

/** The other worker holds the lock (past the busy timeout, or at once while it switches the file to WAL). */
export const isBusy = (err: unknown): boolean => {
  const code = codeOf(err);
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
};

const isUniqueCode = (code: string | undefined): boolean =>
  code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';

/**
 * Maps what SQLite throws to the domain's errors, once, in the client (sqlite-client.ts). A busy
 * or locked database (the other worker held the write lock past the busy timeout) or a file that
 * cannot be read is Unavailable; a unique-key clash is a Conflict (the driver error is its
 * `cause`, so a store can tell which key clashed); other constraint failures mean the caller
 * broke a rule the service should have checked.
 */
export function translateSqliteError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const code = codeOf(err);
  if (code === undefined) return err;
  const cause = { cause: err };
  if (isBusy(err)) return Object.assign(new Unavailable(SQLITE), cause);
  if (code === 'SQLITE_CANTOPEN' || code === 'SQLITE_IOERR' || code.startsWith('SQLITE_IOERR_')) {
    return Object.assign(new Unavailable(SQLITE), cause);
  }
  if (isUniqueCode(code)) return uniqueClash(err);
  if (code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return Object.assign(new NotFound('A record it refers to does not exist.'), cause);
  }
  if (code === 'SQLITE_CONSTRAINT_CHECK') {
    return Object.assign(new InvalidInput('The record breaks a rule of the store.'), cause);
  }
  return err;
}

const DISK_UNAVAILABLE_CODES = new Set([
  'EACCES',
  'EPERM',
  'ENOSPC',
  'EROFS',
  'EIO',
  'EDQUOT',
  'EMFILE',
  'ENFILE',
]);

/** Disk trouble (full, read-only, permissions, I/O) is the image folder being unavailable, not a bug. */
export function translateDiskError(err: unknown): unknown {
  const code = fileErrorCode(err);
  if (code && DISK_UNAVAILABLE_CODES.has(code)) return Object.assign(new Unavailable(DISK), { cause: err });
  return err;
}

export const fileErrorCode = (err: unknown): string | undefined =>
  err instanceof Error && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
