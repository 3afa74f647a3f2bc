import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

/** 32 random bytes as hex: 64 characters. */
export const randomSecret = (): string => randomBytes(32).toString('hex');

/**
 * The secret kept in `file`: read it, or on first use generate one and write it (mode 600).
 * The file is created exclusively, so processes starting at once (PM2's two workers) agree on
 * one secret, and restarts keep it.
 */
export function readOrCreateSecret(file: string): string {
  try {
    const saved = readFileSync(file, 'utf8').trim();
    if (saved) return saved;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dirname(file), { recursive: true });
  try {
    writeFileSync(file, randomSecret(), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    // Another process wrote it first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFileSync(file, 'utf8').trim();
}
