import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { createServer, type Server } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readAll } from '../contract/fixtures';
import { makeJpeg } from '../support/images';
import { befriend, makeTestApp, postPhoto, signedInAgent, username, type TestApp } from '../support/app';
import { keptLogger } from '../support/log-lines';
import { binary, jsonOf, unzip } from '../support/zip';

type Agent = Awaited<ReturnType<typeof signedInAgent>>['agent'];

async function exportOf(agent: Agent, path = '/api/users/me/export'): Promise<Map<string, Buffer>> {
  const res = await agent.get(path).buffer(true).parse(binary).expect(200);
  expect(res.headers['content-type']).toBe('application/zip');
  return unzip(res.body as Buffer);
}

describe('download my data (GET /api/users/me/export)', () => {
  let t: TestApp;
  let server: Server;
  const log = keptLogger<{ level: number; msg: string; reqId?: string; err?: { message: string } }>('warn');
  beforeAll(async () => {
    t = await makeTestApp({ RATE_LIMIT_EXPORT_MAX: '3' }, {}, log.logger);
    server = createServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await t.close();
  });

  it('export of a person with photos, comments, likes, friends and messages holds every item, each image as stored', async () => {
    const me = await signedInAgent(t.app, username('exp'));
    const bob = await signedInAgent(t.app, username('bob'));
    const cy = await signedInAgent(t.app, username('cy'));
    await befriend(me, bob);
    await befriend(me, cy);
    const mine: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await me.agent
        .post('/api/photos')
        .field('caption', `mine ${i}`)
        .attach('photo', await makeJpeg(48 + i, 32), 'p.jpg')
        .expect(201);
      mine.push(res.body.id as string);
    }
    const bobs = await postPhoto(bob.agent);
    const commented: string[] = [];
    for (const [photo, text] of [
      [bobs, 'nice one'],
      [mine[0]!, 'my own'],
      [bobs, 'again'],
    ] as const) {
      const res = await me.agent.post(`/api/photos/${photo}/comments`).send({ text }).expect(201);
      commented.push(res.body.id as string);
    }
    await bob.agent.post(`/api/photos/${mine[1]!}/comments`).send({ text: 'from bob' }).expect(201);
    await me.agent.post(`/api/photos/${bobs}/like`).expect(200);
    await me.agent.post(`/api/photos/${mine[2]!}/like`).expect(200);
    await bob.agent.post(`/api/photos/${mine[2]!}/like`).expect(200);
    const sent: string[] = [];
    for (const [from, to, text] of [
      [me, bob, 'hi bob'],
      [bob, me, 'hi you'],
      [me, bob, 'how are things'],
      [me, cy, 'hi cy'],
      [cy, me, 'hello'],
    ] as const) {
      const res = await from.agent.post('/api/messages').send({ to_user_id: to.user.id, text }).expect(201);
      sent.push(res.body.id as string);
    }
    await bob.agent.post('/api/messages').send({ to_user_id: cy.user.id, text: 'not theirs' });

    const res = await me.agent.get('/api/users/me/export').buffer(true).parse(binary).expect(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['cache-control']).toBe('no-store');
    const today = new Date().toISOString().slice(0, 10);
    expect(res.headers['content-disposition']).toMatch(
      new RegExp(`^attachment; filename="?lumina-${me.user.username}-${today}\\.zip"?$`),
    );
    const files = await unzip(res.body as Buffer);

    const newestFirst = [...mine].reverse();
    expect([...files.keys()]).toEqual([
      'profile.json',
      'photos.json',
      ...newestFirst.map((id) => `photos/${id}.jpg`),
      'comments.json',
      'likes.json',
      'friends.json',
      'messages.json',
    ]);
    expect(jsonOf(files, 'profile.json')).toMatchObject({
      id: me.user.id,
      username: me.user.username,
      bio: '',
    });
    const photos = jsonOf<
      { id: string; caption: string; file: string; likes: number; liked_by_me: boolean }[]
    >(files, 'photos.json');
    expect(photos.map((p) => [p.id, p.caption, p.file, p.likes, p.liked_by_me])).toEqual(
      newestFirst.map((id) => {
        const mineLiked = id === mine[2];
        return [id, `mine ${mine.indexOf(id)}`, `photos/${id}.jpg`, mineLiked ? 2 : 0, mineLiked];
      }),
    );
    for (const id of mine) {
      const photo = await t.container.storage.photos.get(id);
      const stored = await t.container.storage.blobs.open(photo!.keys.full);
      expect(files.get(`photos/${id}.jpg`)!.equals(await readAll(stored!.body))).toBe(true);
    }
    const comments = jsonOf<{ id: string; text: string; user_id: number }[]>(files, 'comments.json');
    expect(comments.map((c) => c.id)).toEqual([...commented].reverse());
    expect(comments.every((c) => c.user_id === me.user.id)).toBe(true);
    const likes = jsonOf<{ photo_id: string; liked_at: string }[]>(files, 'likes.json');
    expect(likes.map((l) => l.photo_id).sort()).toEqual([bobs, mine[2]!].sort());
    const friends = jsonOf<{ id: number }[]>(files, 'friends.json');
    expect(friends.map((f) => f.id).sort()).toEqual([bob.user.id, cy.user.id].sort());
    const messages = jsonOf<{ id: string; text: string }[]>(files, 'messages.json');
    expect(messages.map((m) => m.id).sort()).toEqual([...sent].sort());
  });

  it('export of a new person holds the empty lists, and the settings page links to it without JavaScript', async () => {
    const me = await signedInAgent(t.app, username('new'));
    const settings = await me.agent.get('/settings').expect(200);
    expect(settings.text).toContain('href="/settings/export"');
    const files = await exportOf(me.agent, '/settings/export');
    expect([...files.keys()]).toEqual([
      'profile.json',
      'photos.json',
      'comments.json',
      'likes.json',
      'friends.json',
      'messages.json',
    ]);
    for (const name of ['photos.json', 'comments.json', 'likes.json', 'friends.json', 'messages.json'])
      expect(jsonOf(files, name)).toEqual([]);
  });

  it('export without a session is 401', async () => {
    const res = await (await import('supertest')).default(t.app).get('/api/users/me/export').expect(401);
    expect(res.body.code).toBeTypeOf('string');
  });

  it('export past RATE_LIMIT_EXPORT_MAX in the window is 429 with Retry-After, page and API counted together', async () => {
    const me = await signedInAgent(t.app, username('lim'));
    await exportOf(me.agent);
    await exportOf(me.agent, '/settings/export');
    await exportOf(me.agent);
    const res = await me.agent.get('/api/users/me/export').expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body.message).toMatch(/downloaded your data/);
    await me.agent.get('/settings/export').expect(429);
    // Someone else is not held back.
    await exportOf((await signedInAgent(t.app, username('oth'))).agent);
  });

  it('export whose image store fails part-way cuts the connection, so no complete-looking zip arrives', async () => {
    const me = await signedInAgent(t.app, username('brk'));
    for (let i = 0; i < 3; i++) await postPhoto(me.agent);
    const blobs = t.container.storage.blobs;
    const open = blobs.open.bind(blobs);
    let calls = 0;
    vi.spyOn(blobs, 'open').mockImplementation(async (key) => {
      if (++calls < 2) return open(key);
      const stored = await open(key);
      stored!.body.destroy();
      const broken = new PassThrough();
      broken.write(Buffer.alloc(100, 1));
      setTimeout(() => broken.destroy(new Error('the store went away')), 20);
      return { ...stored!, body: broken };
    });
    await expect(me.agent.get('/api/users/me/export').buffer(true).parse(binary)).rejects.toThrow();
    // The failure is logged once with the request id, like any error answered before the headers.
    await vi.waitFor(() =>
      expect(log.lines.filter((l) => l.err?.message === 'the store went away')).toEqual([
        expect.objectContaining({ level: 50, msg: 'unhandled error', reqId: expect.any(String) }),
      ]),
    );
  });

  it('export whose client goes away part-way stops reading the stores and closes the open image', async () => {
    const me = await signedInAgent(t.app, username('gone'));
    for (let i = 0; i < 4; i++) await postPhoto(me.agent);
    const blobs = t.container.storage.blobs;
    const open = blobs.open.bind(blobs);
    let calls = 0;
    let stuck: PassThrough | undefined;
    vi.spyOn(blobs, 'open').mockImplementation(async (key) => {
      const stored = await open(key);
      if (++calls < 2) return stored;
      // The second image never finishes: the export waits on it while the client leaves.
      stored!.body.destroy();
      stuck = new PassThrough();
      stuck.write(Buffer.alloc(64 * 1024, 7));
      return { ...stored!, body: stuck };
    });
    const cookie = (await me.agent.get('/api/auth/me')).request.cookies;
    const { port } = server.address() as AddressInfo;
    const req = get({ host: '127.0.0.1', port, path: '/api/users/me/export', headers: { cookie } }, (res) => {
      expect(res.statusCode).toBe(200);
      res.resume();
    });
    req.on('error', () => undefined);
    // The client reads until the export hangs on the second image, then leaves.
    await vi.waitFor(() => expect(stuck).toBeDefined(), { timeout: 5000 });
    req.destroy();
    await vi.waitFor(() => expect(stuck?.destroyed).toBe(true), { timeout: 3000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(calls).toBe(2);
    expect(Readable.isDisturbed(stuck!)).toBe(true);
  });
});

describe('download my data that takes longer than one request may wait on its stores', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ STORE_TIMEOUT_MS: '800' });
  });
  afterAll(async () => {
    vi.restoreAllMocks();
    await t.close();
  });

  it('export whose images take 0.5 s each, past STORE_TIMEOUT_MS in all, still completes: each read has its own budget', async () => {
    const me = await signedInAgent(t.app, username('slow'));
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push(await postPhoto(me.agent));
    await me.agent.post(`/api/photos/${ids[0]!}/comments`).send({ text: 'late' }).expect(201);
    const blobs = t.container.storage.blobs;
    const open = blobs.open.bind(blobs);
    vi.spyOn(blobs, 'open').mockImplementation(async (key) => {
      await new Promise((resolve) => setTimeout(resolve, 500));
      return open(key);
    });
    const files = await exportOf(me.agent);
    expect([...files.keys()].filter((n) => n.startsWith('photos/'))).toHaveLength(3);
    expect(jsonOf<unknown[]>(files, 'comments.json')).toHaveLength(1);
  });
});
