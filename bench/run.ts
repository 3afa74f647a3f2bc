/**
 * `npm run bench`: the built app (dist/main.js) under PM2 with its two cluster workers, on the
 * embedded backend in a temporary DATA_DIR, loaded over 127.0.0.1 only with autocannon.
 *
 * Speed is reported, never asserted: figures are requests/s and latency percentiles, and the two
 * targets are ratios against a baseline measured in this same run (the All feed with 100 photos
 * vs 5,000; the chat poll vs a bare node:http server on the same machine). Beside them, the same
 * poll answer sent through Express with one middleware shows what any Express route could reach.
 *
 * Every load is bounded in time and in count; the whole run has a hard time limit; PM2, the bare
 * servers and the temporary folders are cleaned up in `finally`, and on SIGINT/SIGTERM.
 *
 * Settings (environment): BENCH_PORT (18480), BENCH_BARE_PORT (18481), BENCH_FLOOR_PORT
 * (18482), BENCH_SECONDS (5),
 * BENCH_CONNECTIONS (10), BENCH_UPLOADS (10), BENCH_NODE_ENV (production), BENCH_KEEP=1 keeps
 * the temporary folder (data and PM2 logs) for a post-mortem.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { loadConfig, withSessionSecret, type Config } from '../src/config';
import { randomSecret } from '../src/lib/secret-file';
import { createContainer, type Container } from '../src/container';
import type { ImageKeys, User, Viewer } from '../src/domain/types';
import { createLogger } from '../src/lib/logger';
import { newId } from '../src/lib/ulid';
import { READER, seedReader } from './activity-world';
import { makePhotoJpeg } from './images';
import { cookieFrom, headerBytes, multipart, request } from './lib/http';
import { load, percentile, type LoadResult } from './lib/load';
import { appVariantServer, bareServer, freePort, Pm2App, type ClusterServer } from './lib/processes';

const ROOT = resolve(__dirname, '..');
const RESULTS_DIR = join(ROOT, 'bench', 'results');

const intEnv = (name: string, fallback: number, min: number, max: number): number => {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be a whole number from ${min} to ${max}`);
  }
  return value;
};

const settings = {
  port: intEnv('BENCH_PORT', 18480, 1024, 65535),
  barePort: intEnv('BENCH_BARE_PORT', 18481, 1024, 65535),
  floorPort: intEnv('BENCH_FLOOR_PORT', 18482, 1024, 65535),
  bypassPort: intEnv('BENCH_BYPASS_PORT', 18483, 1024, 65535),
  expressPort: intEnv('BENCH_EXPRESS_PORT', 18484, 1024, 65535),
  seconds: intEnv('BENCH_SECONDS', 5, 1, 30),
  connections: intEnv('BENCH_CONNECTIONS', 10, 1, 200),
  uploads: intEnv('BENCH_UPLOADS', 10, 1, 50),
  nodeEnv: process.env.BENCH_NODE_ENV === 'development' ? 'development' : 'production',
  keep: process.env.BENCH_KEEP === '1',
  /** BENCH_ONLY=poll: only the chat-poll comparison (while iterating on the request pipeline). */
  pollOnly: process.env.BENCH_ONLY === 'poll',
  warmupSeconds: 1,
  /** Count bound of one load run (the time bound is `seconds`). */
  maxRequests: 300_000,
  uploadWarmups: 2,
  /** All uploads together must finish within this, or the rest are skipped. */
  uploadBudgetMs: 120_000,
  pollRounds: 2,
  feedRounds: 2,
  smallStore: 100,
  largeStore: 5_000,
  /** The whole run stops (and cleans up) past this, whatever it is doing. */
  hardLimitMs: 8 * 60_000,
};

const PASSWORD = 'bench-password-1';
const ALL = 'GET /api/photos?scope=all&limit=50';
const ALL_PATH = '/api/photos?scope=all&limit=50';
const HOME = 'GET /api/photos?scope=home&limit=50';
const HOME_PATH = '/api/photos?scope=home&limit=50';
/** Below this share of the bypass's requests/s, the poll as an Express route is too slow (issue 8). */
const POLL_DESIGN_THRESHOLD = 0.8;
const POLL_GROUP = 'chat poll with nothing new (mean of alternating runs)';
const UPLOAD_GROUP = 'uploads (sequential, one at a time)';
const TOPICS = ['travel', 'food', 'street', 'nature', 'portrait', 'architecture', 'night', 'pets'];
const WORDS = ['harbour', 'lights', 'morning', 'market', 'quiet', 'river', 'golden', 'hour', 'city', 'rain'];

const elapsed = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;
const log = (message: string) => process.stdout.write(`[bench ${elapsed(startedAt)}] ${message}\n`);
const startedAt = Date.now();

// ---------------------------------------------------------------------------------------------
// Results

interface Row {
  group: string;
  name: string;
  rps?: number;
  p50?: number;
  p99?: number;
  note?: string;
}

const rows: Row[] = [];
const figures: Record<string, unknown> = {};

function addLoadRow(group: string, name: string, result: LoadResult, note = ''): void {
  const problems = [
    result.non2xx > 0 ? `${result.non2xx} non-2xx ${JSON.stringify(result.statusCodes)}` : '',
    result.errors > 0 ? `${result.errors} errors` : '',
  ].filter(Boolean);
  rows.push({
    group,
    name,
    rps: result.rps,
    p50: result.p50,
    p99: result.p99,
    note: [note, ...problems].filter(Boolean).join('; '),
  });
}

const fmt = (value: number | undefined, digits: number) =>
  value === undefined || Number.isNaN(value) ? '–' : value.toFixed(digits);

function printTable(): void {
  const nameWidth = Math.max(...rows.map((r) => r.name.length), 10);
  const header = `${'benchmark'.padEnd(nameWidth)}  ${'req/s'.padStart(9)}  ${'p50 ms'.padStart(8)}  ${'p99 ms'.padStart(8)}  notes`;
  const lines = [header, '-'.repeat(header.length + 20)];
  // Store sizes first, then uploads, then the poll comparison, whatever order they ran in.
  const rank = (g: string) =>
    g.startsWith(`${settings.smallStore} `)
      ? 0
      : g.startsWith(`${settings.largeStore} `)
        ? 1
        : g === UPLOAD_GROUP
          ? 2
          : 3;
  const groups = [...new Set(rows.map((r) => r.group))].sort((a, b) => rank(a) - rank(b));
  for (const group of groups) {
    lines.push(`# ${group}`);
    for (const row of rows.filter((r) => r.group === group)) {
      lines.push(
        `${row.name.padEnd(nameWidth)}  ${fmt(row.rps, 0).padStart(9)}  ${fmt(row.p50, 2).padStart(8)}  ${fmt(row.p99, 2).padStart(8)}  ${row.note ?? ''}`,
      );
    }
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------
// Clean-up: always, exactly once, also on SIGINT/SIGTERM and when the hard limit strikes.

let tmp: string | undefined;
let app: Pm2App | undefined;
/** The bench's side servers (bare node:http, the Express floor, the two poll designs). */
let sideServers: ClusterServer[] = [];
let container: Container | undefined;
let cleaning: Promise<void> | undefined;

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const server of sideServers)
      await server.stop().catch((err: unknown) => log(`stopping a side server failed: ${String(err)}`));
    await app?.stop().catch((err: unknown) => log(`stopping PM2 failed: ${String(err)}`));
    await container?.close().catch(() => undefined);
    if (tmp && !settings.keep) rmSync(tmp, { recursive: true, force: true });
    else if (tmp) log(`kept ${tmp}`);
  })();
  return cleaning;
}

function abort(reason: string, code: number): void {
  process.stderr.write(`\n[bench] ${reason}: stopping PM2 and cleaning up\n`);
  void cleanup().finally(() => process.exit(code));
}

process.once('SIGINT', () => abort('interrupted', 130));
process.once('SIGTERM', () => abort('terminated', 143));
const hardLimit = setTimeout(
  () => abort(`the run exceeded its limit of ${settings.hardLimitMs / 60_000} min`, 1),
  settings.hardLimitMs,
);

// ---------------------------------------------------------------------------------------------
// Seeding through the storage layer (fast), in the same DATA_DIR the workers open.

const asViewer = (u: User): Viewer => ({ id: u.id, username: u.username });

interface World {
  viewer: User;
  friends: User[];
  others: User[];
  chatPartner: User;
  lastMessageId: string;
  photoId: string;
  /** Image objects and size of the one real photo, reused by every seeded record. */
  template: { keys: ImageKeys; width: number; height: number; contentType: string };
  photoCount: number;
}

function caption(i: number): string {
  const pick = (k: number) => WORDS[(i * 7 + k * 3) % WORDS.length]!;
  return `${pick(0)} ${pick(1)} by the ${pick(2)}, ${pick(3)} ${pick(4)} #${i}`;
}

async function seedWorld(c: Container, config: Config): Promise<World> {
  const { services } = c;
  const signup = (username: string) => services.auth.signup({ username, password: PASSWORD });
  const viewer = await signup('bench_viewer');
  const friends: User[] = [];
  for (let i = 1; i <= 10; i++) friends.push(await signup(`bench_friend${String(i).padStart(2, '0')}`));
  const others: User[] = [];
  for (let i = 1; i <= 9; i++) others.push(await signup(`bench_other${String(i).padStart(2, '0')}`));

  for (const friend of friends) {
    const asked = await services.friends.request(asViewer(viewer), { userId: friend.id });
    await services.friends.respond(asViewer(friend), asked.id, 'accept');
  }

  // A conversation with some history; the poll asks for anything after its last message.
  const chatPartner = friends[0]!;
  let lastMessageId = '';
  for (let i = 0; i < 40; i++) {
    const [from, to] = i % 2 === 0 ? [viewer, chatPartner] : [chatPartner, viewer];
    const sent = await services.messages.send(asViewer(from), to.id, `message ${i}: ${caption(i)}`);
    lastMessageId = sent.id;
  }
  // The viewer has read everything, so the poll has nothing to mark.
  await c.storage.messages.markRead(viewer.id, chatPartner.id);

  // One real photo through the real pipeline; its blobs are what the thumbnail bench fetches.
  const real = await services.photos.upload(asViewer(chatPartner), {
    bytes: await makePhotoJpeg(1600, 1200, { seed: 7 }),
    caption: 'Harbour lights at dusk, seen from the old pier',
    topic: 'travel',
    format: config.images.format,
  });
  const everyone = [viewer, ...friends, ...others];
  for (let i = 0; i < 12; i++) {
    const author = everyone[i % everyone.length]!;
    await services.comments.add(asViewer(author), real.id, `Comment ${i}: ${caption(i + 3)}`);
  }
  for (const u of everyone.slice(0, 8)) await services.photos.like(asViewer(u), real.id);

  const world: World = {
    viewer,
    friends,
    others,
    chatPartner,
    lastMessageId,
    photoId: real.id,
    template: { keys: real.keys, width: real.width, height: real.height, contentType: real.contentType },
    photoCount: 1,
  };
  await addPhotos(c, world, settings.smallStore - 1);
  return world;
}

/**
 * Photo records that reuse the real photo's pair of image objects (the feeds never read the
 * bytes), spread round-robin over all 20 users; the viewer likes every tenth.
 */
async function addPhotos(c: Container, world: World, count: number): Promise<void> {
  const { template } = world;
  const owners = [world.viewer, ...world.friends, ...world.others];
  const started = Date.now();
  for (let i = 0; i < count; i++) {
    if (Date.now() - started > 120_000) throw new Error(`seeding photos took over 2 min (${i} of ${count})`);
    const n = world.photoCount++;
    const owner = owners[n % owners.length]!;
    const id = newId();
    await c.storage.photos.create({
      id,
      userId: owner.id,
      username: owner.username,
      topic: TOPICS[n % TOPICS.length]!,
      caption: caption(n),
      createdAt: new Date(),
      width: template.width,
      height: template.height,
      alt: null,
      keys: template.keys,
      contentType: template.contentType,
    });
    if (n % 10 === 0) await c.storage.photos.like(id, world.viewer.id);
  }
}

// ---------------------------------------------------------------------------------------------
// Measurements

/**
 * Checks the path answers 200 (a 404 is reported as "missing", anything else as not measured),
 * warms up, then runs `rounds` measured loads and records their mean as one row.
 */
async function measure(
  group: string,
  name: string,
  path: string,
  headers: Record<string, string>,
  rounds = 1,
): Promise<LoadResult | undefined> {
  const port = settings.port;
  const probe = await request({ port, path, headers });
  if (probe.status !== 200) {
    const what =
      probe.status === 404 ? 'missing (404): not served yet' : `HTTP ${probe.status}, not measured`;
    rows.push({ group, name, note: what });
    figures[`${group}: ${name}`] = { path, status: probe.status, missing: probe.status === 404 };
    log(`${name}: ${what}`);
    return undefined;
  }
  const opts = { port, path, headers, connections: settings.connections };
  await load({ ...opts, seconds: settings.warmupSeconds, maxRequests: 50_000 });
  const results: LoadResult[] = [];
  for (let i = 0; i < rounds; i++) {
    results.push(await load({ ...opts, seconds: settings.seconds, maxRequests: settings.maxRequests }));
  }
  const result = { ...results[0]!, ...meanOf(results) };
  const items = itemsIn(probe.body);
  const note = [
    items === undefined ? '' : `${items} items`,
    `${(result.bytesPerResponse / 1024).toFixed(1)} KB/resp`,
    rounds > 1 ? `mean of ${rounds} runs` : '',
  ].filter(Boolean);
  addLoadRow(group, name, result, note.join(', '));
  const machineLoad = Number(loadavg()[0]!.toFixed(2));
  figures[`${group}: ${name}`] = {
    ...(rounds > 1 ? { mean: result, runs: results } : result),
    items,
    loadavg1: machineLoad,
  };
  log(
    `${name}: ${result.rps.toFixed(0)} req/s, p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms`,
  );
  return result;
}

/** Home as one column of posts, the activity page and the unread counts (bench/activity-world.ts). */
async function measureReader(config: Config, world: World, group: string): Promise<void> {
  const people = [world.viewer, ...world.friends, ...world.others];
  await seedReader(container!, people, world.template, PASSWORD);
  const headers = { cookie: await login(READER, config.session.cookieName) };
  await measure(group, 'GET / (Home page: 50 posts from 20 friends)', '/', headers);
  await measure(group, `${HOME} (50 posts from 20 friends)`, HOME_PATH, headers);
  await measure(group, 'GET /activity (HTML page)', '/activity', headers);
  await measure(group, 'GET /api/activity', '/api/activity', headers);
  await measure(group, 'GET /api/badges (unread counts)', '/api/badges', headers);
}

/** Length of a JSON array body (a feed page), or undefined for anything else. */
function itemsIn(body: Buffer): number | undefined {
  if (body[0] !== 0x5b) return undefined;
  try {
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    return Array.isArray(parsed) ? parsed.length : undefined;
  } catch {
    return undefined;
  }
}

async function login(username: string, cookieName: string): Promise<string> {
  const res = await request({
    port: settings.port,
    method: 'POST',
    path: '/api/auth/login',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password: PASSWORD }),
  });
  const cookie = cookieFrom(res.headers, cookieName);
  if (res.status !== 200 || !cookie) {
    throw new Error(
      `login as ${username} failed: HTTP ${res.status} ${res.body.toString('utf8').slice(0, 200)}`,
    );
  }
  return cookie;
}

async function uploads(cookie: string, world: World): Promise<void> {
  log('making a 12-megapixel JPEG (4000×3000)');
  const image = await makePhotoJpeg(4000, 3000, { seed: 42 });
  const form = multipart(
    { caption: 'Twelve megapixels of harbour at golden hour', topic: 'bench' },
    { field: 'photo', filename: 'IMG_4000x3000.jpg', contentType: 'image/jpeg', bytes: image },
  );
  const headers = { cookie, 'content-type': form.contentType };
  const send = async () => {
    const res = await request({
      port: settings.port,
      method: 'POST',
      path: '/api/photos',
      headers,
      body: form.body,
      timeoutMs: 60_000,
    });
    if (res.status !== 201) {
      throw new Error(`upload answered HTTP ${res.status}: ${res.body.toString('utf8').slice(0, 300)}`);
    }
    world.photoCount++;
    return res.ms;
  };
  const started = Date.now();
  // One per worker first: sharp's first decode in a process pays for its start-up.
  for (let i = 0; i < settings.uploadWarmups; i++) await send();
  const times: number[] = [];
  for (let i = 0; i < settings.uploads; i++) {
    if (Date.now() - started > settings.uploadBudgetMs) {
      log(`uploads: time budget spent after ${times.length}`);
      break;
    }
    times.push(await send());
  }
  const sorted = [...times].sort((a, b) => a - b);
  const mean = times.reduce((a, b) => a + b, 0) / times.length;
  const mb = image.length / (1024 * 1024);
  rows.push({
    group: UPLOAD_GROUP,
    name: `POST /api/photos 4000×3000 JPEG ${mb.toFixed(1)} MB`,
    rps: 1000 / mean,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    note: `n=${times.length}, min ${sorted[0]!.toFixed(0)} ms, max ${sorted.at(-1)!.toFixed(0)} ms`,
  });
  figures.upload = {
    bytes: image.length,
    width: 4000,
    height: 3000,
    samplesMs: times,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean,
  };
  log(`uploads: p50 ${percentile(sorted, 50).toFixed(0)} ms, p99 ${percentile(sorted, 99).toFixed(0)} ms`);
}

interface PollComparison {
  app: LoadResult[];
  bare: LoadResult[];
  /** The same answer through Express with one middleware: what any Express route could reach. */
  floor: LoadResult[];
  /** The two poll designs, each in the same two-worker cluster harness (bench/app-server.ts). */
  bypass: LoadResult[];
  express: LoadResult[];
}

async function chatPoll(
  cookie: string,
  world: World,
  root: string,
  env: NodeJS.ProcessEnv,
): Promise<PollComparison> {
  const path = `/api/messages?user_id=${world.chatPartner.id}&after=${world.lastMessageId}`;
  const headers = { cookie };
  const sample = await request({ port: settings.port, path, headers });
  if (sample.status !== 200 || sample.body.toString('utf8') !== '[]') {
    throw new Error(
      `the empty poll answered HTTP ${sample.status}: ${sample.body.toString('utf8').slice(0, 200)}`,
    );
  }
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < sample.rawHeaders.length; i += 2)
    pairs.push([sample.rawHeaders[i]!, sample.rawHeaders[i + 1]!]);
  const fixed = { status: 200, headers: pairs, body: sample.body.toString('utf8') };
  const bare = bareServer(root, settings.barePort, fixed);
  const floor = bareServer(root, settings.floorPort, fixed, 'express');
  const bypass = appVariantServer(root, settings.bypassPort, env, 'bypass');
  const express = appVariantServer(root, settings.expressPort, env, 'express');
  sideServers = [bare, floor, bypass, express];
  await Promise.all(sideServers.map((s) => s.start()));
  for (const port of [settings.bypassPort, settings.expressPort]) {
    const check = await request({ port, path, headers });
    if (check.status !== 200 || check.body.toString('utf8') !== '[]')
      throw new Error(`a poll design on port ${port} answered HTTP ${check.status}`);
  }
  const bareSample = await request({ port: settings.barePort, path, headers });
  figures.pollResponse = {
    appHeaderBytes: headerBytes(sample.rawHeaders),
    bareHeaderBytes: headerBytes(bareSample.rawHeaders),
    bodyBytes: sample.body.length,
    headers: sample.rawHeaders.filter((_, i) => i % 2 === 0),
  };
  log(
    `poll answer: ${sample.body.length} B body, headers ${headerBytes(sample.rawHeaders)} B (bare server ${headerBytes(bareSample.rawHeaders)} B)`,
  );

  const result: PollComparison = { app: [], bare: [], floor: [], bypass: [], express: [] };
  const opts = { path, headers, connections: settings.connections, maxRequests: settings.maxRequests };
  const sides = [
    [settings.port, result.app],
    [settings.barePort, result.bare],
    [settings.floorPort, result.floor],
    [settings.bypassPort, result.bypass],
    [settings.expressPort, result.express],
  ] as const;
  for (const [port] of sides)
    await load({ ...opts, port, seconds: settings.warmupSeconds, maxRequests: 50_000 });
  // Alternating rounds, so a slow patch of the machine hits every side.
  for (let round = 0; round < settings.pollRounds; round++) {
    for (const [port, runs] of sides) runs.push(await load({ ...opts, port, seconds: settings.seconds }));
  }
  await Promise.all(sideServers.map((s) => s.stop()));
  sideServers = [];
  return result;
}

/** Averages of several runs of one load, as one row's figures. */
function meanOf(results: LoadResult[]): {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
} {
  const avg = (f: (r: LoadResult) => number) => results.reduce((s, r) => s + f(r), 0) / results.length;
  return {
    rps: avg((r) => r.rps),
    p50: avg((r) => r.p50),
    p99: avg((r) => r.p99),
    requests: results.reduce((s, r) => s + r.requests, 0),
    non2xx: results.reduce((s, r) => s + r.non2xx, 0),
    errors: results.reduce((s, r) => s + r.errors, 0),
  };
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    totalMemGiB: Number((totalmem() / 2 ** 30).toFixed(1)),
    node: process.version,
    platform: `${platform()} ${release()} ${arch()}`,
    loadavgAtStart: loadavg().map((l) => Number(l.toFixed(2))),
  };
  log(`machine: ${machine.cpus} × ${machine.cpuModel}, node ${machine.node}, ${machine.platform}`);

  const portKeys = ['port', 'barePort', 'floorPort', 'bypassPort', 'expressPort'] as const;
  for (const key of portKeys) {
    const others = portKeys.filter((k) => k !== key).map((k) => settings[k]);
    settings[key] = await freePort(settings[key], 20, others);
  }

  tmp = mkdtempSync(join(tmpdir(), 'lumina-bench-'));
  const dataDir = join(tmp, 'data');
  const pm2Home = join(tmp, 'pm2');
  mkdirSync(pm2Home);

  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(pm2_|pm_|PM2_)/i.test(key)),
  );
  const env: NodeJS.ProcessEnv = {
    ...inherited,
    NODE_ENV: settings.nodeEnv,
    SESSION_SECRET: randomBytes(32).toString('hex'),
    PORT: String(settings.port),
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    STORAGE_BACKEND: 'embedded',
    BCRYPT_COST: '4',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_LOGIN_MAX: '1000000',
    RATE_LIMIT_LOGIN_IP_MAX: '1000000',
    RATE_LIMIT_SIGNUP_MAX: '1000000',
    RATE_LIMIT_UPLOAD_MAX: '1000000',
    PM2_HOME: pm2Home,
  };

  const config = withSessionSecret(loadConfig(env), randomSecret);
  container = await createContainer(config, createLogger('warn'));
  log(`seeding ${settings.smallStore} photos, 20 users, 10 friendships, 40 messages into ${dataDir}`);
  const world = await seedWorld(container, config);

  app = new Pm2App(ROOT, env, settings.port);
  log(`starting dist/main.js under PM2 (private PM2_HOME) on 127.0.0.1:${settings.port}`);
  await app.start();
  const workers = await app.workers();
  const online = workers.filter((w) => w.status === 'online').length;
  log(`PM2: ${online} workers online (pids ${workers.map((w) => w.pid).join(', ')})`);
  if (online !== 2) throw new Error(`expected 2 online workers, PM2 lists ${JSON.stringify(workers)}`);

  const cookie = await login(world.viewer.username, config.session.cookieName);
  const headers = { cookie };
  const small = `${settings.smallStore} photos`;

  if (!settings.pollOnly) {
    await measure(small, 'GET /photos/:id (HTML page)', `/photos/${world.photoId}`, headers);
    await measure(small, 'GET /api/photos/:id', `/api/photos/${world.photoId}`, headers);
    await measure(
      small,
      'GET /api/photos/:id/image/thumb',
      `/api/photos/${world.photoId}/image/thumb`,
      headers,
    );
    await measure(small, 'GET /healthz (reference: no session, no store)', '/healthz', {});
  }

  log('chat poll vs bare node:http and an Express floor (2 cluster workers each)');
  const poll = await chatPoll(cookie, world, ROOT, env);
  const appPoll = meanOf(poll.app);
  const barePoll = meanOf(poll.bare);
  const floorPoll = meanOf(poll.floor);
  const pollRatio = appPoll.rps / barePoll.rps;
  const floorRatio = floorPoll.rps / barePoll.rps;
  const bypassPoll = meanOf(poll.bypass);
  const expressPoll = meanOf(poll.express);
  const designRatio = expressPoll.rps / bypassPoll.rps;
  const decision =
    designRatio >= POLL_DESIGN_THRESHOLD
      ? 'the Express route is close enough: no route needs to be answered before Express'
      : 'the Express route is too slow: the poll stays in the table of routes answered before Express';
  const problems = (m: { non2xx: number; errors: number }) =>
    [m.non2xx ? `${m.non2xx} non-2xx` : '', m.errors ? `${m.errors} errors` : ''].filter(Boolean).join('; ');
  rows.push({
    group: POLL_GROUP,
    name: 'GET /api/messages?user_id=N&after=<latest>',
    ...appPoll,
    note: [`${(pollRatio * 100).toFixed(0)}% of bare`, problems(appPoll)].filter(Boolean).join('; '),
  });
  rows.push({
    group: POLL_GROUP,
    name: 'bare node:http, same answer (baseline)',
    ...barePoll,
    note: problems(barePoll),
  });
  rows.push({
    group: POLL_GROUP,
    name: 'Express 5, one middleware, same answer',
    ...floorPoll,
    note: [`${(floorRatio * 100).toFixed(0)}% of bare: any Express route`, problems(floorPoll)]
      .filter(Boolean)
      .join('; '),
  });
  rows.push({
    group: POLL_GROUP,
    name: 'design A: poll answered before Express',
    ...bypassPoll,
    note: [`${((bypassPoll.rps / barePoll.rps) * 100).toFixed(0)}% of bare`, problems(bypassPoll)]
      .filter(Boolean)
      .join('; '),
  });
  rows.push({
    group: POLL_GROUP,
    name: 'design B: poll as the first Express route',
    ...expressPoll,
    note: [
      `${((expressPoll.rps / barePoll.rps) * 100).toFixed(0)}% of bare, ${(designRatio * 100).toFixed(0)}% of design A`,
      problems(expressPoll),
    ]
      .filter(Boolean)
      .join('; '),
  });
  figures.pollDesigns = {
    bypass: poll.bypass,
    express: poll.express,
    bypassPoll,
    expressPoll,
    designRatio,
    decision,
  };
  figures.chatPoll = {
    app: poll.app,
    bare: poll.bare,
    expressFloor: poll.floor,
    appMean: appPoll,
    bareMean: barePoll,
    expressFloorMean: floorPoll,
    ratio: pollRatio,
    expressFloorRatio: floorRatio,
  };
  log(
    `chat poll: app ${appPoll.rps.toFixed(0)} req/s, bare ${barePoll.rps.toFixed(0)} req/s, ratio ${pollRatio.toFixed(2)}; ` +
      `Express floor ${floorPoll.rps.toFixed(0)} req/s, ratio ${floorRatio.toFixed(2)}`,
  );

  // The store-size comparison last, back to back around the seeding, so both sides see the machine alike.
  let allSmall: LoadResult | undefined;
  let allLarge: LoadResult | undefined;
  if (!settings.pollOnly) {
    await measure(small, HOME, HOME_PATH, headers);
    allSmall = await measure(small, ALL, ALL_PATH, headers, settings.feedRounds);
    await measureReader(config, world, small);
    const toAdd = settings.largeStore - world.photoCount;
    log(`seeding ${toAdd} more photos (store: ${settings.largeStore})`);
    const seedStarted = Date.now();
    await addPhotos(container, world, toAdd);
    log(`seeded in ${elapsed(seedStarted)}`);
    const large = `${settings.largeStore} photos`;
    allLarge = await measure(large, ALL, ALL_PATH, headers, settings.feedRounds);
    await measure(large, HOME, HOME_PATH, headers);

    await uploads(cookie, world);
  }

  const finalWorkers = await app.workers();
  const feedRatio = allSmall && allLarge ? allLarge.p50 / allSmall.p50 : Number.NaN;

  process.stdout.write(
    `\nLumina ${settings.nodeEnv} build, PM2 cluster ×2, embedded store; autocannon ${settings.connections} connections × ${settings.seconds} s per run (after a ${settings.warmupSeconds} s warm-up), on 127.0.0.1\n` +
      `${machine.cpus} × ${machine.cpuModel}, node ${machine.node}; 1-min load average ${machine.loadavgAtStart[0]} at start, ${loadavg()[0]!.toFixed(2)} now` +
      ' (the load generator shares these cores)\n',
  );
  printTable();
  const targets = {
    feedAllP50Ratio: {
      value: feedRatio,
      target: '<= 1.5',
      met: feedRatio <= 1.5,
      small: allSmall?.p50,
      large: allLarge?.p50,
    },
    chatPollVsBare: {
      value: pollRatio,
      target: '>= 0.333 (aim 0.5)',
      met: pollRatio >= 1 / 3,
      aimMet: pollRatio >= 0.5,
    },
  };
  const verdict = (ok: boolean) => (ok ? 'MET' : 'NOT MET');
  process.stdout.write(
    [
      '',
      'Targets (ratios within this run):',
      `  All feed p50, ${settings.largeStore} vs ${settings.smallStore} photos: ${fmt(allLarge?.p50, 2)} / ${fmt(allSmall?.p50, 2)} ms = ${fmt(feedRatio, 2)}×  (target ≤ 1.5×)  ${verdict(targets.feedAllP50Ratio.met)}`,
      `  Chat poll vs bare node:http: ${appPoll.rps.toFixed(0)} / ${barePoll.rps.toFixed(0)} req/s = ${pollRatio.toFixed(2)}  (target ≥ 0.33, aim 0.5)  ${verdict(targets.chatPollVsBare.met)}${targets.chatPollVsBare.met && !targets.chatPollVsBare.aimMet ? ' (aim not reached)' : ''}`,
      `  Poll designs (same two-worker harness): first Express route / before Express = ${expressPoll.rps.toFixed(0)} / ${bypassPoll.rps.toFixed(0)} req/s = ${designRatio.toFixed(2)} (threshold ${POLL_DESIGN_THRESHOLD}): ${decision}`,
      `  PM2 workers at the end: ${finalWorkers.map((w) => `${w.pid} ${w.status}, ${w.restarts} restarts`).join('; ')}`,
      '',
    ].join('\n'),
  );

  mkdirSync(RESULTS_DIR, { recursive: true });
  const out = join(RESULTS_DIR, 'latest.json');
  writeFileSync(
    out,
    `${JSON.stringify(
      {
        startedAt: new Date(startedAt).toISOString(),
        durationSeconds: Number(((Date.now() - startedAt) / 1000).toFixed(1)),
        machine: { ...machine, loadavgAtEnd: loadavg().map((l) => Number(l.toFixed(2))) },
        setup: {
          target: 'dist/main.js under PM2 (ecosystem.config.js), exec_mode cluster, 2 instances',
          backend: 'embedded (SQLite WAL + local disk)',
          nodeEnv: settings.nodeEnv,
          logLevel: 'warn',
          bcryptCost: 4,
          connections: settings.connections,
          secondsPerRun: settings.seconds,
          warmupSeconds: settings.warmupSeconds,
          loadGenerator: 'autocannon, in the bench process on the same machine',
          workers: finalWorkers,
        },
        table: rows,
        targets,
        figures,
      },
      null,
      2,
    )}\n`,
  );
  log(`wrote ${relative(ROOT, out)}; total ${elapsed(startedAt)}`);
  return 0;
}

main()
  .then(
    (code) => code,
    async (err: unknown) => {
      process.stderr.write(
        `\n[bench] failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      if (app) process.stderr.write(`[bench] PM2 log tail:\n${await app.logs().catch(() => '(none)')}\n`);
      return 1;
    },
  )
  .then(async (code) => {
    clearTimeout(hardLimit);
    await cleanup();
    process.exit(code);
  })
  .catch(() => process.exit(1));
