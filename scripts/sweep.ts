/**
 * npm run sweep [-- --grace-minutes N]
 *
 * Finishes account deletions and photo deletes that died half-way, removes image objects that
 * no photo owns and that are older than the grace period (default SWEEP_GRACE_MINUTES), and
 * reports any photo listed without its images. Safe while the site runs; worker 0 also runs it
 * on a schedule.
 */
import { join } from 'node:path';
import { loadConfig, SESSION_SECRET_FILE, withSessionSecret } from '../src/config';
import { createContainer } from '../src/container';
import { createLogger } from '../src/lib/logger';
import { readOrCreateSecret } from '../src/lib/secret-file';

async function main(args: string[]): Promise<void> {
  const env = loadConfig();
  const config = withSessionSecret(env, () => readOrCreateSecret(join(env.dataDir, SESSION_SECRET_FILE)));
  const at = args.indexOf('--grace-minutes');
  const graceMs = at >= 0 ? Number(args[at + 1]) * 60_000 : config.sweep.graceMs;
  if (!Number.isFinite(graceMs) || graceMs < 0) throw new Error('--grace-minutes takes a number of minutes');
  const container = await createContainer(config, createLogger('warn'));
  try {
    const deletions = await container.services.deletion.resumeAll();
    console.log(`finished ${deletions} account deletions left half-way`);
    const report = await container.services.sweep.sweepImages(graceMs);
    console.log(
      `finished ${report.finishedDeletes.length} photo deletes that had died half-way` +
        `; looked at ${report.scanned} image objects, removed ${report.removed.length}` +
        `; photos without images: ${report.photosWithoutImages.length}`,
    );
    for (const id of report.finishedDeletes) console.log(`finished the delete of photo ${id}`);
    for (const key of report.removed) console.log(`removed ${key}`);
    for (const id of report.photosWithoutImages) console.log(`photo without images: ${id}`);
    if (report.photosWithoutImages.length > 0) process.exitCode = 2;
  } finally {
    await container.close();
  }
}

main(process.argv.slice(2)).then(
  () => process.exit(process.exitCode ?? 0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
