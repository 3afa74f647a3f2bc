/**
 * `npm run bench:storage`: what each request type costs the store, on both backends in one run.
 *
 * For each backend (a child process each, so CPU time and memory are its own) the app runs
 * in-process on 127.0.0.1 with the same seeded world as bench/run.ts (20 users, 10 friends, 40
 * messages, 100 photos, the viewer likes every tenth, every third has a comment); each request type is sent `BENCH_REQUESTS`
 * times one after another, so every store call (ports.ts StoreCall, from createStorage's
 * `onCall`) belongs to the request in flight. Reported per request: store calls by backing
 * service, DynamoDB's sequential waves, consumed read and write units, response bytes, wall
 * time, and the process's CPU time (app and load client together, the client being the same
 * on both backends). The aws backend runs against throwaway local stand-ins (MariaDB, DynamoDB
 * Local, s3rver) in a temp folder, killed at the end; everything is loopback only and bounded.
 *
 * Settings (environment): BENCH_REQUESTS (200, per request type), BENCH_PHOTOS (100).
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { startLocalAws, type LocalAws } from '../scripts/lib/local-services';
import { createApp } from '../src/app';
import { loadConfig, withSessionSecret } from '../src/config';
import { createContainer, type Container } from '../src/container';
import type { User, Viewer } from '../src/domain/types';
import { createLogger } from '../src/lib/logger';
import { currentWork } from '../src/lib/work-context';
import { randomSecret } from '../src/lib/secret-file';
import { newId } from '../src/lib/ulid';
import type { StoreCall } from '../src/ports';
import { makePhotoJpeg } from './images';
import { cookieFrom, request } from './lib/http';
import { BENCH_NAMES } from './lib/processes';

const intEnv = (name: string, fallback: number, max: number): number => {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`${name}: 1 to ${max}`);
  return value;
};
const REQUESTS = intEnv('BENCH_REQUESTS', 200, 2000);
const PHOTOS = intEnv('BENCH_PHOTOS', 100, 5000);
const WARMUP = 20;
/** A child (one backend) must finish within this, or it is killed. */
const CHILD_LIMIT_MS = 6 * 60_000;
const PASSWORD = 'bench-password-1';
const WORDS = ['harbour', 'lights', 'morning', 'market', 'quiet', 'river', 'golden', 'hour', 'city', 'rain'];

type Backend = 'embedded' | 'aws';

interface Workload {
  name: string;
  path: string;
}

export interface Measured {
  name: string;
  /** Mean store calls per request, by backing service. */
  calls: Record<string, number>;
  /** Mean DynamoDB waves per request: calls that start only after an earlier one ended. */
  dynamoWaves: number;
  readUnits: number;
  writeUnits: number;
  responseBytes: number;
  wallMs: number;
  cpuMs: number;
  operations: Record<string, number>;
}

interface Report {
  backend: Backend;
  requests: number;
  photos: number;
  rssMiB: number;
  measured: Measured[];
}

const caption = (i: number) => {
  const pick = (k: number) => WORDS[(i * 7 + k * 3) % WORDS.length]!;
  return `${pick(0)} ${pick(1)} by the ${pick(2)}, ${pick(3)} ${pick(4)} #${i}`;
};
const asViewer = (u: User): Viewer => ({ id: u.id, username: u.username });

/** The bench world of bench/run.ts, through the services and stores. */
async function seed(
  c: Container,
): Promise<{ viewer: User; partner: User; lastMessageId: string; photoId: string }> {
  const { services } = c;
  const suffix = randomBytes(3).toString('hex');
  const signup = (name: string) =>
    services.auth.signup({ username: `${name}_${suffix}`, password: PASSWORD });
  const viewer = await signup('bv');
  const friends: User[] = [];
  for (let i = 0; i < 10; i++) friends.push(await signup(`bf${i}`));
  const others: User[] = [];
  for (let i = 0; i < 9; i++) others.push(await signup(`bo${i}`));
  for (const friend of friends) {
    const asked = await services.friends.request(asViewer(viewer), { userId: friend.id });
    await services.friends.respond(asViewer(friend), asked.id, 'accept');
  }
  const partner = friends[0]!;
  let lastMessageId = '';
  for (let i = 0; i < 40; i++) {
    const [from, to] = i % 2 === 0 ? [viewer, partner] : [partner, viewer];
    lastMessageId = (await services.messages.send(asViewer(from), to.id, `message ${i}: ${caption(i)}`)).id;
  }
  await c.storage.messages.markRead(viewer.id, partner.id);
  const real = await services.photos.upload(asViewer(partner), {
    bytes: await makePhotoJpeg(1600, 1200, { seed: 7 }),
    caption: 'Harbour lights at dusk, seen from the old pier',
    topic: 'travel',
    format: 'jpeg',
  });
  const everyone = [viewer, ...friends, ...others];
  for (let i = 0; i < 12; i++) {
    await services.comments.add(
      asViewer(everyone[i % everyone.length]!),
      real.id,
      `Comment ${i}: ${caption(i)}`,
    );
  }
  for (const u of everyone.slice(0, 8)) await services.photos.like(asViewer(u), real.id);
  for (let n = 1; n < PHOTOS; n++) {
    const owner = everyone[n % everyone.length]!;
    const id = newId();
    await c.storage.photos.create({
      id,
      userId: owner.id,
      username: owner.username,
      topic: 'travel',
      caption: caption(n),
      createdAt: new Date(),
      width: real.width,
      height: real.height,
      alt: null,
      keys: real.keys,
      contentType: real.contentType,
    });
    if (n % 10 === 0) await c.storage.photos.like(id, viewer.id);
    // Every third photo has a comment, for the Home page's newest comments under each post.
    if (n % 3 === 0) {
      await services.comments.add(asViewer(everyone[(n + 1) % everyone.length]!), id, `About #${n}`);
    }
  }
  return { viewer, partner, lastMessageId, photoId: real.id };
}

/** Calls that start only after some call of the current wave has ended open a new wave. */
function wavesOf(calls: { start: number; end: number }[]): number {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  let waves = 0;
  let waveEnd = -Infinity;
  for (const call of sorted) {
    if (call.start >= waveEnd) {
      waves++;
      waveEnd = call.end;
    } else {
      waveEnd = Math.min(waveEnd, call.end);
    }
  }
  return waves;
}

async function runBackend(backend: Backend): Promise<Report> {
  const tmp = mkdtempSync(join(tmpdir(), `lumina-store-calls-${backend}-`));
  let aws: LocalAws | undefined;
  let container: Container | undefined;
  let server: Server | undefined;
  try {
    let env: Record<string, string> = {
      NODE_ENV: 'production',
      STORAGE_BACKEND: 'embedded',
      DATA_DIR: join(tmp, 'data'),
      BCRYPT_COST: '4',
      LOG_LEVEL: 'silent',
      RATE_LIMIT_LOGIN_MAX: '1000000',
      RATE_LIMIT_LOGIN_IP_MAX: '1000000',
      RATE_LIMIT_SIGNUP_MAX: '1000000',
      RATE_LIMIT_UPLOAD_MAX: '1000000',
    };
    if (backend === 'aws') {
      aws = await startLocalAws(tmp, BENCH_NAMES, () => undefined);
      env = { ...env, ...aws.env };
    }
    const config = withSessionSecret(loadConfig(env), randomSecret);
    let current: { call: StoreCall; end: number }[] | undefined;
    container = await createContainer(config, createLogger('silent'), {
      // Only calls made for a request (the workers' own, such as hidden-people.ts's timed read, are not).
      onStoreCall: (call) => {
        if (currentWork()?.storeCalls) current?.push({ call, end: performance.now() });
      },
    });
    const world = await seed(container);
    server = createServer(createApp(container));
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (!address || typeof address === 'string') throw new Error('no port');
    const port = address.port;
    const login = await request({
      port,
      method: 'POST',
      path: '/api/auth/login',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: world.viewer.username, password: PASSWORD }),
    });
    const cookie = cookieFrom(login.headers, config.session.cookieName);
    if (login.status !== 200 || !cookie) throw new Error(`login: HTTP ${login.status}`);
    const headers = { cookie };
    const workloads: Workload[] = [
      { name: 'GET /api/photos?scope=all&limit=50', path: '/api/photos?scope=all&limit=50' },
      { name: 'GET /api/photos?scope=home&limit=50', path: '/api/photos?scope=home&limit=50' },
      { name: 'GET / (Home page, HTML: 50 posts, a third with comments)', path: '/' },
      { name: 'GET /photos/:id (HTML page)', path: `/photos/${world.photoId}` },
      { name: 'GET /api/photos/:id', path: `/api/photos/${world.photoId}` },
      // Reads nothing of its own: what the navigation badges of every signed-in page cost.
      { name: 'GET /upload (HTML page, badges only)', path: '/upload' },
      { name: 'GET /api/badges', path: '/api/badges' },
      {
        name: 'GET /api/messages (poll, nothing new)',
        path: `/api/messages?user_id=${world.partner.id}&after=${world.lastMessageId}`,
      },
    ];
    const measured: Measured[] = [];
    for (const workload of workloads) {
      for (let i = 0; i < WARMUP; i++) await request({ port, path: workload.path, headers });
      const calls: Record<string, number> = {};
      const operations: Record<string, number> = {};
      let waves = 0;
      let readUnits = 0;
      let writeUnits = 0;
      let bytes = 0;
      let wall = 0;
      const cpuBefore = process.cpuUsage();
      for (let i = 0; i < REQUESTS; i++) {
        current = [];
        const res = await request({ port, path: workload.path, headers });
        if (res.status !== 200) throw new Error(`${workload.name}: HTTP ${res.status}`);
        const made = current;
        current = undefined;
        bytes += res.body.length;
        wall += res.ms;
        for (const { call } of made) {
          calls[call.store] = (calls[call.store] ?? 0) + 1;
          const op = `${call.store} ${call.operation}`;
          operations[op] = (operations[op] ?? 0) + 1;
          readUnits += call.readUnits ?? 0;
          writeUnits += call.writeUnits ?? 0;
        }
        waves += wavesOf(
          made
            .filter(({ call }) => call.store === 'dynamodb')
            .map(({ call, end }) => ({ start: end - call.ms, end })),
        );
      }
      const cpu = process.cpuUsage(cpuBefore);
      const per = (n: number) => n / REQUESTS;
      measured.push({
        name: workload.name,
        calls: Object.fromEntries(Object.entries(calls).map(([k, v]) => [k, per(v)])),
        operations: Object.fromEntries(Object.entries(operations).map(([k, v]) => [k, per(v)])),
        dynamoWaves: per(waves),
        readUnits: per(readUnits),
        writeUnits: per(writeUnits),
        responseBytes: per(bytes),
        wallMs: per(wall),
        cpuMs: per((cpu.user + cpu.system) / 1000),
      });
    }
    return {
      backend,
      requests: REQUESTS,
      photos: PHOTOS,
      rssMiB: process.memoryUsage().rss / 2 ** 20,
      measured,
    };
  } finally {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    await container?.close().catch(() => undefined);
    await aws?.stop().catch(() => undefined);
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Runs one backend in a child process (its own CPU time and memory), bounded in time. */
function child(backend: Backend): Promise<Report> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', __filename], {
      env: { ...process.env, BENCH_STORE_BACKEND: backend },
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: CHILD_LIMIT_MS,
    });
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${backend} run exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '') as Report);
      } catch (err) {
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  });
}

function printTable(reports: Report[]): void {
  const byName = new Map<string, Map<Backend, Measured>>();
  for (const report of reports) {
    for (const m of report.measured) {
      if (!byName.has(m.name)) byName.set(m.name, new Map());
      byName.get(m.name)!.set(report.backend, m);
    }
  }
  const lines = [
    `| request | backend | store calls / request | DynamoDB waves | read units | write units | bytes / response | ms / request | CPU ms / request |`,
    `|---|---|---|---|---|---|---|---|---|`,
  ];
  for (const [name, perBackend] of byName) {
    for (const [backend, m] of perBackend) {
      const calls = Object.entries(m.calls)
        .map(([store, n]) => `${store} ${n.toFixed(2)}`)
        .join(', ');
      lines.push(
        `| \`${name}\` | ${backend} | ${calls} | ${backend === 'aws' ? m.dynamoWaves.toFixed(2) : '–'} | ${m.readUnits.toFixed(2)} | ${m.writeUnits.toFixed(2)} | ${m.responseBytes.toFixed(0)} | ${m.wallMs.toFixed(2)} | ${m.cpuMs.toFixed(2)} |`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n\n`);
  for (const report of reports) {
    process.stdout.write(`${report.backend}: RSS ${report.rssMiB.toFixed(0)} MiB after the run\n`);
    for (const m of report.measured) {
      const ops = Object.entries(m.operations)
        .map(([op, n]) => `${op} ×${n.toFixed(2)}`)
        .join(', ');
      process.stdout.write(`  ${m.name}: ${ops}\n`);
    }
  }
}

async function main(): Promise<void> {
  const only = process.env.BENCH_STORE_BACKEND;
  if (only === 'embedded' || only === 'aws') {
    process.stdout.write(`${JSON.stringify(await runBackend(only))}\n`);
    return;
  }
  process.stdout.write(
    `store calls per request, ${REQUESTS} sequential requests per type, ${PHOTOS} photos, app in-process on 127.0.0.1\n\n`,
  );
  const reports = [await child('embedded'), await child('aws')];
  printTable(reports);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(
      `[bench:storage] ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  },
);
