import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Unavailable } from '../../src/domain/errors';
import { createApp, earlyRouteTable, type App } from '../../src/app';
import { earlyRouteName } from '../../src/http/pipeline';
import { makeTestApp, PASSWORD, sessionCookie, signedInAgent, username, type TestApp } from '../support/app';

type Signed = Awaited<ReturnType<typeof signedInAgent>>;

/** Headers that differ between any two answers, or describe the body rather than the route. */
const PER_ANSWER = new Set(['date', 'etag', 'content-length', 'x-request-id', 'connection', 'keep-alive']);
const routeHeaders = (headers: Record<string, string>) =>
  Object.fromEntries(Object.entries(headers).filter(([name]) => !PER_ANSWER.has(name)));

describe('the early route table (answered before Express)', () => {
  it('lists exactly the chat poll', async () => {
    const t = await makeTestApp();
    try {
      expect(earlyRouteTable(t.container).map(earlyRouteName)).toEqual(['GET /api/messages']);
    } finally {
      await t.close();
    }
  });
});

/**
 * GET /api/messages is answered before Express (src/http/api/messages-poll.ts). These tests hold
 * it to what an Express route answers: the same headers, the same session rules and the same
 * errors, and requests it must not take still reach Express. They run against both designs the
 * bench compares (before Express, and as the first Express route), so the bench compares equals.
 */
describe.each([
  ['answered before Express', false],
  ['as the first Express route (the design the bench compares)', true],
])('the chat poll, %s', (_design, earlyRoutesInExpress) => {
  let t: TestApp;
  let app: App;
  let a: Signed;
  let b: Signed;
  let cookie: string;
  let path: string;
  beforeAll(async () => {
    t = await makeTestApp();
    app = earlyRoutesInExpress ? createApp(t.container, { earlyRoutesInExpress }) : t.app;
    const agent = request.agent(app);
    const signup = await agent
      .post('/api/auth/signup')
      .send({ username: username('poll'), password: PASSWORD })
      .expect(201);
    cookie = sessionCookie(signup)!;
    a = { agent, user: signup.body as Signed['user'] };
    b = await signedInAgent(app);
    const sent = await a.agent.post('/api/friends/request').send({ username: b.user.username }).expect(201);
    await b.agent
      .post('/api/friends/respond')
      .send({ request_id: sent.body.id, action: 'accept' })
      .expect(200);
    await b.agent.post('/api/messages').send({ to_user_id: a.user.id, text: 'hi' }).expect(201);
    path = `/api/messages?user_id=${b.user.id}`;
  });
  afterAll(() => t.close());
  afterEach(() => vi.restoreAllMocks());

  it('answers with the headers an Express-served API answer for a signed-in person carries', async () => {
    const poll = await a.agent.get(path).expect(200);
    const express = await a.agent.get('/api/conversations').expect(200);
    expect(poll.body).toEqual([expect.objectContaining({ text: 'hi', from_user_id: b.user.id })]);
    expect(routeHeaders(poll.headers as Record<string, string>)).toEqual(
      routeHeaders(express.headers as Record<string, string>),
    );
    expect(poll.headers).toMatchObject({
      'cache-control': 'no-store',
      'content-type': 'application/json; charset=utf-8',
      'content-security-policy': expect.stringContaining("frame-ancestors 'none'"),
      'x-content-type-options': 'nosniff',
      'x-request-id': expect.any(String),
    });
    expect(poll.headers['content-length']).toBe(String(Buffer.byteLength(JSON.stringify(poll.body))));
    expect(poll.headers['set-cookie']).toBeUndefined();
  });

  it('keeps a caller\u2019s X-Request-Id, as every other answer does', async () => {
    const res = await a.agent.get(path).set('X-Request-Id', 'poll-trace-1').expect(200);
    expect(res.headers['x-request-id']).toBe('poll-trace-1');
  });

  it('answers 401 without a cookie, with a forged or unsigned one, and after sign-out', async () => {
    const sid = decodeURIComponent(cookie.split('=')[1]!);
    const forged = `lumina.sid=${encodeURIComponent(`${sid.slice(0, -3)}abc`)}`;
    const unsigned = `lumina.sid=${encodeURIComponent(sid.slice(2).split('.')[0]!)}`;
    for (const header of [undefined, forged, unsigned, 'other=1']) {
      const call = request(app).get(path);
      const res = await (header ? call.set('Cookie', header) : call).expect(401);
      expect(res.body).toEqual({ message: 'authentication required', code: 'unauthenticated' });
      expect(res.headers['cache-control']).toBeUndefined();
    }

    const c = await signedInAgent(app);
    await c.agent.get(path).expect(200);
    await c.agent.post('/api/auth/logout').expect(204);
    await c.agent.get(path).expect(401);
  });

  it('refuses bad queries with 400, unknown people with 404, and writes nothing', async () => {
    const before = await a.agent.get(path).expect(200);
    const cases: [string, number][] = [
      [`/api/messages?user_id=${b.user.id}&after=garbage`, 400],
      [`/api/messages?user_id=${b.user.id}&user_id=${a.user.id}`, 400],
      ['/api/messages?user_id=abc', 400],
      ['/api/messages', 400],
      ['/api/messages?user_id=999999', 404],
    ];
    for (const [url, status] of cases) {
      const res = await a.agent.get(url).expect(status);
      expect(res.body).toEqual({ message: expect.any(String), code: expect.any(String) });
      expect(res.headers['cache-control']).toBe('no-store');
    }
    expect((await a.agent.get(path).expect(200)).body).toEqual(before.body);
  });

  it('answers HEAD, a trailing slash and any letter case as Express routes would', async () => {
    const get = await a.agent.get(path).expect(200);
    const head = await a.agent.head(path).expect(200);
    expect(head.headers['content-length']).toBe(get.headers['content-length']);
    expect(head.text).toBeUndefined();
    const slash = await a.agent.get(`/API/Messages/?user_id=${b.user.id}`).expect(200);
    expect(slash.body).toEqual(get.body);
  });

  it('leaves other requests to Express: a GET with a body (415), another method, a longer path', async () => {
    const withBody = await a.agent.get(path).set('Content-Type', 'text/plain').send('hello').expect(415);
    expect(withBody.body.code).toBe('unsupported_body_type');
    const put = await a.agent.put('/api/messages').send({}).expect(404);
    expect(put.body.code).toBe('no_such_endpoint');
    await a.agent.get(`/api/messages/x?user_id=${b.user.id}`).expect(404);
  });

  it('answers 503 when the session store or the message store is down, and loses nothing', async () => {
    const sessionsDown = vi
      .spyOn(t.container.storage.sessions, 'get')
      .mockRejectedValueOnce(new Unavailable('sqlite'));
    const noSession = await a.agent.get(path).expect(503);
    expect(noSession.body).toEqual({ message: expect.stringMatching(/sqlite/), code: 'service_unavailable' });
    expect(sessionsDown).toHaveBeenCalledTimes(1);

    const messagesDown = vi
      .spyOn(t.container.storage.messages, 'after')
      .mockRejectedValueOnce(new Unavailable('dynamodb'));
    const last = (await a.agent.get(path).expect(200)).body as { id: string }[];
    const down = await a.agent.get(`${path}&after=${last.at(-1)!.id}`).expect(503);
    expect(down.body.code).toBe('service_unavailable');
    expect(messagesDown).toHaveBeenCalledTimes(1);

    // Back up: the same session and messages answer again.
    expect((await a.agent.get(path).expect(200)).body).toEqual(last);
  });

  it('a thrown bug answers a plain 500 without its message', async () => {
    vi.spyOn(t.container.storage.messages, 'latest').mockRejectedValueOnce(new Error('secret detail'));
    const res = await a.agent.get(path).expect(500);
    expect(res.body).toEqual({ message: 'Something went wrong on our side.', code: 'internal_error' });
  });
});
