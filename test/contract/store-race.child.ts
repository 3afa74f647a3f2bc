import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, withSessionSecret } from '../../src/config';
import { Conflict } from '../../src/domain/errors';
import { createStorage } from '../../src/storage';

/**
 * Run by race.contract.ts as a separate process, like the other PM2 worker or another instance:
 * opens the store from `env` (parsed by src/config.ts, as a worker does), prints `ready`, waits
 * for the parent's `go` file so both processes start together, runs every call of its job at
 * once, and prints one JSON line with each outcome.
 */
export type RaceTask =
  { kind: 'like'; photoId: string; fanIds: number[] } | { kind: 'friend'; pairs: [number, number][] };
export type RaceJob = RaceTask & { env: Record<string, string>; goFile: string };

/** Per call, in the job's order: what it resolved to, or `conflict`, or an error's text. */
export type RaceResult = (string | { liked: boolean; likes: number } | null)[];

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as RaceJob;
  const config = withSessionSecret(loadConfig({ NODE_ENV: 'test', ...job.env }), () => 'x'.repeat(64));
  const storage = await createStorage(config);
  process.stdout.write('ready\n');
  while (!existsSync(job.goFile)) await sleep(2);
  try {
    const outcome = (call: Promise<unknown>) =>
      call.then(
        (value) => (value && typeof value === 'object' && 'liked' in value ? value : 'created'),
        (err: unknown) => (err instanceof Conflict ? 'conflict' : `error: ${String(err)}`),
      );
    const calls =
      job.kind === 'like'
        ? job.fanIds.map((fan) => outcome(storage.photos.like(job.photoId, fan)))
        : job.pairs.map(([from, to]) => outcome(storage.friends.create(from, to)));
    process.stdout.write(`${JSON.stringify(await Promise.all(calls))}\n`);
  } finally {
    await storage.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
