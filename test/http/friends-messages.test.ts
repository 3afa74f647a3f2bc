import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend, makeTestApp, signedInAgent, type TestApp, useTestApp } from '../support/app';
import { makeJpeg } from '../support/images';

type Signed = Awaited<ReturnType<typeof signedInAgent>>;

describe('users API', () => {
  const t = useTestApp();

  it('GET /api/users/lookup finds a user case-insensitively, 404 for nobody, 400 without a name', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    expect(
      (await a.agent.get(`/api/users/lookup?username=${b.user.username.toUpperCase()}`).expect(200)).body,
    ).toEqual(b.user);
    await a.agent.get('/api/users/lookup?username=nobody_here').expect(404);
    await a.agent.get('/api/users/lookup').expect(400);
  });

  it('GET /api/users/search returns at most 20 users by prefix', async () => {
    const { agent } = await signedInAgent(t.app);
    for (let i = 0; i < 22; i++) await signedInAgent(t.app, `zq_prefix_${i}`);
    const res = await agent.get('/api/users/search?q=zq_pre').expect(200);
    expect(res.body).toHaveLength(20);
    expect(res.body[0]).toEqual({
      id: expect.any(Number),
      username: expect.stringMatching(/^zq_prefix_/),
      avatar: null,
      bio: '',
    });
    await agent.get('/api/users/search').expect(400);
    await request(t.app).get('/api/users/search?q=zq').expect(401);
  });
});

describe('friends API', () => {
  const t = useTestApp();

  it('request by username, accept: both list each other, with the request fields of API.md', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    const sent = await a.agent.post('/api/friends/request').send({ username: b.user.username }).expect(201);
    expect(sent.body).toEqual({ id: expect.any(Number), status: 'pending' });
    const incoming = (await b.agent.get('/api/friends/requests').expect(200)).body;
    expect(incoming).toEqual([
      {
        id: sent.body.id,
        requester_id: a.user.id,
        requester_username: a.user.username,
        receiver_id: b.user.id,
        receiver_username: b.user.username,
        status: 'pending',
        created_at: expect.any(String),
      },
    ]);
    expect((await a.agent.get('/api/friends/requests?direction=outgoing').expect(200)).body).toHaveLength(1);
    expect(
      (
        await b.agent
          .post('/api/friends/respond')
          .send({ request_id: sent.body.id, action: 'accept' })
          .expect(200)
      ).body,
    ).toEqual({
      id: sent.body.id,
      status: 'accepted',
    });
    expect((await a.agent.get('/api/friends/list').expect(200)).body).toEqual([
      { id: b.user.id, username: b.user.username, since: expect.any(String) },
    ]);
    expect((await b.agent.get('/api/friends').expect(200)).body).toEqual([
      { id: a.user.id, username: a.user.username, since: expect.any(String) },
    ]);
  });

  it('a request to someone who already asked makes friends at once (201 accepted)', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    await a.agent.post('/api/friends/request').send({ user_id: b.user.id }).expect(201);
    expect(
      (await b.agent.post('/api/friends/request').send({ user_id: a.user.id }).expect(201)).body.status,
    ).toBe('accepted');
  });

  it('opposite requests sent at the same moment end in one friendship', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    const [ra, rb] = await Promise.all([
      a.agent.post('/api/friends/request').send({ user_id: b.user.id }),
      b.agent.post('/api/friends/request').send({ user_id: a.user.id }),
    ]);
    expect([ra.status, rb.status]).toEqual([201, 201]);
    expect([ra.body.status, rb.body.status].sort()).toEqual(['accepted', 'pending']);
    expect((await a.agent.get('/api/friends').expect(200)).body).toHaveLength(1);
    expect((await a.agent.get('/api/friends/requests?direction=outgoing')).body).toEqual([]);
    expect((await b.agent.get('/api/friends/requests?direction=outgoing')).body).toEqual([]);
  });

  it('decline and cancel remove the request; unfriend removes the friendship', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    const first = (await a.agent.post('/api/friends/request').send({ user_id: b.user.id }).expect(201)).body;
    expect(
      (
        await b.agent
          .post('/api/friends/respond')
          .send({ request_id: first.id, action: 'decline' })
          .expect(200)
      ).body.status,
    ).toBe('declined');
    expect((await b.agent.get('/api/friends/requests')).body).toEqual([]);
    const second = (await a.agent.post('/api/friends/request').send({ user_id: b.user.id }).expect(201)).body;
    await b.agent.delete(`/api/friends/requests/${second.id}`).expect(404);
    await a.agent.delete(`/api/friends/requests/${second.id}`).expect(204);
    expect((await b.agent.get('/api/friends/requests')).body).toEqual([]);
    await befriend(a, b);
    await b.agent.delete(`/api/friends/${a.user.id}`).expect(204);
    expect((await a.agent.get('/api/friends')).body).toEqual([]);
    await b.agent.delete(`/api/friends/${a.user.id}`).expect(404);
  });

  it('refuses yourself 400, unknown 404, duplicate 409, foreign response 404, bad bodies 400, and writes nothing', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    const c = await signedInAgent(t.app);
    await a.agent.post('/api/friends/request').send({ user_id: a.user.id }).expect(400);
    await a.agent.post('/api/friends/request').send({ username: 'nobody_at_all' }).expect(404);
    const sent = (await a.agent.post('/api/friends/request').send({ user_id: b.user.id }).expect(201)).body;
    expect(
      (await a.agent.post('/api/friends/request').send({ user_id: b.user.id }).expect(409)).body.code,
    ).toEqual(expect.any(String));
    await c.agent.post('/api/friends/respond').send({ request_id: sent.id, action: 'accept' }).expect(404);
    await b.agent.post('/api/friends/respond').send({ request_id: sent.id, action: 'maybe' }).expect(400);
    await b.agent
      .post('/api/friends/respond')
      .send({ request_id: String(sent.id), action: 'accept' })
      .expect(400);
    await a.agent.post('/api/friends/request').send({ user_id: 'two' }).expect(400);
    await a.agent.post('/api/friends/request').send({}).expect(400);
    await a.agent.get('/api/friends/requests?direction=sideways').expect(400);
    expect((await b.agent.get('/api/friends/requests')).body).toHaveLength(1);
    expect((await c.agent.get('/api/friends')).body).toEqual([]);
  });

  it('Home shows my photos and my friends\u2019, not strangers\u2019', async () => {
    const a = await signedInAgent(t.app);
    const friend = await signedInAgent(t.app);
    const stranger = await signedInAgent(t.app);
    await befriend(a, friend);
    const jpeg = await makeJpeg(64, 64);
    const post = async (s: Signed) =>
      (await s.agent.post('/api/photos').attach('photo', jpeg, 'p.jpg').expect(201)).body.id as string;
    const mine = await post(a);
    const theirs = await post(friend);
    const strangers = await post(stranger);
    const home = ((await a.agent.get('/api/photos?scope=home').expect(200)).body as { id: string }[]).map(
      (p) => p.id,
    );
    expect(home).toEqual([theirs, mine]);
    expect(home).not.toContain(strangers);
  });
});

describe('messages API', () => {
  let t: TestApp;
  let a: Signed;
  let b: Signed;
  beforeAll(async () => {
    t = await makeTestApp();
    a = await signedInAgent(t.app);
    b = await signedInAgent(t.app);
    await befriend(a, b);
  });
  afterAll(() => t.close());

  it('POST /api/messages to a friend answers 201 with the message object of API.md', async () => {
    const res = await a.agent
      .post('/api/messages')
      .send({ to_user_id: b.user.id, text: 'hello <script>x</script>' })
      .expect(201);
    const [low, high] = [a.user.id, b.user.id].sort((x, y) => x - y);
    expect(res.body).toEqual({
      id: expect.any(String),
      conversation_id: `CONV#${low}#${high}`,
      from_user_id: a.user.id,
      from_username: a.user.username,
      to_user_id: b.user.id,
      text: 'hello <script>x</script>',
      timestamp: expect.any(Number),
      created_at: expect.any(String),
    });
  });

  it('GET /api/messages returns oldest first; with after only newer ones; the poll marks them read', async () => {
    const first = (
      await b.agent.post('/api/messages').send({ to_user_id: a.user.id, text: 'one' }).expect(201)
    ).body;
    const second = (
      await b.agent.post('/api/messages').send({ to_user_id: a.user.id, text: 'two' }).expect(201)
    ).body;
    const all = (await a.agent.get(`/api/messages?user_id=${b.user.id}`).expect(200)).body as {
      id: string;
    }[];
    expect(all.slice(-2).map((m) => m.id)).toEqual([first.id, second.id]);
    const newer = (await a.agent.get(`/api/messages?user_id=${b.user.id}&after=${first.id}`).expect(200))
      .body as { id: string }[];
    expect(newer.map((m) => m.id)).toEqual([second.id]);
    expect(
      (await a.agent.get(`/api/messages?user_id=${b.user.id}&after=${second.id}`).expect(200)).body,
    ).toEqual([]);
  });

  it('150 messages: the plain list returns the latest 100, oldest first', async () => {
    const c = await signedInAgent(t.app);
    const d = await signedInAgent(t.app);
    await befriend(c, d);
    const ids: string[] = [];
    for (let i = 0; i < 150; i++)
      ids.push(
        (
          await c.agent
            .post('/api/messages')
            .send({ to_user_id: d.user.id, text: `m${i}` })
            .expect(201)
        ).body.id,
      );
    const list = (await d.agent.get(`/api/messages?user_id=${c.user.id}`).expect(200)).body as {
      id: string;
      text: string;
    }[];
    expect(list.map((m) => m.id)).toEqual(ids.slice(50));
  });

  it('GET /api/conversations lists the last message and unread count; reading clears it', async () => {
    const c = await signedInAgent(t.app);
    await befriend(c, a);
    await c.agent.post('/api/messages').send({ to_user_id: a.user.id, text: 'ping' }).expect(201);
    await c.agent.post('/api/messages').send({ to_user_id: a.user.id, text: 'pong' }).expect(201);
    const convs = (await a.agent.get('/api/conversations').expect(200)).body as {
      user_id: number;
      unread: number;
      last_message: { text: string };
    }[];
    expect(convs[0]).toMatchObject({
      user_id: c.user.id,
      username: c.user.username,
      unread: 2,
      last_message: { text: 'pong' },
    });
    await a.agent.get(`/api/messages?user_id=${c.user.id}`).expect(200);
    const after = (await a.agent.get('/api/conversations').expect(200)).body as {
      user_id: number;
      unread: number;
    }[];
    expect(after.find((x) => x.user_id === c.user.id)?.unread).toBe(0);
  });

  it('POST /api/messages again with the same Idempotency-Key answers the first message and stores it once', async () => {
    const c = await signedInAgent(t.app);
    await befriend(c, a);
    const send = (key: string, text = 'only once') =>
      c.agent.post('/api/messages').set('Idempotency-Key', key).send({ to_user_id: a.user.id, text });
    const first = (await send('retry-key-0001').expect(201)).body;
    expect((await send('retry-key-0001').expect(201)).body).toEqual(first);
    const other = (await send('retry-key-0002').expect(201)).body;
    expect(other.id).not.toBe(first.id);
    const list = (await a.agent.get(`/api/messages?user_id=${c.user.id}`).expect(200)).body as {
      id: string;
    }[];
    expect(list.map((m) => m.id)).toEqual([first.id, other.id]);
    for (const bad of ['short', 'has space in it', 'x'.repeat(129), 'ünïcødé-key']) {
      const res = await send(bad).expect(400);
      expect(res.body.message).toMatch(/Idempotency-Key/);
    }
    expect((await a.agent.get(`/api/messages?user_id=${c.user.id}`).expect(200)).body).toHaveLength(2);
  });

  it('refuses non-friends 403, yourself 400, unknown 404, bad ids and text 400, and stores nothing', async () => {
    const stranger = await signedInAgent(t.app);
    const count = async () =>
      ((await a.agent.get(`/api/messages?user_id=${b.user.id}`)).body as unknown[]).length;
    const before = await count();
    expect(
      (await stranger.agent.post('/api/messages').send({ to_user_id: a.user.id, text: 'hi' }).expect(403))
        .body.code,
    ).toBe('not_friends');
    await a.agent.post('/api/messages').send({ to_user_id: a.user.id, text: 'me' }).expect(400);
    await a.agent.post('/api/messages').send({ to_user_id: 99_999_999, text: 'hi' }).expect(404);
    for (const to of ['5', { id: 1 }, -4, 0, 1.5])
      await a.agent.post('/api/messages').send({ to_user_id: to, text: 'hi' }).expect(400);
    await a.agent.post('/api/messages').send({ to_user_id: b.user.id, text: '' }).expect(400);
    await a.agent
      .post('/api/messages')
      .send({ to_user_id: b.user.id, text: 'x'.repeat(2001) })
      .expect(400);
    await a.agent.get(`/api/messages?user_id=${b.user.id}&after=garbage`).expect(400);
    await a.agent.get('/api/messages?user_id=abc').expect(400);
    await a.agent.get('/api/messages?user_id=99999999').expect(404);
    expect(await count()).toBe(before);
    expect((await stranger.agent.get('/api/conversations').expect(200)).body).toEqual([]);
  });
});
