import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages } from '../../src/http/middleware/rate-limit';
import {
  BACKEND,
  makeTestApp,
  postPhoto,
  sessionCookie,
  signedInAgent,
  username,
  PASSWORD,
  type TestApp,
} from '../support/app';
import { freshAwsEnv } from '../support/aws-env';

/**
 * Per-person limits on comments, messages, friend requests and likes: 429 with Retry-After,
 * nothing stored, and counted in the store, so two processes on one data folder (two workers)
 * share each count.
 */
describe('per-person rate limits', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-limits-'));
  const env = {
    DATA_DIR: dataDir,
    SESSION_SECRET: 'a-test-secret-that-is-long-enough-for-the-rules',
    RATE_LIMIT_COMMENT_MAX: '2',
    RATE_LIMIT_MESSAGE_MAX: '2',
    RATE_LIMIT_FRIEND_REQUEST_MAX: '2',
    RATE_LIMIT_LIKE_MAX: '2',
    RATE_LIMIT_COMMENT_WINDOW_SECONDS: '600',
    RATE_LIMIT_MESSAGE_WINDOW_SECONDS: '600',
    RATE_LIMIT_FRIEND_REQUEST_WINDOW_SECONDS: '600',
    RATE_LIMIT_LIKE_WINDOW_SECONDS: '600',
  };
  let one: TestApp;
  let two: TestApp;
  beforeAll(async () => {
    // Two apps on one store, as two workers are: one data folder, and on aws one database.
    const shared = BACKEND === 'aws' ? { ...env, ...(await freshAwsEnv()) } : env;
    one = await makeTestApp(shared);
    two = await makeTestApp(shared);
  });
  afterAll(async () => {
    await one.close();
    await two.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A person signed in on both apps with one session cookie. */
  async function person() {
    const name = username('rl');
    const res = await request(one.app)
      .post('/api/auth/signup')
      .send({ username: name, password: PASSWORD })
      .expect(201);
    const cookie = sessionCookie(res) ?? '';
    const on = (t: TestApp) => ({
      get: (path: string) => request(t.app).get(path).set('Cookie', cookie),
      post: (path: string) => request(t.app).post(path).set('Cookie', cookie),
      delete: (path: string) => request(t.app).delete(path).set('Cookie', cookie),
    });
    return { id: (res.body as { id: number }).id, name, one: on(one), two: on(two) };
  }

  const expect429 = (res: request.Response, message: string) => {
    expect(res.status).toBe(429);
    expect(res.body).toEqual({ message, code: 'rate_limited' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(600);
  };

  it('comments: the third in the window, on the other worker, is 429 and is not stored', async () => {
    const a = await person();
    const photo = { id: await postPhoto(a.one) };
    await a.one.post(`/api/photos/${photo.id}/comments`).send({ text: 'one' }).expect(201);
    await a.two.post(`/api/photos/${photo.id}/comments`).send({ text: 'two' }).expect(201);
    expect429(await a.one.post(`/api/photos/${photo.id}/comments`).send({ text: 'three' }), messages.comment);
    const form = await a.two
      .post(`/photos/${photo.id}/comments`)
      .type('form')
      .send({ text: 'four' })
      .expect(429);
    expect(form.headers['retry-after']).toBeDefined();
    expect(form.text).toContain(messages.comment);
    expect(form.text).toContain('four');
    const list = (await a.one.get(`/api/photos/${photo.id}/comments`).expect(200)).body as { text: string }[];
    expect(list.map((c) => c.text)).toEqual(['one', 'two']);
  });

  it('messages: the third in the window is 429 on the API and the chat form, and is not sent', async () => {
    const a = await person();
    const b = await person();
    await a.one.post('/api/friends/request').send({ user_id: b.id }).expect(201);
    await b.one.post('/api/friends/request').send({ user_id: a.id }).expect(201);
    await a.one.post('/api/messages').send({ to_user_id: b.id, text: 'one' }).expect(201);
    await a.two.post('/api/messages').send({ to_user_id: b.id, text: 'two' }).expect(201);
    expect429(await a.one.post('/api/messages').send({ to_user_id: b.id, text: 'three' }), messages.message);
    const form = await a.two.post(`/chat/${b.name}`).type('form').send({ text: 'four' }).expect(429);
    expect(form.text).toContain(messages.message);
    const list = (await b.one.get(`/api/messages?user_id=${a.id}`).expect(200)).body as { text: string }[];
    expect(list.map((m) => m.text)).toEqual(['one', 'two']);
  });

  it('friend requests: the third in the window is 429 and asks no one', async () => {
    const a = await person();
    const [b, c, d] = [await person(), await person(), await person()];
    await a.one.post('/api/friends/request').send({ user_id: b.id }).expect(201);
    await a.two.post('/api/friends/request').send({ user_id: c.id }).expect(201);
    expect429(await a.one.post('/api/friends/request').send({ user_id: d.id }), messages.friendRequest);
    const form = await a.two.post('/friends/request').type('form').send({ username: d.name }).expect(303);
    expect(form.headers.location).toBe('/friends');
    expect((await a.two.get('/friends').expect(200)).text).toContain(messages.friendRequest);
    expect((await d.one.get('/api/friends/requests').expect(200)).body).toEqual([]);
  });

  it('likes and unlikes: the third in the window is 429 and changes no count', async () => {
    const a = await person();
    const photo = { id: await postPhoto(a.one) };
    await a.one.post(`/api/photos/${photo.id}/like`).expect(200);
    await a.two.delete(`/api/photos/${photo.id}/like`).expect(200);
    expect429(await a.one.post(`/api/photos/${photo.id}/like`), messages.like);
    await a.two.post(`/photos/${photo.id}/like`).expect(303);
    expect((await a.one.get(`/api/photos/${photo.id}`).expect(200)).body).toMatchObject({
      likes: 0,
      liked_by_me: false,
    });
    // Another person's count is their own.
    const b = await person();
    await b.one.post(`/api/photos/${photo.id}/like`).expect(200);
  });

  it('the defaults hold in a normal session: nothing is limited below them', async () => {
    const t = await makeTestApp();
    try {
      const { agent } = await signedInAgent(t.app);
      const photo = { id: await postPhoto(agent) };
      for (let i = 0; i < 10; i++)
        await agent
          .post(`/api/photos/${photo.id}/comments`)
          .send({ text: `c${i}` })
          .expect(201);
      expect(t.config.rateLimits.comment).toEqual({ max: 30, windowMs: 300_000 });
      expect(t.config.rateLimits.like).toEqual({ max: 120, windowMs: 60_000 });
    } finally {
      await t.close();
    }
  });
});
