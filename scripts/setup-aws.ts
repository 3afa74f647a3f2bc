/**
 * npm run setup:aws [-- --local]
 *
 * Applies the MySQL migrations and creates the DynamoDB tables and the S3 bucket, idempotently,
 * wherever the environment points (STORAGE_BACKEND=aws and its keys: see .env.example): real AWS,
 * or the local servers of `npm run services:up`. `--local` reads `.services/env` first (values
 * already in the environment win).
 */
import { readFileSync } from 'node:fs';
import { loadConfig } from '../src/config';
import { setupAwsResources } from './lib/aws-setup';
import { ENV_FILE } from './lib/local-services';

function loadEnvFile(file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new Error(`${file} not found: run \`npm run services:up\` first.`);
  }
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!match) continue;
    const [, key = '', raw = ''] = match;
    const value = raw.startsWith("'") && raw.endsWith("'") ? raw.slice(1, -1).replace(/'\\''/g, "'") : raw;
    process.env[key] ??= value;
  }
}

async function main(args: string[]): Promise<void> {
  const isLocal = args.includes('--local');
  if (isLocal) loadEnvFile(ENV_FILE);
  const config = loadConfig();
  if (config.storage.backend !== 'aws') {
    throw new Error(
      'STORAGE_BACKEND is not "aws": set it and the AWS keys (or pass --local after `npm run services:up`).',
    );
  }
  const startedAt = Date.now();
  await setupAwsResources(config.storage.aws, {
    timeoutMs: Math.max(config.storeTimeoutMs, 10_000),
    createDatabase: isLocal,
    log: (line) => console.log(line),
  });
  console.log(`done in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
}

main(process.argv.slice(2)).then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
