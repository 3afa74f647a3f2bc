import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** 32 random bytes as hex: 64 characters. */
export const randomSecret = (): string => randomBytes(32).toString('hex');

/**
 * The secret kept in `file`: read it, or on first use generate one and write it (mode 600).
 * The secret is written whole to a file of this process's own, then hard-linked to `file`, which
 * fails if `file` exists: so processes starting at once (PM2's two workers) agree on one secret,
 * none ever reads a file another is still writing, and restarts keep it.
 */
export function readOrCreateSecret(file: string): string {
  try {
    const saved = readFileSync(file, 'utf8').trim();
    if (saved) return saved;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(file), { recursive: true });
  const own = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  writeFileSync(own, randomSecret(), { flag: 'wx', mode: 0o600 });
  try {
    linkSync(own, file);
  } catch (err) {
    // Another process linked its secret first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  } finally {
    unlinkSync(own);
  }
  return readFileSync(file, 'utf8').trim();
}
