import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { imageKeysOf, type Photo } from '../../src/domain/types';
import type { Storage } from '../../src/ports';
import { makeJpeg } from './images';
import { LOAD_STORE_TIMEOUT_MS, type LoadSite } from './load-site';

const run = promisify(execFile);
const ROOT = join(__dirname, '..', '..');

/**
 * Simulated members against a running site, with faults and a `pm2 reload` in the middle, and
 * the audit afterwards: what was acknowledged is there, what was refused left nothing, counters
 * match their rows, and every chat poller saw every message exactly once.
 */

export interface LoadProfile {
  members: number;
  durationMs: number;
  /** How long each fault lasts. */
  faultMs: number;
}

export const SHORT: LoadProfile = { members: 8, durationMs: 24_000, faultMs: 3_000 };
export const LONG: LoadProfile = { members: 40, durationMs: 60_000, faultMs: 4_000 };
/**
 * The long form on the aws backend: two instances of two workers each, DynamoDB Local (Java),
 * MariaDB and s3rver share the machine's two cores with the load itself. With LONG's 40 members
 * the cores were the bottleneck (p50 120–240 ms on every route, DynamoDB Local answering past
 * the store timeout outside any fault, at a load average of 11), which measures the machine,
 * not Lumina; 20 members keep the stores' answers inside the timeout there.
 */
export const LONG_AWS: LoadProfile = { ...LONG, members: 20 };

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

interface Sample {
  route: string;
  status: number;
  ms: number;
  at: number;
  message?: string;
}

export interface LoadReport {
  samples: Sample[];
  /** Fault windows, with the store each one takes away. */
  windows: { name: string; store: string; from: number; to: number }[];
  acknowledged: { photos: number; comments: number; likes: number; messages: number; friendships: number };
  found: { photos: number; comments: number; likes: number; messages: number; friendships: number };
  /** Each a sentence: empty when everything held. */
  problems: string[];
  table: string;
}

/**
 * What an answer may take past the store timeout: the round trip and the queue of a worker (and
 * of this load generator) on two busy cores. The long form on 2 cores at a load average of 18
 * went at most 184 ms past it; an upload also decodes and resizes its image before its
 * deadline starts (lib/deadline.ts withFreshDeadline), at most 363 ms past it in that run.
 */
const WAIT_MARGIN_MS = 300;
const IMAGE_WORK_MS = 500;
const UPLOAD_ROUTE = 'POST /api/photos';

/** Route templates for the table: ids become placeholders. */
const routeOf = (method: string, path: string) =>
  `${method} ${path
    .replace(/\?.*$/, '')
    .replace(/\/[0-9A-HJKMNP-TV-Z]{26}(?=\/|$)/g, '/:id')
    .replace(/\/\d+(?=\/|$)/g, '/:n')}`;

class Member {
  cookie = '';
  id = 0;
  constructor(
    readonly name: string,
    private readonly base: string,
    private readonly record: (sample: Sample) => void,
  ) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const started = Date.now();
    let answer: Answer;
    let headersFrom: number | undefined;
    try {
      const isForm = body instanceof FormData;
      const res = await fetch(this.base + path, {
        method,
        headers: {
          ...(body !== undefined && !isForm ? { 'content-type': 'application/json' } : {}),
          ...(this.cookie ? { cookie: this.cookie } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : isForm ? body : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      headersFrom = res.status;
      const set = res.headers.getSetCookie().find((c) => c.startsWith('lumina.sid='));
      if (set) this.cookie = set.split(';')[0] ?? '';
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // an HTML page
      }
      answer = { status: res.status, body: parsed, headers: res.headers };
    } catch (err) {
      // A connection cut by a reload or a proxy: no answer at all (counted as status 0), or an
      // answer whose body never ended (said, so the two can be told apart).
      const cut = headersFrom === undefined ? '' : `answered ${headersFrom}, then its body was cut: `;
      answer = { status: 0, body: { message: `${cut}${String(err)}` }, headers: new Headers() };
    }
    this.record({
      route: routeOf(method, path),
      status: answer.status,
      ms: Date.now() - started,
      at: started,
      ...(typeof answer.body?.message === 'string' ? { message: answer.body.message as string } : {}),
    });
    return answer;
  }
}

const pick = <T>(items: T[]): T | undefined => items[Math.floor(Math.random() * items.length)];

export async function runLoad(site: LoadSite, profile: LoadProfile): Promise<LoadReport> {
  const samples: Sample[] = [];
  const record = (sample: Sample) => samples.push(sample);
  const jpegs = await Promise.all(
    [
      [160, 120],
      [120, 160],
      [200, 150],
    ].map(([w, h]) => makeJpeg(w!, h!)),
  );
  const members = Array.from(
    { length: profile.members },
    (_, i) => new Member(`ld${randomBytes(3).toString('hex')}${i}`, site.url, record),
  );
  for (const member of members) {
    const answer = await member.call('POST', '/api/auth/signup', {
      username: member.name,
      password: 'a long password',
    });
    if (answer.status !== 201) throw new Error(`sign-up answered ${answer.status}`);
    member.id = answer.body.id as number;
  }
  // Chat pairs (0,1), (2,3), ...: friends before the load, so their chat works from the start.
  const pairs: [Member, Member][] = [];
  for (let i = 0; i + 1 < members.length; i += 2) {
    const [a, b] = [members[i]!, members[i + 1]!];
    const req = await a.call('POST', '/api/friends/request', { user_id: b.id });
    await b.call('POST', '/api/friends/respond', { request_id: req.body.id, action: 'accept' });
    pairs.push([a, b]);
  }

  const acked: Acked = {
    photos: new Set<string>(),
    comments: new Map<string, string>(),
    messages: new Set<string>(),
    likes: new Map<string, boolean>(),
  };
  const photoIds: string[] = [];
  const sends = new Map<string, number>();
  const started = Date.now();
  const deadline = started + profile.durationMs;
  const windows: LoadReport['windows'] = [];

  // Faults one after another in the middle of the run, then one pm2 reload.
  const faults = (async () => {
    const gap = Math.max(
      500,
      (profile.durationMs * 0.7 - site.faults.length * profile.faultMs) / (site.faults.length + 1),
    );
    await new Promise((resolve) => setTimeout(resolve, profile.durationMs * 0.15));
    for (const fault of site.faults) {
      const from = Date.now();
      await fault.begin();
      await new Promise((resolve) => setTimeout(resolve, profile.faultMs));
      await fault.end();
      windows.push({ name: fault.name, store: fault.store, from, to: Date.now() });
      await new Promise((resolve) => setTimeout(resolve, gap));
    }
    const from = Date.now();
    await site.reload();
    windows.push({ name: 'pm2 reload', store: '', from, to: Date.now() });
  })();

  // Chat pages: one member of each pair polls every 3 seconds with after=<last id>.
  const seen = new Map<[Member, Member], string[]>();
  const pollers = pairs.map(async (pair) => {
    const [reader, other] = pair;
    const got: string[] = [];
    seen.set(pair, got);
    while (Date.now() < deadline + 4_000) {
      const after = got.at(-1);
      const answer = await reader.call(
        'GET',
        `/api/messages?user_id=${other.id}${after ? `&after=${after}` : ''}`,
      );
      // Without `after` (nothing seen yet) the answer is the whole conversation so far.
      if (answer.status === 200) for (const message of answer.body as { id: string }[]) got.push(message.id);
      await new Promise((resolve) => setTimeout(resolve, 3_000));
    }
  });

  const act = async (member: Member, partner: Member | undefined) => {
    const roll = Math.random();
    if (roll < 0.12) {
      const form = new FormData();
      form.append('caption', `load ${member.name}`);
      form.append('photo', new Blob([pick(jpegs)!], { type: 'image/jpeg' }), 'p.jpg');
      const answer = await member.call('POST', '/api/photos', form);
      if (answer.status === 201) {
        acked.photos.add(answer.body.id as string);
        photoIds.push(answer.body.id as string);
      }
    } else if (roll < 0.4) {
      const page = await member.call('GET', '/api/photos?scope=all&limit=20');
      const next = /<([^>]+)>;\s*rel="next"/.exec(page.headers.get('link') ?? '')?.[1];
      if (next) await member.call('GET', next.replace(/^https?:\/\/[^/]+/, ''));
    } else if (roll < 0.55) {
      const photo = pick(photoIds);
      if (!photo) return;
      const like = Math.random() < 0.7;
      const answer = await member.call(like ? 'POST' : 'DELETE', `/api/photos/${photo}/like`);
      const key = `${member.id} ${photo}`;
      if (answer.status === 200) acked.likes.set(key, like);
      else if (answer.status === 503 || answer.status === 0) acked.likes.delete(key);
    } else if (roll < 0.7) {
      const photo = pick(photoIds);
      if (!photo) return;
      // A client that got no clear answer retries with the same key: stored once either way.
      const key = randomUUID();
      for (let attempt = 0; attempt < 2; attempt++) {
        const answer = await member.call(
          'POST',
          `/api/photos/${photo}/comments`,
          { text: `c ${key.slice(0, 8)}` },
          {
            'Idempotency-Key': key,
          },
        );
        if (answer.status === 201) acked.comments.set(answer.body.id as string, photo);
        if (answer.status !== 503 && answer.status !== 0) break;
      }
    } else if (roll < 0.8) {
      await member.call('GET', `/api/photos/${pick(photoIds) ?? '01ARZ3NDEKTSV4RRFFQ69G5FAV'}`);
    } else if (roll < 0.85) {
      const other = pick(members);
      if (other && other !== member && other !== partner) {
        const sent = await member.call('POST', '/api/friends/request', { user_id: other.id });
        if (sent.status === 201 && sent.body.status === 'pending') {
          await other.call('POST', '/api/friends/respond', { request_id: sent.body.id, action: 'accept' });
        }
      }
    } else if (partner) {
      // A conversation stays within one page of GET /api/messages (100), so the audit reads it whole.
      const pairKey = [member.id, partner.id].sort().join(' ');
      const sent = sends.get(pairKey) ?? 0;
      if (sent >= 90) return;
      sends.set(pairKey, sent + 1);
      const key = randomUUID();
      for (let attempt = 0; attempt < 2; attempt++) {
        const answer = await member.call(
          'POST',
          '/api/messages',
          { to_user_id: partner.id, text: `m ${key.slice(0, 8)}` },
          {
            'Idempotency-Key': key,
          },
        );
        if (answer.status === 201) acked.messages.add(answer.body.id as string);
        if (answer.status !== 503 && answer.status !== 0) break;
      }
    }
  };
  const partnerOf = (member: Member) =>
    pairs.flatMap(([a, b]) => (a === member ? [b] : b === member ? [a] : []))[0];
  await Promise.all(
    members.map(async (member) => {
      while (Date.now() < deadline) {
        await act(member, partnerOf(member));
        await new Promise((resolve) => setTimeout(resolve, 50 + Math.random() * 150));
      }
    }),
  );
  await faults;
  await Promise.all(pollers);

  // After the faults: everything works again without a restart.
  const problems: string[] = [];
  for (const member of members) {
    const feed = await member.call('GET', '/api/photos?scope=home');
    if (feed.status !== 200)
      problems.push(`after the faults, ${member.name}'s Home feed answered ${feed.status}`);
  }
  return audit(site, { samples, windows, acked, pairs, seen, members, problems });
}

interface Acked {
  photos: Set<string>;
  /** Comment id → photo id. */
  comments: Map<string, string>;
  messages: Set<string>;
  /** `<member id> <photo id>` → liked, for the last like or unlike acknowledged; unknown outcomes drop out. */
  likes: Map<string, boolean>;
}

interface Collected {
  samples: Sample[];
  windows: LoadReport['windows'];
  acked: Acked;
  pairs: [Member, Member][];
  seen: Map<[Member, Member], string[]>;
  members: Member[];
  problems: string[];
}

async function everyPhoto(storage: Storage): Promise<Photo[]> {
  const photos: Photo[] = [];
  for (let before: string | undefined, i = 0; i < 1000; i++) {
    const page = await storage.photos.listAll({ limit: 100, ...(before ? { before } : {}) });
    photos.push(...page.items);
    if (!page.next) break;
    before = page.next;
  }
  return photos;
}

async function audit(site: LoadSite, c: Collected): Promise<LoadReport> {
  const { samples, windows, acked, problems } = c;

  // Answers: never a 500, never a wait past the store timeout, and a 503 names a store that was down.
  for (const s of samples) {
    const slowest = LOAD_STORE_TIMEOUT_MS + WAIT_MARGIN_MS + (s.route === UPLOAD_ROUTE ? IMAGE_WORK_MS : 0);
    if (s.status >= 500 && s.status !== 503)
      problems.push(`${s.route} answered ${s.status}: ${s.message ?? ''}`);
    // No answer at all: a connection cut. Not even a reload may do that (http/drain.ts).
    if (s.status === 0) {
      const during = windows.filter((w) => s.at <= w.to && s.at + s.ms >= w.from).map((w) => w.name);
      problems.push(
        `${s.route} got no answer (during: ${during.join(', ') || 'no fault'}): ${s.message ?? ''}`,
      );
    }
    if (s.ms > slowest) problems.push(`${s.route} took ${s.ms} ms (more than ${slowest})`);
    if (s.status === 503) {
      const during = windows.filter(
        (w) => w.store && s.at <= w.to + LOAD_STORE_TIMEOUT_MS && s.at + s.ms >= w.from,
      );
      if (!during.some((w) => s.message?.toLowerCase().includes(w.store))) {
        problems.push(`${s.route} answered 503 "${s.message ?? ''}" outside a fault that names it`);
      }
    }
  }

  const storage = await site.openStorage();
  try {
    const photos = await everyPhoto(storage);
    const byId = new Map(photos.map((p) => [p.id, p]));
    for (const id of acked.photos) if (!byId.has(id)) problems.push(`acknowledged photo ${id} is gone`);

    // Refused writes left nothing: no image without a photo (after the sweep), no photo without its images.
    // `npm run sweep` exits 2 when it finds a photo without its images: a finding, not a crash.
    const stdout = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/sweep.ts', '--grace-minutes', '0'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...site.env },
        timeout: 120_000,
      },
    ).then(
      (done) => done.stdout,
      (err: { code?: number; stdout?: string }) => {
        if (err.code !== 2) throw err;
        problems.push(`the sweep found photos without images: ${err.stdout ?? ''}`);
        return err.stdout ?? '';
      },
    );
    const objects: string[] = [];
    for await (const blob of storage.blobs.list('photos/')) objects.push(blob.key);
    const owned = new Set(photos.flatMap((p) => imageKeysOf(p)));
    const orphans = objects.filter((key) => !owned.has(key));
    const missing = [...owned].filter((key) => !objects.includes(key));
    if (orphans.length > 0)
      problems.push(`${orphans.length} image objects without a photo after the sweep (${stdout.trim()})`);
    if (missing.length > 0) problems.push(`${missing.length} images of listed photos are missing`);

    // Counters equal their rows: likes from every member's like items, comments from the list.
    const ids = photos.map((p) => p.id);
    const likes = new Map<string, number>();
    for (const member of c.members) {
      for (const id of await storage.photos.likedBy(member.id, ids)) likes.set(id, (likes.get(id) ?? 0) + 1);
    }
    const commentIds = new Set<string>();
    for (const photo of photos) {
      if ((likes.get(photo.id) ?? 0) !== photo.likes) {
        problems.push(`photo ${photo.id} counts ${photo.likes} likes but has ${likes.get(photo.id) ?? 0}`);
      }
      const listed: string[] = [];
      for (let before: string | undefined, i = 0; i < 100; i++) {
        const page = await storage.comments.list(photo.id, { limit: 100, ...(before ? { before } : {}) });
        listed.push(...page.items.map((comment) => comment.id));
        if (!page.next) break;
        before = page.next;
      }
      for (const id of listed) commentIds.add(id);
      if (listed.length !== photo.commentCount) {
        problems.push(`photo ${photo.id} counts ${photo.commentCount} comments but has ${listed.length}`);
      }
    }
    for (const id of acked.comments.keys())
      if (!commentIds.has(id)) problems.push(`acknowledged comment ${id} is gone`);

    // Friendships: one row per pair, seen from both sides.
    let friendships = 0;
    for (const member of c.members) {
      const friends = await storage.friends.friendIds(member.id);
      if (new Set(friends).size !== friends.length) problems.push(`${member.name} lists a friend twice`);
      for (const other of friends) {
        if (!(await storage.friends.friendIds(other)).includes(member.id)) {
          problems.push(`${member.id} and ${other} are friends one way only`);
        }
      }
      friendships += friends.length;
    }

    // Chat: every poller saw every stored message of its conversation exactly once, in order.
    const storedMessages = new Set<string>();
    for (const pair of c.pairs) {
      const [a, b] = pair;
      const stored = ((await a.call('GET', `/api/messages?user_id=${b.id}`)).body as { id: string }[]).map(
        (m) => m.id,
      );
      for (const id of stored) storedMessages.add(id);
      const got = c.seen.get(pair) ?? [];
      if (stored.length >= 100)
        problems.push(`conversation ${a.id}-${b.id} outgrew one page; the check needs fewer messages`);
      if (JSON.stringify(got) !== JSON.stringify(stored)) {
        problems.push(
          `the chat poller of ${a.id}-${b.id} saw ${got.length} messages, the conversation holds ${stored.length}`,
        );
      }
    }
    for (const id of acked.messages)
      if (!storedMessages.has(id)) problems.push(`acknowledged message ${id} is gone`);

    // Likes: the last acknowledged like or unlike of each member on each photo holds.
    let likesHeld = 0;
    for (const [pairKey, liked] of acked.likes) {
      const [member, photo] = pairKey.split(' ') as [string, string];
      const has = (await storage.photos.likedBy(Number(member), [photo])).has(photo);
      if (has === liked) likesHeld += 1;
      else
        problems.push(
          `member ${member} ${liked ? 'liked' : 'unliked'} photo ${photo}, but the store says otherwise`,
        );
    }

    const acknowledged = {
      photos: acked.photos.size,
      comments: acked.comments.size,
      likes: acked.likes.size,
      messages: acked.messages.size,
      friendships: friendships / 2,
    };
    const found = {
      photos: [...acked.photos].filter((id) => byId.has(id)).length,
      comments: [...acked.comments.keys()].filter((id) => commentIds.has(id)).length,
      likes: likesHeld,
      messages: [...acked.messages].filter((id) => storedMessages.has(id)).length,
      friendships: friendships / 2,
    };
    return {
      samples,
      windows,
      acknowledged,
      found,
      problems,
      table: tableOf(site, samples, windows, acknowledged, found),
    };
  } finally {
    await storage.close();
  }
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

function tableOf(
  site: LoadSite,
  samples: Sample[],
  windows: LoadReport['windows'],
  acknowledged: LoadReport['acknowledged'],
  found: LoadReport['found'],
): string {
  const routes = [...new Set(samples.map((s) => s.route))].sort();
  const lines = [
    `load on the ${site.backend} backend (${site.instances} instance(s) × 2 PM2 workers), ${samples.length} requests`,
    ...windows.map((w) => `  fault: ${w.name}, ${((w.to - w.from) / 1000).toFixed(1)} s`),
    '| route | requests | answers by status | p50 ms | p99 ms | max ms |',
    '|---|---|---|---|---|---|',
  ];
  for (const route of routes) {
    const of = samples.filter((s) => s.route === route);
    const statuses = new Map<number, number>();
    for (const s of of) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
    const ms = of.map((s) => s.ms).sort((a, b) => a - b);
    const byStatus = [...statuses]
      .sort(([a], [b]) => a - b)
      .map(([status, n]) => `${status}: ${n}`)
      .join(', ');
    lines.push(
      `| ${route} | ${of.length} | ${byStatus} | ${percentile(ms, 0.5)} | ${percentile(ms, 0.99)} | ${ms.at(-1) ?? 0} |`,
    );
  }
  lines.push('| writes | acknowledged | found afterwards |', '|---|---|---|');
  for (const kind of Object.keys(acknowledged) as (keyof typeof acknowledged)[]) {
    lines.push(`| ${kind} | ${acknowledged[kind]} | ${found[kind]} |`);
  }
  return lines.join('\n');
}
