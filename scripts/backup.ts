/**
 * npm run backup -- <dir>    a consistent copy of the embedded site's DATA_DIR, taken while it runs
 * npm run restore -- <dir>   puts such a copy back into DATA_DIR (which must hold no site yet)
 *
 * The aws backend is backed up by AWS itself (README, "Backups").
 */
import { resolve } from 'node:path';
import { loadConfig } from '../src/config';
import { backupDataDir, restoreDataDir } from './lib/backup';

async function main([command, dir]: string[]): Promise<void> {
  if ((command !== 'backup' && command !== 'restore') || !dir) {
    throw new Error('usage: npm run backup -- <dir> | npm run restore -- <dir>');
  }
  const config = loadConfig();
  if (config.storage.backend !== 'embedded') {
    throw new Error('STORAGE_BACKEND is "aws": its data is backed up by AWS (README, "Backups").');
  }
  const target = resolve(dir);
  if (command === 'restore') {
    await restoreDataDir(target, config.dataDir);
    console.log(`restored ${target} into ${config.dataDir}`);
    return;
  }
  const started = Date.now();
  const summary = await backupDataDir(config.dataDir, target, Math.max(config.storeTimeoutMs, 10_000));
  console.log(
    `backed up ${config.dataDir} into ${target}: ${summary.photos} photos, ${summary.images} images ` +
      `(${(summary.bytes / 1e6).toFixed(1)} MB), ${summary.deletedMeanwhile} deleted meanwhile, ` +
      `in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
