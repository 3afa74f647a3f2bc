import sharp from 'sharp';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { avatarKeyOf } from '../../src/domain/types';
import { makeJpeg, makePng, pngDeclaring, SVG } from '../support/images';
import { signedInAgent, type TestApp, useTestApp } from '../support/app';

type Agent = ReturnType<typeof request.agent>;

/** The avatar id in a user object's avatar URL (`...?v=<id>`). */
const idOf = (avatarUrl: string): string => new URL(avatarUrl, 'http://x').searchParams.get('v')!;

/** How many of the two objects of that avatar the backend's blob store holds (either backend). */
async function avatarObjects(t: TestApp, userId: number, avatarId: string): Promise<number> {
  let found = 0;
  for (const size of ['large', 'small'] as const) {
    const blob = await t.container.storage.blobs.open(avatarKeyOf(userId, avatarId, size));
    if (blob) {
      blob.body.destroy();
      found++;
    }
  }
  return found;
}

const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on('data', (c: Buffer) => chunks.push(c));
  res.on('end', () => cb(null, Buffer.concat(chunks)));
};

async function getImage(agent: Agent, url: string) {
  return agent.get(url).buffer(true).parse(binary);
}

describe('profile API: bio, avatar, user objects', () => {
  const t = useTestApp({ UPLOAD_MAX_BYTES: String(2 * 1024 * 1024) });

  it('user objects carry avatar (null) and bio additively: signup, /auth/me, lookup and search', async () => {
    const { agent, user } = await signedInAgent(t.app);
    expect(user).toMatchObject({ avatar: null, bio: '' });
    expect((await agent.get('/api/auth/me').expect(200)).body).toMatchObject({ avatar: null, bio: '' });
    const looked = await agent.get(`/api/users/lookup?username=${user.username}`).expect(200);
    expect(looked.body).toEqual({ id: user.id, username: user.username, avatar: null, bio: '' });
    const found = await agent.get(`/api/users/search?q=${user.username}`).expect(200);
    expect(found.body).toEqual([{ id: user.id, username: user.username, avatar: null, bio: '' }]);
  });

  it('PATCH /api/users/me sets the bio (trimmed) and answers the user object', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const res = await agent.patch('/api/users/me').send({ bio: '  Lakes and light.  ' }).expect(200);
    expect(res.body).toEqual({ id: user.id, username: user.username, avatar: null, bio: 'Lakes and light.' });
    expect((await agent.get('/api/auth/me').expect(200)).body.bio).toBe('Lakes and light.');
  });

  it.each([
    [{ bio: 'x'.repeat(151) }, /bio must be at most 150 characters/],
    [{ bio: 42 }, /bio must be text/],
    [{}, /bio/],
  ])(
    'PATCH /api/users/me with %j answers 400 naming the problem and changes nothing',
    async (body, pattern) => {
      const { agent } = await signedInAgent(t.app);
      await agent.patch('/api/users/me').send({ bio: 'kept' }).expect(200);
      const res = await agent.patch('/api/users/me').send(body).expect(400);
      expect(res.body.message).toMatch(pattern);
      expect((await agent.get('/api/auth/me').expect(200)).body.bio).toBe('kept');
    },
  );

  it('PUT /api/users/me/avatar makes square 320 and 64 px JPEGs, oriented, without metadata', async () => {
    const { agent, user } = await signedInAgent(t.app);
    // 600×400 stored, EXIF orientation 6 (turn 90°), with GPS: shown 400×600.
    const bytes = await makeJpeg(600, 400, { orientation: 6, gps: true });
    const res = await agent.put('/api/users/me/avatar').attach('avatar', bytes, 'me.jpg').expect(200);
    expect(res.body).toMatchObject({
      id: user.id,
      avatar: expect.stringMatching(/^\/api\/users\/\d+\/avatar\/small\?v=/),
    });
    const large = await getImage(agent, res.body.avatar.replace('/small', '/large')).then((r) => {
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('image/jpeg');
      expect(r.headers['cache-control']).toMatch(/immutable/);
      return r.body as Buffer;
    });
    const meta = await sharp(large).metadata();
    expect([meta.width, meta.height, meta.format]).toEqual([320, 320, 'jpeg']);
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation ?? 1).toBe(1);
    const small = (await getImage(agent, `/api/users/${user.id}/avatar/small`)).body as Buffer;
    expect(await sharp(small).metadata()).toMatchObject({ width: 64, height: 64 });
    expect(await avatarObjects(t, user.id, idOf(res.body.avatar))).toBe(2);
  });

  it('PUT /api/users/me/avatar again replaces the images and deletes the old ones; DELETE removes them', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const first = await agent
      .put('/api/users/me/avatar')
      .attach('avatar', await makePng(100, 100), 'a.png')
      .expect(200);
    expect(await avatarObjects(t, user.id, idOf(first.body.avatar))).toBe(2);
    const second = await agent
      .put('/api/users/me/avatar')
      .attach('avatar', await makeJpeg(90, 90), 'b.jpg')
      .expect(200);
    expect(second.body.avatar).not.toBe(first.body.avatar);
    expect(await avatarObjects(t, user.id, idOf(first.body.avatar))).toBe(0);
    expect(await avatarObjects(t, user.id, idOf(second.body.avatar))).toBe(2);
    await agent.delete('/api/users/me/avatar').expect(204);
    expect(await avatarObjects(t, user.id, idOf(second.body.avatar))).toBe(0);
    expect((await agent.get('/api/auth/me').expect(200)).body.avatar).toBeNull();
    await agent.get(`/api/users/${user.id}/avatar/small`).expect(404);
    await agent.delete('/api/users/me/avatar').expect(204);
  });

  it.each([
    ['an SVG', () => Promise.resolve(SVG), 415],
    ['text', () => Promise.resolve(Buffer.from('hello, not an image')), 415],
    ['a decompression bomb', () => Promise.resolve(pngDeclaring(50_000, 50_000)), 413],
    [
      'a file over the byte limit',
      () => makeJpeg(10, 10).then((b) => Buffer.concat([b, Buffer.alloc(3 * 1024 * 1024)])),
      413,
    ],
  ])(
    'PUT /api/users/me/avatar with %s is refused with a sentence, and the old avatar stays',
    async (_what, make, status) => {
      const { agent, user } = await signedInAgent(t.app);
      const ok = await agent
        .put('/api/users/me/avatar')
        .attach('avatar', await makeJpeg(80, 80), 'ok.jpg')
        .expect(200);
      const res = await agent
        .put('/api/users/me/avatar')
        .attach('avatar', await make(), 'x.png')
        .expect(status);
      expect(res.body).toEqual({ message: expect.any(String), code: expect.any(String) });
      expect((await agent.get('/api/auth/me').expect(200)).body.avatar).toBe(ok.body.avatar);
      expect(await avatarObjects(t, user.id, idOf(ok.body.avatar))).toBe(2);
    },
  );

  it('PUT /api/users/me/avatar without a file answers 400 naming the field', async () => {
    const { agent } = await signedInAgent(t.app);
    const res = await agent.put('/api/users/me/avatar').field('x', 'y').expect(400);
    expect(res.body.message).toMatch(/avatar/);
  });

  it('GET /api/users/:id answers the profile with counts and relation', async () => {
    const ana = await signedInAgent(t.app);
    const bob = await signedInAgent(t.app);
    await ana.agent
      .post('/api/photos')
      .attach('photo', await makeJpeg(50, 50), 'p.jpg')
      .expect(201);
    await ana.agent.patch('/api/users/me').send({ bio: 'hi' }).expect(200);
    const self = await ana.agent.get(`/api/users/${ana.user.id}`).expect(200);
    expect(self.body).toMatchObject({
      id: ana.user.id,
      username: ana.user.username,
      avatar: null,
      bio: 'hi',
      photo_count: 1,
      friend_count: 0,
      relation: 'self',
    });
    expect((await bob.agent.get(`/api/users/${ana.user.id}`).expect(200)).body.relation).toBe('none');
    await bob.agent.post('/api/friends/request').send({ user_id: ana.user.id }).expect(201);
    expect((await bob.agent.get(`/api/users/${ana.user.id}`).expect(200)).body.relation).toBe('request_sent');
    expect((await ana.agent.get(`/api/users/${bob.user.id}`).expect(200)).body.relation).toBe(
      'request_received',
    );
    await ana.agent.post('/api/friends/request').send({ user_id: bob.user.id }).expect(201);
    const friends = await bob.agent.get(`/api/users/${ana.user.id}`).expect(200);
    expect(friends.body).toMatchObject({ relation: 'friends', friend_count: 1 });
  });

  it('GET /api/users/:id for nobody, or not an id, answers 404', async () => {
    const { agent } = await signedInAgent(t.app);
    await agent.get('/api/users/999999999').expect(404);
    await agent.get('/api/users/abc').expect(404);
    await agent.get('/api/users/1/avatar/huge').expect(404);
  });

  it('the avatar endpoints from another site or signed out are refused', async () => {
    const { agent, user } = await signedInAgent(t.app);
    await agent
      .put('/api/users/me/avatar')
      .set('Origin', 'https://evil.example')
      .attach('avatar', await makeJpeg(20, 20), 'a.jpg')
      .expect(403);
    await agent
      .patch('/api/users/me')
      .set('Origin', 'https://evil.example')
      .send({ bio: 'evil' })
      .expect(403);
    expect((await agent.get('/api/auth/me').expect(200)).body).toMatchObject({ avatar: null, bio: '' });
    await request(t.app).get(`/api/users/${user.id}`).expect(401);
    await request(t.app).patch('/api/users/me').send({ bio: 'x' }).expect(401);
  });
});

describe('profile pages', () => {
  const t = useTestApp();

  it('/users/:id/avatar/:size draws the initial as SVG when there is no picture, and serves the picture once there is one', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const initial = await getImage(agent, `/users/${user.id}/avatar/small`);
    expect(initial.status).toBe(200);
    expect(initial.headers['content-type']).toMatch(/^image\/svg\+xml/);
    expect(initial.body.toString()).toContain(`>${user.username.charAt(0).toUpperCase()}</text>`);
    await agent
      .put('/api/users/me/avatar')
      .attach('avatar', await makeJpeg(80, 80), 'a.jpg')
      .expect(200);
    const picture = await getImage(agent, `/users/${user.id}/avatar/large`);
    expect(picture.headers['content-type']).toBe('image/jpeg');
    await request(t.app).get(`/users/${user.id}/avatar/small`).expect(404);
  });

  it('the profile page shows the bio, the numbers of photos and friends, and the avatar', async () => {
    const { agent, user } = await signedInAgent(t.app);
    await agent.patch('/api/users/me').send({ bio: 'Mountains <b>and</b> rivers' }).expect(200);
    await agent
      .post('/api/photos')
      .attach('photo', await makeJpeg(50, 50), 'p.jpg')
      .expect(201);
    const page = await agent.get(`/users/${user.username}`).expect(200);
    expect(page.text).toContain('Mountains &lt;b&gt;and&lt;/b&gt; rivers');
    expect(page.text).toMatch(/<strong>1<\/strong> photo</);
    expect(page.text).toMatch(/<strong>0<\/strong> friends/);
    // No picture yet: the initial is drawn in the page, no request needed.
    expect(page.text).toMatch(/class="avatar avatar-lg" aria-hidden="true">[A-Z]</);
  });

  it('/settings saves the bio and the picture through forms, without JavaScript', async () => {
    const { agent, user } = await signedInAgent(t.app);
    await agent.post('/settings/profile').type('form').send({ bio: 'From the form' }).expect(303);
    expect((await agent.get('/api/auth/me').expect(200)).body.bio).toBe('From the form');
    const tooLong = await agent
      .post('/settings/profile')
      .type('form')
      .send({ bio: 'y'.repeat(200) })
      .expect(400);
    expect(tooLong.text).toContain('bio must be at most 150 characters');
    expect(tooLong.text).toContain('y'.repeat(200));
    expect((await agent.get('/api/auth/me').expect(200)).body.bio).toBe('From the form');
    await agent
      .post('/settings/avatar')
      .attach('avatar', await makeJpeg(100, 60), 'me.jpg')
      .expect(303);
    const me = (await agent.get('/api/auth/me').expect(200)).body as { avatar: string };
    expect(me.avatar).toMatch(/avatar\/small\?v=/);
    const settings = await agent.get('/settings').expect(200);
    expect(settings.text).toContain(`/users/${user.id}/avatar/large?v=`);
    const refused = await agent.post('/settings/avatar').attach('avatar', SVG, 'x.svg').expect(415);
    expect(refused.text).toContain('not a supported image');
    await agent.post('/settings/avatar/remove').type('form').send({}).expect(303);
    expect((await agent.get('/api/auth/me').expect(200)).body.avatar).toBeNull();
  });

  it('POST /settings/profile and /settings/avatar from another site answer 403 and change nothing', async () => {
    const { agent } = await signedInAgent(t.app);
    await agent
      .post('/settings/profile')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ bio: 'evil' })
      .expect(403);
    await agent
      .post('/settings/avatar')
      .set('Origin', 'https://evil.example')
      .attach('avatar', await makeJpeg(20, 20), 'a.jpg')
      .expect(403);
    await agent.post('/settings/avatar/remove').set('Origin', 'https://evil.example').expect(403);
    expect((await agent.get('/api/auth/me').expect(200)).body).toMatchObject({ bio: '', avatar: null });
  });
});
