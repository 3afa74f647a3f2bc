import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createEmbeddedStorage } from '../../src/storage/embedded';

/**
 * Run by embedded.test.ts as a separate process, like a second PM2 worker. Prints `ready`, waits
 * for the parent's `go` file so every process opens (and so migrates) the shared data dir at the
 * same moment, then writes to it and prints one JSON line.
 */
async function main(): Promise<void> {
  const [dataDir, name] = process.argv.slice(2);
  if (!dataDir || !name) throw new Error('usage: embedded-worker.child.ts <dataDir> <username>');
  process.stdout.write('ready\n');
  while (!existsSync(join(dataDir, 'go'))) await new Promise((resolve) => setTimeout(resolve, 2));
  const storage = createEmbeddedStorage({ dataDir, timeoutMs: 5000 });
  try {
    const user = await storage.users.create({
      username: name,
      email: `${name}@lumina.test`,
      passwordHash: 'x',
    });
    let last = 0;
    for (let i = 0; i < 50; i++) last = (await storage.rateLimits.increment('shared-key', 60_000)).count;
    process.stdout.write(`${JSON.stringify({ userId: user.id, last })}\n`);
  } finally {
    await storage.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
