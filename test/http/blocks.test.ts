import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeJpeg } from '../support/images';
import { befriend, makeTestApp, signedInAgent, username, type TestApp, useTestApp } from '../support/app';

type Agent = ReturnType<typeof request.agent>;
interface Person {
  agent: Agent;
  user: { id: number; username: string };
  photoId: string;
  topic: string;
  word: string;
}

const idsOf = (body: { id: string }[]) => body.map((p) => p.id);

async function person(t: TestApp, prefix: string): Promise<Person> {
  const { agent, user } = await signedInAgent(t.app, username(prefix));
  const word = `w${user.id}x${Math.random().toString(36).slice(2, 8)}`;
  const topic = `t${user.id}x${Math.random().toString(36).slice(2, 8)}`;
  const res = await agent
    .post('/api/photos')
    .field('caption', `a photo about ${word}`)
    .field('topic', topic)
    .attach('photo', await makeJpeg(40, 30), 'p.jpg')
    .expect(201);
  return { agent, user, photoId: res.body.id as string, topic, word };
}

/**
 * Every read and write path between two people, asserted from the viewer's side: `hidden` true
 * while either blocks the other. One row per path (API.md "Blocks").
 */
type Check = (viewer: Person, other: Person, third: Person, hidden: boolean) => Promise<void>;
const PATHS: [string, Check][] = [
  [
    'home feed',
    async (v, o, _t, hidden) => {
      const res = await v.agent.get('/api/photos?scope=home&limit=100').expect(200);
      // Friends before the block; the block ended the friendship, so never shown again by itself.
      if (hidden) expect(idsOf(res.body)).not.toContain(o.photoId);
    },
  ],
  [
    'all feed',
    async (v, o, _t, hidden) => {
      const res = await v.agent.get('/api/photos?scope=all&limit=100').expect(200);
      expect(idsOf(res.body).includes(o.photoId)).toBe(!hidden);
    },
  ],
  [
    'profile feed',
    async (v, o, _t, hidden) => {
      const res = await v.agent
        .get(`/api/photos?scope=profile&user_id=${o.user.id}`)
        .expect(hidden ? 404 : 200);
      if (!hidden) expect(idsOf(res.body)).toContain(o.photoId);
    },
  ],
  [
    'topic feed',
    async (v, o, _t, hidden) => {
      const res = await v.agent.get(`/api/photos?scope=all&topic=${o.topic}`).expect(200);
      expect(idsOf(res.body).includes(o.photoId)).toBe(!hidden);
    },
  ],
  [
    'search feed',
    async (v, o, _t, hidden) => {
      const res = await v.agent.get(`/api/photos?scope=all&q=${o.word}`).expect(200);
      expect(idsOf(res.body).includes(o.photoId)).toBe(!hidden);
    },
  ],
  [
    'photo object',
    async (v, o, _t, hidden) => {
      await v.agent.get(`/api/photos/${o.photoId}`).expect(hidden ? 404 : 200);
    },
  ],
  [
    "photo page of the other's photo, and the other's comment on a third person's photo page",
    async (v, o, t, hidden) => {
      await v.agent.get(`/photos/${o.photoId}`).expect(hidden ? 404 : 200);
      const page = await v.agent.get(`/photos/${t.photoId}`).expect(200);
      expect(page.text.includes(`comment by ${o.user.username}`)).toBe(!hidden);
      expect(page.text).toContain(`comment by ${t.user.username}`);
    },
  ],
  [
    'image bytes',
    async (v, o, _t, hidden) => {
      for (const size of ['thumb', 'medium', 'full']) {
        await v.agent.get(`/api/photos/${o.photoId}/image/${size}`).expect(hidden ? 404 : 200);
      }
    },
  ],
  [
    "comments of the other on the viewer's photo",
    async (v, o, _t, hidden) => {
      const res = await v.agent.get(`/api/photos/${v.photoId}/comments`).expect(200);
      const authors = (res.body as { user_id: number }[]).map((c) => c.user_id);
      expect(authors.includes(o.user.id)).toBe(!hidden);
    },
  ],
  [
    "comments of the other on a third person's photo",
    async (v, o, t, hidden) => {
      const res = await v.agent.get(`/api/photos/${t.photoId}/comments`).expect(200);
      const authors = (res.body as { user_id: number }[]).map((c) => c.user_id);
      expect(authors.includes(o.user.id)).toBe(!hidden);
      expect(authors).toContain(t.user.id);
    },
  ],
  [
    "comment on the other's photo",
    async (v, o, _t, hidden) => {
      await v.agent
        .post(`/api/photos/${o.photoId}/comments`)
        .send({ text: 'hello' })
        .expect(hidden ? 404 : 201);
    },
  ],
  [
    "like and unlike the other's photo",
    async (v, o, _t, hidden) => {
      await v.agent.post(`/api/photos/${o.photoId}/like`).expect(hidden ? 404 : 200);
      await v.agent.delete(`/api/photos/${o.photoId}/like`).expect(hidden ? 404 : 200);
    },
  ],
  [
    "likes list of the other's photo, API and page",
    async (v, o, _t, hidden) => {
      await v.agent.get(`/api/photos/${o.photoId}/likes`).expect(hidden ? 404 : 200);
      await v.agent.get(`/photos/${o.photoId}/likes`).expect(hidden ? 404 : 200);
    },
  ],
  [
    "the other in the likes list of the viewer's photo, API and page",
    async (v, o, _t, hidden) => {
      if (!hidden) {
        // Both like each other's photo again (the like-and-unlike row takes one back).
        await o.agent.post(`/api/photos/${v.photoId}/like`).expect(200);
        await v.agent.post(`/api/photos/${o.photoId}/like`).expect(200);
      }
      const res = await v.agent.get(`/api/photos/${v.photoId}/likes`).expect(200);
      expect((res.body as { id: number }[]).some((u) => u.id === o.user.id)).toBe(!hidden);
      const page = await v.agent.get(`/photos/${v.photoId}/likes`).expect(200);
      expect(page.text.includes(`>${o.user.username}<`)).toBe(!hidden);
    },
  ],
  [
    "the other in the likes list of a third person's photo, API and page",
    async (v, o, t, hidden) => {
      const res = await v.agent.get(`/api/photos/${t.photoId}/likes`).expect(200);
      const ids = (res.body as { id: number }[]).map((u) => u.id);
      expect(ids.includes(o.user.id)).toBe(!hidden);
      expect(ids).toContain(t.user.id);
      const page = await v.agent.get(`/photos/${t.photoId}/likes`).expect(200);
      expect(page.text.includes(`>${o.user.username}<`)).toBe(!hidden);
    },
  ],
  [
    "comments list of the other's photo",
    async (v, o, _t, hidden) => {
      await v.agent.get(`/api/photos/${o.photoId}/comments`).expect(hidden ? 404 : 200);
    },
  ],
  [
    'people search',
    async (v, o, _t, hidden) => {
      const res = await v.agent.get(`/api/users/search?q=${o.user.username}`).expect(200);
      expect((res.body as { id: number }[]).some((u) => u.id === o.user.id)).toBe(!hidden);
    },
  ],
  [
    'lookup',
    async (v, o, _t, hidden) => {
      await v.agent.get(`/api/users/lookup?username=${o.user.username}`).expect(hidden ? 404 : 200);
    },
  ],
  [
    'profile object and avatar',
    async (v, o, _t, hidden) => {
      await v.agent.get(`/api/users/${o.user.id}`).expect(hidden ? 404 : 200);
      await v.agent.get(`/users/${o.user.id}/avatar/small`).expect(hidden ? 404 : 200);
    },
  ],
  [
    'conversation list',
    async (v, o, _t, hidden) => {
      const res = await v.agent.get('/api/conversations').expect(200);
      expect((res.body as { user_id: number }[]).some((c) => c.user_id === o.user.id)).toBe(!hidden);
    },
  ],
  [
    'read the conversation',
    async (v, o, _t, hidden) => {
      const res = await v.agent.get(`/api/messages?user_id=${o.user.id}`).expect(hidden ? 403 : 200);
      if (hidden) expect(res.body.code).toBe('blocked');
    },
  ],
  [
    'send a message',
    async (v, o, _t, hidden) => {
      // Not friends any more after a block, so also refused after unblocking; the code says why.
      const res = await v.agent.post('/api/messages').send({ to_user_id: o.user.id, text: 'hi' }).expect(403);
      expect(res.body.code).toBe(hidden ? 'blocked' : 'not_friends');
    },
  ],
  [
    'friend request',
    async (v, o, _t, hidden) => {
      if (!hidden) return; // asking again after unblocking is the person's choice, not tested here
      const res = await v.agent.post('/api/friends/request').send({ user_id: o.user.id }).expect(403);
      expect(res.body.code).toBe('blocked');
    },
  ],
  [
    'pages: profile, photo, chat',
    async (v, o, _t, hidden) => {
      await v.agent.get(`/users/${o.user.username}`).expect(hidden ? 404 : 200);
      await v.agent.get(`/photos/${o.photoId}`).expect(hidden ? 404 : 200);
      if (hidden) expect((await v.agent.get(`/chat/${o.user.username}`)).status).toBeGreaterThanOrEqual(403);
    },
  ],
  [
    "home page: the newest comments under the viewer's own post",
    async (v, o, _t, hidden) => {
      const home = await v.agent.get('/feed?scope=home').expect(200);
      expect(home.text).toContain(v.photoId);
      expect(home.text.includes(`comment by ${o.user.username}`)).toBe(!hidden);
    },
  ],
  [
    "pages: feed and the third person's photo",
    async (v, o, t, hidden) => {
      const feed = await v.agent.get('/feed?scope=all').expect(200);
      expect(feed.text.includes(o.photoId)).toBe(!hidden);
      const photo = await v.agent.get(`/photos/${t.photoId}`).expect(200);
      expect(photo.text.includes(`comment by ${o.user.username}`)).toBe(!hidden);
    },
  ],
];

describe('blocks: every read and write path between two people', () => {
  let t: TestApp;
  let ana: Person;
  let bob: Person;
  let cyd: Person;

  beforeAll(async () => {
    t = await makeTestApp({ RATE_LIMIT_COMMENT_MAX: '1000', RATE_LIMIT_LIKE_MAX: '1000' });
    [ana, bob, cyd] = [await person(t, 'ana'), await person(t, 'bob'), await person(t, 'cyd')];
    await befriend(ana, bob);
    for (const [author, on] of [
      [bob, ana],
      [ana, bob],
      [ana, cyd],
      [bob, cyd],
      [cyd, cyd],
    ] as const) {
      await author.agent
        .post(`/api/photos/${on.photoId}/comments`)
        .send({ text: `comment by ${author.user.username}` })
        .expect(201);
    }
    for (const [fan, on] of [
      [ana, cyd],
      [bob, cyd],
      [cyd, cyd],
    ] as const) {
      await fan.agent.post(`/api/photos/${on.photoId}/like`).expect(200);
    }
    await ana.agent.post('/api/messages').send({ to_user_id: bob.user.id, text: 'before' }).expect(201);
    await bob.agent.post('/api/messages').send({ to_user_id: ana.user.id, text: 'reply' }).expect(201);
  }, 60_000);
  afterAll(() => t.close());

  it("before the block, everything between them is visible (the table's baseline)", async () => {
    for (const [name, check] of PATHS) {
      if (name === 'send a message') continue; // friends still: sending works (201)
      await check(ana, bob, cyd, false).catch((err: unknown) => {
        throw new Error(`${name} (ana sees bob): ${String(err)}`);
      });
    }
  });

  it('POST /api/blocks answers 201 and ends the friendship both ways', async () => {
    const res = await ana.agent.post('/api/blocks').send({ user_id: bob.user.id }).expect(201);
    expect(res.body).toEqual({
      user_id: bob.user.id,
      username: bob.user.username,
      created_at: expect.any(String),
    });
    expect((await ana.agent.get('/api/friends/list').expect(200)).body).toEqual([]);
    expect((await bob.agent.get('/api/friends/list').expect(200)).body).toEqual([]);
    expect((await ana.agent.get('/api/blocks').expect(200)).body).toEqual([res.body]);
    expect((await bob.agent.get('/api/blocks').expect(200)).body).toEqual([]);
  });

  for (const [name, check] of PATHS) {
    it(`while ana blocks bob, ${name}: hidden from ana`, () => check(ana, bob, cyd, true));
    it(`while ana blocks bob, ${name}: hidden from bob`, () => check(bob, ana, cyd, true));
  }

  it('the third person still sees both', async () => {
    const res = await cyd.agent.get(`/api/photos/${cyd.photoId}/comments`).expect(200);
    const authors = new Set((res.body as { user_id: number }[]).map((c) => c.user_id));
    expect(authors).toEqual(new Set([ana.user.id, bob.user.id, cyd.user.id]));
  });

  it('DELETE /api/blocks/:userId brings visibility back, not the friendship', async () => {
    await ana.agent.delete(`/api/blocks/${bob.user.id}`).expect(204);
    for (const [name, check] of PATHS) {
      await check(bob, ana, cyd, false).catch((err: unknown) => {
        throw new Error(`${name} (bob sees ana after unblock): ${String(err)}`);
      });
    }
    expect((await ana.agent.get('/api/friends/list').expect(200)).body).toEqual([]);
  });
});

describe('blocks API: rules and bad input', () => {
  const t = useTestApp();

  it('blocking deletes pending friend requests in both directions', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    const c = await signedInAgent(t.app);
    await a.agent.post('/api/friends/request').send({ user_id: b.user.id }).expect(201);
    await c.agent.post('/api/friends/request').send({ user_id: a.user.id }).expect(201);
    await a.agent.post('/api/blocks').send({ username: b.user.username }).expect(201);
    await a.agent.post('/api/blocks').send({ user_id: c.user.id }).expect(201);
    expect((await b.agent.get('/api/friends/requests').expect(200)).body).toEqual([]);
    expect((await a.agent.get('/api/friends/requests').expect(200)).body).toEqual([]);
    expect((await c.agent.get('/api/friends/requests?direction=outgoing').expect(200)).body).toEqual([]);
  });

  it.each([
    ['yourself', (self: number) => ({ user_id: self }), 400, 'self_block'],
    ['a missing user', () => ({ user_id: 2_000_000_000 }), 404, 'user_not_found'],
    ['a missing username', () => ({ username: 'nobody_here_zz' }), 404, 'user_not_found'],
    ['nobody at all', () => ({}), 400, 'invalid_input'],
    ['a user id as text', () => ({ user_id: '5' }), 400, 'invalid_input'],
  ])(
    'POST /api/blocks naming %s answers %i with a sentence, and nothing changes',
    async (_what, body, status, code) => {
      const a = await signedInAgent(t.app);
      const res = await a.agent.post('/api/blocks').send(body(a.user.id)).expect(status);
      expect(res.body).toEqual({ message: expect.any(String), code });
      expect((await a.agent.get('/api/blocks').expect(200)).body).toEqual([]);
    },
  );

  it('blocking twice answers 409; unblocking twice answers 404; unblocking a stranger 404', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    await a.agent.post('/api/blocks').send({ user_id: b.user.id }).expect(201);
    const again = await a.agent.post('/api/blocks').send({ user_id: b.user.id }).expect(409);
    expect(again.body).toEqual({ message: 'You already block this person.', code: 'already_blocked' });
    expect((await a.agent.get('/api/blocks').expect(200)).body).toHaveLength(1);
    await a.agent.delete(`/api/blocks/${b.user.id}`).expect(204);
    const twice = await a.agent.delete(`/api/blocks/${b.user.id}`).expect(404);
    expect(twice.body.code).toBe('block_not_found');
    await a.agent.delete('/api/blocks/999999999').expect(404);
    await a.agent.delete('/api/blocks/not-a-user').expect(404);
  });

  it('cross-site and signed-out calls are refused and change nothing', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    await a.agent
      .post('/api/blocks')
      .set('Origin', 'https://evil.example')
      .send({ user_id: b.user.id })
      .expect(403);
    await a.agent
      .post('/blocks')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ username: b.user.username })
      .expect(403);
    expect((await a.agent.get('/api/blocks').expect(200)).body).toEqual([]);
    await request(t.app).get('/api/blocks').expect(401);
    await request(t.app).post('/api/blocks').send({ user_id: b.user.id }).expect(401);
  });

  it('pages: block from a profile lands on the settings list; the profile offers unblock; unblock from settings', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    const profile = await a.agent.get(`/users/${b.user.username}`).expect(200);
    expect(profile.text).toContain('id="block-form"');
    await a.agent
      .post('/blocks')
      .type('form')
      .send({ username: b.user.username })
      .expect(303)
      .expect('Location', '/settings#blocked');
    const settings = await a.agent.get('/settings').expect(200);
    expect(settings.text).toContain(`You blocked ${b.user.username}.`);
    expect(settings.text).toContain(`data-username="${b.user.username}"`);
    const gone = await a.agent.get(`/users/${b.user.username}`).expect(404);
    expect(gone.text).toContain('id="unblock-form"');
    // The blocked person sees an ordinary "no such user", with nothing to undo.
    const theirs = await b.agent.get(`/users/${a.user.username}`).expect(404);
    expect(theirs.text).not.toContain('unblock');
    await a.agent.post(`/blocks/${b.user.id}/unblock`).type('form').send({}).expect(303);
    await a.agent.get(`/users/${b.user.username}`).expect(200);
    const twice = await a.agent.post(`/blocks/${b.user.id}/unblock`).type('form').send({}).expect(303);
    expect(twice.headers.location).toBe('/settings#blocked');
    expect((await a.agent.get('/settings').expect(200)).text).toContain('You do not block this person.');
  });
});
