/**
 * `npm run images:backfill`: gives every photo stored before the medium size (1080 px) and the
 * 400 px thumbnail existed those two files, made from its stored full image, on the configured
 * backend (embedded or aws, from the environment like the server). Resumable: run it again
 * after an interruption and it does only what is left. The site keeps serving meanwhile; until
 * a photo is reached, its medium address answers the full image.
 */
import { randomBytes } from 'node:crypto';
import { loadConfig, withSessionSecret } from '../src/config';
import { createContainer } from '../src/container';
import { createLogger } from '../src/lib/logger';
import { backfillImages } from './lib/images-backfill';

async function main(): Promise<number> {
  try {
    process.loadEnvFile();
  } catch {
    // No .env file: the environment alone configures the store, as for the server.
  }
  // The backfill makes no sessions; the config only needs a secret to be complete.
  const config = withSessionSecret(loadConfig(), () => randomBytes(32).toString('hex'));
  const container = await createContainer(config, createLogger('warn'));
  try {
    const started = Date.now();
    const report = await backfillImages(
      { photos: container.storage.photos, service: container.services.photos },
      (line) => console.log(line),
    );
    console.log(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
    return report.failed > 0 ? 1 : 0;
  } finally {
    await container.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(
      `images:backfill failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
    );
    process.exit(1);
  },
);
