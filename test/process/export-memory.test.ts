import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import yauzl from 'yauzl';
import { loadConfig, withSessionSecret } from '../../src/config';
import { randomSecret } from '../../src/lib/secret-file';
import type { Storage } from '../../src/ports';
import { createStorage } from '../../src/storage';
import { inBatches, newPhoto } from '../contract/fixtures';
import { freshAwsEnv } from '../support/aws-env';
import { Client, startServer, type ServerProcess } from '../support/server-process';

const PHOTOS = 1000;
/**
 * "Within a few tens of MB of its idle size". Streaming still makes garbage at the pace of the
 * download (a fresh Buffer for every chunk of every image, SDK objects for every S3 read), and V8
 * lets its young generation and the memory outside its heap grow by tens of MB before it
 * collects, so a streaming worker peaks some 35-60 MiB above idle whatever the archive's size
 * (measured: about the same with a 96 and a 188 MiB archive); a worker that held the archive
 * would grow by all of it (188 MiB here, so over twice the bound).
 */
const MAX_GROWTH_MIB = 80;

const mib = (bytes: number) => bytes / 2 ** 20;

/** The resident set of a process, from Linux's /proc (what `ps` and PM2 show). */
function rssOf(pid: number): number {
  const line = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!line) throw new Error(`no VmRSS for process ${pid}`);
  return Number(line[1]) * 1024;
}

/** Distinct real JPEGs of ~190 KB (noise does not compress), made by sharp. */
async function noiseJpegs(count: number): Promise<Buffer[]> {
  return Promise.all(
    Array.from({ length: count }, (_, seed) => {
      const [width, height] = [560, 420];
      const pixels = Buffer.alloc(width * height * 3);
      let x = seed + 1;
      for (let i = 0; i < pixels.length; i++) {
        x = (x * 1103515245 + 12345) & 0x7fffffff;
        pixels[i] = x >> 16;
      }
      return sharp(pixels, { raw: { width, height, channels: 3 } })
        .jpeg({ quality: 90 })
        .toBuffer();
    }),
  );
}

/** Entries of the zip file at `path` and their uncompressed bytes, read by yauzl from the central directory. */
function zipEntries(path: string): Promise<{ names: string[]; bytes: number }> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err) return reject(err);
      const names: string[] = [];
      let bytes = 0;
      zip.on('entry', (entry: yauzl.Entry) => {
        names.push(entry.fileName);
        bytes += entry.uncompressedSize;
        zip.readEntry();
      });
      zip.on('end', () => resolve({ names, bytes }));
      zip.on('error', reject);
      zip.readEntry();
    });
  });
}

const backends = ['embedded', 'aws'] as const;

describe.each(backends)('download my data on %s, from a started worker', (backend) => {
  const dir = mkdtempSync(join(tmpdir(), `lumina-export-${backend}-`));
  let server: ServerProcess | undefined;
  let storage: Storage | undefined;
  afterAll(async () => {
    await server?.stop();
    await storage?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it(`export of ${PHOTOS} photos streams a complete zip while the worker's RSS stays within ${MAX_GROWTH_MIB} MiB of idle`, async () => {
    const env = {
      DATA_DIR: join(dir, 'data'),
      ...(backend === 'aws' ? await freshAwsEnv() : {}),
    };
    server = await startServer(env);
    storage = await createStorage(withSessionSecret(loadConfig({ ...env, NODE_ENV: 'test' }), randomSecret));
    const client = new Client(server.url);
    const name = `exp${Date.now() % 1e6}`;
    const signup = await client.call('POST', '/api/auth/signup', {
      username: name,
      password: 'a long password',
    });
    expect(signup.status).toBe(201);
    const owner = { id: signup.body.id as number, username: name };

    // Seeded through the stores (the upload route would spend minutes in sharp).
    const images = await noiseJpegs(8);
    await inBatches(
      Array.from({ length: PHOTOS }, (_, i) => async () => {
        const photo = newPhoto(owner, { caption: `photo ${i}` });
        await storage!.blobs.put(photo.keys.full, images[i % images.length]!, 'image/jpeg');
        await storage!.photos.create(photo);
      }),
      16,
    );
    const imageBytes = images.reduce(
      (sum, image, i) => sum + image.length * Math.ceil((PHOTOS - i) / images.length),
      0,
    );

    // Idle: a worker that has served exports before (two of 20 photos), so the modules, sockets
    // and allocator arenas every export uses are there already, as in a worker that has run a while.
    const warm = new Client(server.url);
    const warmName = `w${name}`;
    const warmSignup = await warm.call('POST', '/api/auth/signup', {
      username: warmName,
      password: 'a long password',
    });
    for (let i = 0; i < 20; i++) {
      const photo = newPhoto({ id: warmSignup.body.id as number, username: warmName });
      await storage.blobs.put(photo.keys.full, images[i % images.length]!, 'image/jpeg');
      await storage.photos.create(photo);
    }
    for (let i = 0; i < 2; i++) {
      const small = await fetch(`${server.url}/api/users/me/export`, { headers: { cookie: warm.cookie } });
      expect(small.status).toBe(200);
      await small.arrayBuffer();
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const pid = server.process.pid!;
    const idle = Math.max(rssOf(pid), rssOf(pid));

    let peak = idle;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssOf(pid));
    }, 20);
    const file = join(dir, 'export.zip');
    const started = Date.now();
    try {
      const res = await fetch(`${server.url}/api/users/me/export`, {
        headers: { cookie: client.cookie },
        signal: AbortSignal.timeout(180_000),
      });
      expect(res.status).toBe(200);
      await pipeline(Readable.fromWeb(res.body!), createWriteStream(file));
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    peak = Math.max(peak, rssOf(pid));

    const zipBytes = statSync(file).size;
    const { names, bytes } = await zipEntries(file);
    expect(names.filter((n) => n.startsWith('photos/'))).toHaveLength(PHOTOS);
    expect(names.filter((n) => n.endsWith('.json'))).toHaveLength(6);
    expect(bytes).toBeGreaterThan(imageBytes);
    expect(zipBytes).toBeGreaterThan(imageBytes);
    console.info(
      `export (${backend}): ${PHOTOS} photos, zip ${mib(zipBytes).toFixed(1)} MiB in ${seconds.toFixed(1)} s; ` +
        `worker RSS idle ${mib(idle).toFixed(1)} MiB, peak ${mib(peak).toFixed(1)} MiB (+${mib(peak - idle).toFixed(1)})`,
    );
    // The archive is far larger than the bound, so holding it whole would fail the test.
    expect(mib(zipBytes)).toBeGreaterThan(MAX_GROWTH_MIB * 2);
    expect(mib(peak - idle)).toBeLessThan(MAX_GROWTH_MIB);
  }, 300_000);
});
