import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, withSessionSecret } from '../../src/config';
import { imageKeysOf } from '../../src/domain/types';
import { newId } from '../../src/lib/ulid';
import type { Storage } from '../../src/ports';
import { SweepService } from '../../src/services/sweep.service';
import { createStorage } from '../../src/storage';
import { freshAwsEnv } from '../support/aws-env';
import { makeJpeg } from '../support/images';
import { Client, startServer } from '../support/server-process';
import { startStallProxy } from '../support/stall-proxy';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');
const SECRET = 'sweep-test-secret-0123456789abcdef01';

/**
 * SIGKILL a worker in the middle of uploads and deletes: images are stored before their photo
 * and deleted after it, so the kill leaves objects no photo owns. The sweep must remove exactly
 * those, and no photo may stay visible half-deleted or without its images. Each backend gets
 * stores of its own (a fresh data folder; on aws fresh tables and bucket), so the counts are exact.
 */
describe.each(['embedded', 'aws'] as const)(
  'a worker killed during uploads and deletes, then the sweep (%s)',
  (backend) => {
    const dirs: string[] = [];
    afterAll(() => {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    });

    async function environment(): Promise<Record<string, string>> {
      const dataDir = mkdtempSync(join(tmpdir(), 'lumina-sweep-'));
      dirs.push(dataDir);
      const env: Record<string, string> = { DATA_DIR: dataDir, SESSION_SECRET: SECRET, NODE_ENV: 'test' };
      if (backend === 'embedded') return env;
      return { ...env, ...(await freshAwsEnv()) };
    }

    const openStorage = (env: Record<string, string>): Promise<Storage> =>
      createStorage(withSessionSecret(loadConfig(env), () => SECRET));

    async function census(storage: Storage) {
      const objects: string[] = [];
      for await (const blob of storage.blobs.list('photos/')) objects.push(blob.key);
      const photos = [];
      for (let before: string | undefined, i = 0; i < 100; i++) {
        const page = await storage.photos.listAll({ limit: 100, ...(before ? { before } : {}) });
        photos.push(...page.items);
        if (!page.next) break;
        before = page.next;
      }
      const owned = new Set(photos.flatMap((photo) => imageKeysOf(photo)));
      return {
        photos,
        orphans: objects.filter((key) => !owned.has(key)),
        missing: [...owned].filter((key) => !objects.includes(key)),
      };
    }

    it('the sweep removes every image no photo owns, and no photo is left without its images', async () => {
      const env = await environment();
      const jpegs = await Promise.all([640, 800, 960, 1200].map((w) => makeJpeg(w, Math.round(w * 0.75))));
      let orphansSeen = 0;
      const proxy =
        backend === 'aws' ? await startStallProxy(Number(new URL(env.DYNAMODB_ENDPOINT!).port)) : null;
      // The first round that leaves orphans shows the sweep's work; more rounds only if one does not.
      for (let round = 0; round < 8 && orphansSeen === 0; round++) {
        const server = await startServer(proxy ? { ...env, DYNAMODB_ENDPOINT: proxy.url } : env);
        const client = new Client(server.url);
        const signup = await client.call('POST', '/api/auth/signup', {
          username: `sweep${randomBytes(4).toString('hex')}`,
          password: 'a long password',
        });
        expect(signup.status).toBe(201);
        const upload = async (i: number) => {
          const form = new FormData();
          form.append('caption', `burst ${i}`);
          form.append('photo', new Blob([jpegs[i % jpegs.length]!], { type: 'image/jpeg' }), 'p.jpg');
          const res = await fetch(`${server.url}/api/photos`, {
            method: 'POST',
            body: form,
            headers: { cookie: client.cookie },
            signal: AbortSignal.timeout(20_000),
          });
          return { status: res.status, id: ((await res.json()) as { id?: string }).id };
        };
        const first = await Promise.all([0, 1, 2, 3].map(upload));
        const burst = [
          ...Array.from({ length: 16 }, (_, i) => upload(i)),
          ...first.map((p) => client.call('DELETE', `/api/photos/${p.id}`)),
        ].map((request) => request.catch(() => null));
        // The window between the images and the record is too short to hit by chance, so the
        // record store stalls mid-burst, as a slow store would: the uploads store their images and
        // then wait for the record when the worker dies. On the embedded backend another connection
        // takes SQLite's write lock once the uploads are past the rate limiter (which writes to
        // SQLite too); on aws the worker's DynamoDB connections stall in a proxy (the rate limiter
        // and sessions live in MySQL).
        let lock: Database.Database | null = null;
        if (backend === 'embedded') {
          // As soon as the burst's first images are on disk: the uploads behind it are past every
          // earlier step and will store their images while the record waits.
          const folders = join(env.DATA_DIR!, 'images', 'photos');
          const known = readdirSync(folders).length;
          for (const deadline = Date.now() + 10_000; Date.now() < deadline;) {
            if (readdirSync(folders).length > known) break;
            await new Promise((resolve) => setTimeout(resolve, 2));
          }
          lock = new Database(join(env.DATA_DIR!, 'lumina.sqlite'));
          lock.exec('BEGIN IMMEDIATE');
        } else {
          proxy?.stall();
        }
        await new Promise((resolve) => setTimeout(resolve, 800));
        server.process.kill('SIGKILL');
        await Promise.all(burst);
        await server.stop();
        lock?.exec('ROLLBACK');
        lock?.close();
        // What the dead worker had sent into the stall never reached DynamoDB: drop it (resuming
        // would deliver a dead process's writes late, after the count below).
        await proxy?.down();
        await proxy?.up();
        proxy?.resume();

        const storage = await openStorage(env);
        try {
          const before = await census(storage);
          orphansSeen += before.orphans.length;
          expect(before.missing, 'a photo is listed without its images').toEqual([]);
        } finally {
          await storage.close();
        }
      }
      await proxy?.close();
      expect(orphansSeen, 'no kill left an orphan: the test did not exercise the sweep').toBeGreaterThan(0);

      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', join(ROOT, 'scripts', 'sweep.ts'), '--grace-minutes', '0'],
        {
          cwd: ROOT,
          env: { PATH: process.env.PATH ?? '', ...env },
          timeout: 60_000,
        },
      );
      expect(stdout).toMatch(/removed [1-9]\d*; photos without images: 0/);
      const storage = await openStorage(env);
      try {
        const after = await census(storage);
        expect(after.orphans).toEqual([]);
        expect(after.missing).toEqual([]);
        // No delete the kill cut short is left unfinished: the sweep ran each to its end.
        expect(await storage.photos.unfinishedDeletes(new Date())).toEqual([]);
        expect(after.photos.length).toBeGreaterThan(0);
        for (const key of after.photos.flatMap((photo) => imageKeysOf(photo))) {
          const blob = await storage.blobs.open(key);
          expect(blob, key).not.toBeNull();
          blob?.body.destroy();
        }
      } finally {
        await storage.close();
      }
    }, 240_000);

    it('the sweep never takes an object younger than the grace period, even one no photo owns (yet)', async () => {
      const env = await environment();
      const storage = await openStorage(env);
      try {
        const key = `photos/${newId()}/full.jpg`;
        await storage.blobs.put(
          key,
          Buffer.from('an upload whose record is still being written'),
          'image/jpeg',
        );
        const sweep = new SweepService(storage.photos, storage.comments, storage.blobs);
        expect((await sweep.sweepImages(60 * 60_000)).removed).toEqual([]);
        const blob = await storage.blobs.open(key);
        expect(blob).not.toBeNull();
        blob?.body.destroy();
        expect((await sweep.sweepImages(0)).removed).toEqual([key]);
        expect(await storage.blobs.open(key)).toBeNull();
      } finally {
        await storage.close();
      }
    });
  },
);
