import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startServer, type ServerProcess } from '../support/server-process';

const STORE_TIMEOUT_MS = 1000;
/** What a 503 may take past the store timeout: the last retry's short busy wait and the HTTP round trip. */
const MARGIN_MS = 300;

interface Timed {
  status: number;
  message?: string;
  ms: number;
}

async function timed(call: () => Promise<{ status: number; body: any }>): Promise<Timed> {
  const started = Date.now();
  const answer = await call();
  return {
    status: answer.status,
    message: answer.body?.message as string | undefined,
    ms: Date.now() - started,
  };
}

/**
 * better-sqlite3 is synchronous: a write that waits on SQLite's busy handler blocks the worker's
 * whole event loop. A lock held by another process past the store timeout must cost each write
 * about the timeout (then 503 naming sqlite) and leave the worker free to answer everything else.
 */
describe('a worker on the embedded backend while another process holds the write lock', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-busy-'));
  let server: ServerProcess;
  const client = (): Client => new Client(server.url);
  let member: Client;

  beforeAll(async () => {
    server = await startServer({ DATA_DIR: dataDir, STORE_TIMEOUT_MS: String(STORE_TIMEOUT_MS) });
    member = client();
    const signup = await member.call('POST', '/api/auth/signup', {
      username: `busy${Date.now() % 1e6}`,
      password: 'a long password',
    });
    expect(signup.status).toBe(201);
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers each concurrent write 503 (sqlite) within about the timeout while reads keep answering at once', async () => {
    const holder = new Database(join(dataDir, 'lumina.sqlite'));
    holder.exec('BEGIN IMMEDIATE');
    let writes: Timed[];
    const reads: Timed[] = [];
    try {
      let writing = true;
      const pending = Promise.all(
        Array.from({ length: 4 }, (_, i) =>
          timed(() => member.call('PATCH', '/api/users/me', { bio: `bio ${i}` })),
        ),
      ).finally(() => (writing = false));
      // A read needs no lock in WAL mode: it is answered while the writes wait.
      await new Promise((resolve) => setTimeout(resolve, 50));
      while (writing) {
        reads.push(await timed(() => member.call('GET', '/api/auth/me')));
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      writes = await pending;
    } finally {
      holder.exec('ROLLBACK');
      holder.close();
    }
    for (const write of writes) {
      expect(write).toMatchObject({ status: 503, message: expect.stringContaining('sqlite') });
      expect(write.ms).toBeLessThan(STORE_TIMEOUT_MS + MARGIN_MS);
    }
    expect(reads.length).toBeGreaterThan(5);
    for (const read of reads) expect(read).toMatchObject({ status: 200 });
    expect(Math.max(...reads.map((read) => read.ms))).toBeLessThan(250);

    // The lock is gone: the same write goes through, without a restart.
    expect((await member.call('PATCH', '/api/users/me', { bio: 'after' })).status).toBe(200);
  });
});
