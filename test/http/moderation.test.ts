import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { makeJpeg } from '../support/images';
import { befriend, PASSWORD, signedInAgent, useTestApp } from '../support/app';

async function photoOf(agent: ReturnType<typeof request.agent>): Promise<string> {
  const res = await agent
    .post('/api/photos')
    .attach('photo', await makeJpeg(30, 30), 'p.jpg')
    .expect(201);
  return res.body.id as string;
}

describe('reports and moderation', () => {
  const t = useTestApp({ RATE_LIMIT_REPORT_MAX: '1000' });

  async function moderator() {
    const mod = await signedInAgent(t.app);
    await t.container.storage.users.setModerator(mod.user.id, true);
    return mod;
  }

  it('POST /api/reports answers 201 with an id; the same person and item again 200 with the same id', async () => {
    const author = await signedInAgent(t.app);
    const reporter = await signedInAgent(t.app);
    const photoId = await photoOf(author.agent);
    const first = await reporter.agent
      .post('/api/reports')
      .send({ target_type: 'photo', target_id: photoId, reason: 'spam' })
      .expect(201);
    const again = await reporter.agent
      .post('/api/reports')
      .send({ target_type: 'photo', target_id: photoId, reason: 'violence', text: 'changed my mind' })
      .expect(200);
    expect(again.body).toEqual({ id: first.body.id });
  });

  it.each([
    [{ target_type: 'photo', target_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', reason: 'spam' }, 404],
    [{ target_type: 'user', target_id: 999999999, reason: 'spam' }, 404],
    [{ target_type: 'photo', target_id: 'x', reason: 'spam' }, 400],
    [{ target_type: 'song', target_id: '5', reason: 'spam' }, 400],
    [{ target_type: 'user', target_id: '5', reason: 'boring' }, 400],
    [{ target_type: 'user', target_id: '5', reason: 'other', text: 'x'.repeat(10_000) }, 400],
    [{ target_type: 'comment', target_id: '01ARZ3NDEKTSV4RRFFQ69G5FAV', reason: 'spam' }, 400],
  ])('POST /api/reports with %j answers %i with a sentence', async (body, status) => {
    const reporter = await signedInAgent(t.app);
    const res = await reporter.agent.post('/api/reports').send(body).expect(status);
    expect(res.body).toEqual({ message: expect.any(String), code: expect.any(String) });
  });

  it('non-moderators get 404 on every moderation path, API and page', async () => {
    const someone = await signedInAgent(t.app);
    await someone.agent.get('/api/moderation/reports').expect(404);
    await someone.agent.get('/api/moderation/log').expect(404);
    await someone.agent
      .post('/api/moderation/actions')
      .send({ target_type: 'user', target_id: someone.user.id, action: 'suspend' })
      .expect(404);
    await someone.agent.get('/moderation').expect(404);
    await someone.agent.post('/moderation/actions').type('form').send({ action: 'dismiss' }).expect(303);
    await someone.agent.get('/api/auth/me').expect(200);
  });

  it('a moderator sees reports grouped by item with reason counts, removes a photo with everything, and it is logged', async () => {
    const mod = await moderator();
    const author = await signedInAgent(t.app);
    const photoId = await photoOf(author.agent);
    await author.agent.post(`/api/photos/${photoId}/comments`).send({ text: 'mine' }).expect(201);
    for (const reason of ['spam', 'spam', 'nudity']) {
      const r = await signedInAgent(t.app);
      await r.agent
        .post('/api/reports')
        .send({ target_type: 'photo', target_id: photoId, reason, text: 'look' })
        .expect(201);
    }
    const open = await mod.agent.get('/api/moderation/reports').expect(200);
    const group = (open.body as { target_id: string }[]).find((g) => g.target_id === photoId);
    expect(group).toMatchObject({ target_type: 'photo', reports: 3, reasons: { spam: 2, nudity: 1 } });
    const page = await mod.agent.get('/moderation').expect(200);
    expect(page.text).toContain(photoId);
    const action = await mod.agent
      .post('/api/moderation/actions')
      .send({ target_type: 'photo', target_id: photoId, action: 'remove' })
      .expect(200);
    expect(action.body).toMatchObject({ action: 'remove', moderator: mod.user.username, target_id: photoId });
    await author.agent.get(`/api/photos/${photoId}`).expect(404);
    await author.agent.get(`/api/photos/${photoId}/image/thumb`).expect(404);
    const after = await mod.agent.get('/api/moderation/reports').expect(200);
    expect((after.body as { target_id: string }[]).some((g) => g.target_id === photoId)).toBe(false);
    const closed = await mod.agent.get('/api/moderation/reports?status=closed').expect(200);
    expect((closed.body as { target_id: string }[]).some((g) => g.target_id === photoId)).toBe(true);
    const log = await mod.agent.get('/api/moderation/log').expect(200);
    expect(log.body[0]).toMatchObject({ id: action.body.id, action: 'remove' });
  });

  it('a comment is reported with its photo and removed by a moderator', async () => {
    const mod = await moderator();
    const author = await signedInAgent(t.app);
    const photoId = await photoOf(author.agent);
    const troll = await signedInAgent(t.app);
    const comment = await troll.agent
      .post(`/api/photos/${photoId}/comments`)
      .send({ text: 'nasty' })
      .expect(201);
    await author.agent
      .post('/api/reports')
      .send({ target_type: 'comment', target_id: comment.body.id, photo_id: photoId, reason: 'harassment' })
      .expect(201);
    await mod.agent
      .post('/api/moderation/actions')
      .send({ target_type: 'comment', target_id: comment.body.id, photo_id: photoId, action: 'remove' })
      .expect(200);
    expect((await author.agent.get(`/api/photos/${photoId}/comments`).expect(200)).body).toEqual([]);
    expect((await author.agent.get(`/api/photos/${photoId}`).expect(200)).body.comment_count).toBe(0);
  });

  it('suspend: log-in refused, sessions ended, content hidden; unsuspend brings it all back', async () => {
    const mod = await moderator();
    const bad = await signedInAgent(t.app);
    const viewer = await signedInAgent(t.app);
    const photoId = await photoOf(bad.agent);
    // Their comment under the viewer's own post: on the viewer's Home page and photo page.
    const ownPhotoId = await photoOf(viewer.agent);
    const comment = `a comment by ${bad.user.username}`;
    await bad.agent.post(`/api/photos/${ownPhotoId}/comments`).send({ text: comment }).expect(201);
    const commentShown = async () => {
      const home = await viewer.agent.get('/feed?scope=home').expect(200);
      const page = await viewer.agent.get(`/photos/${ownPhotoId}`).expect(200);
      return [home.text.includes(comment), page.text.includes(comment)];
    };
    expect(await commentShown()).toEqual([true, true]);
    await mod.agent
      .post('/api/moderation/actions')
      .send({ target_type: 'user', target_id: String(bad.user.id), action: 'suspend' })
      .expect(200);
    expect(await commentShown()).toEqual([false, false]);
    await bad.agent.get('/api/auth/me').expect(401);
    const login = await request(t.app)
      .post('/api/auth/login')
      .send({ username: bad.user.username, password: PASSWORD })
      .expect(403);
    expect(login.body.code).toBe('account_suspended');
    await viewer.agent.get(`/api/photos/${photoId}`).expect(404);
    await viewer.agent.get(`/api/users/${bad.user.id}`).expect(404);
    await viewer.agent.get(`/users/${bad.user.username}`).expect(404);
    const all = await viewer.agent.get('/api/photos?scope=all&limit=100').expect(200);
    expect((all.body as { id: string }[]).some((p) => p.id === photoId)).toBe(false);
    await mod.agent
      .post('/api/moderation/actions')
      .send({ target_type: 'user', target_id: bad.user.id, action: 'unsuspend' })
      .expect(200);
    await request(t.app)
      .post('/api/auth/login')
      .send({ username: bad.user.username, password: PASSWORD })
      .expect(200);
    await viewer.agent.get(`/api/photos/${photoId}`).expect(200);
    expect(await commentShown()).toEqual([true, true]);
    const log = await mod.agent.get('/api/moderation/log').expect(200);
    expect((log.body as { action: string }[]).slice(0, 2).map((a) => a.action)).toEqual([
      'unsuspend',
      'suspend',
    ]);
  });

  it('suspend: the badges stop counting what the person sent and caused, as the pages stop showing it; unsuspend counts it again', async () => {
    const mod = await moderator();
    const bad = await signedInAgent(t.app);
    const viewer = await signedInAgent(t.app);
    await befriend(bad, viewer);
    const photoId = await photoOf(viewer.agent);
    await viewer.agent.post('/api/activity/read').expect(204);
    await bad.agent.post('/api/messages').send({ to_user_id: viewer.user.id, text: 'hello' }).expect(201);
    await bad.agent.post(`/api/photos/${photoId}/like`).expect(200);
    const seen = async () => {
      const get = async (path: string) => (await viewer.agent.get(path).expect(200)).body as unknown;
      const [badges, conversations, activity] = await Promise.all([
        get('/api/badges'),
        get('/api/conversations'),
        get('/api/activity'),
      ]);
      const b = badges as { messages: number; activity: number };
      // What the pages show unread: the conversations' unread counts, the activity entries not read.
      const unread = (conversations as { unread: number }[]).reduce((sum, c) => sum + c.unread, 0);
      const events = (activity as { read: boolean }[]).filter((e) => !e.read).length;
      return { badges: [b.messages, b.activity], shown: [unread, events] };
    };
    expect(await seen()).toEqual({ badges: [1, 1], shown: [1, 1] });
    const act = (action: string) =>
      mod.agent
        .post('/api/moderation/actions')
        .send({ target_type: 'user', target_id: bad.user.id, action })
        .expect(200);
    await act('suspend');
    expect(await seen()).toEqual({ badges: [0, 0], shown: [0, 0] });
    await act('unsuspend');
    expect(await seen()).toEqual({ badges: [1, 1], shown: [1, 1] });
  });

  it('dismiss closes the reports and changes nothing else; the page forms work without JavaScript', async () => {
    const mod = await moderator();
    const author = await signedInAgent(t.app);
    const reporter = await signedInAgent(t.app);
    const photoId = await photoOf(author.agent);
    await reporter.agent
      .post('/reports')
      .type('form')
      .send({
        target_type: 'photo',
        target_id: photoId,
        photo_id: '',
        reason: 'other',
        text: 'hmm',
        return_to: `/photos/${photoId}`,
      })
      .expect(303)
      .expect('Location', `/photos/${photoId}`);
    await mod.agent
      .post('/moderation/actions')
      .type('form')
      .send({ target_type: 'photo', target_id: photoId, photo_id: '', action: 'dismiss' })
      .expect(303)
      .expect('Location', '/moderation');
    await author.agent.get(`/api/photos/${photoId}`).expect(200);
    const page = await mod.agent.get('/moderation').expect(200);
    expect(page.text).toContain('Done: dismiss.');
    expect(
      (await mod.agent.get('/api/moderation/reports').expect(200)).body.some(
        (g: { target_id: string }) => g.target_id === photoId,
      ),
    ).toBe(false);
  });

  it('cross-site report and moderation posts are refused', async () => {
    const mod = await moderator();
    const author = await signedInAgent(t.app);
    const photoId = await photoOf(author.agent);
    await mod.agent
      .post('/api/reports')
      .set('Origin', 'https://evil.example')
      .send({ target_type: 'photo', target_id: photoId, reason: 'spam' })
      .expect(403);
    await mod.agent
      .post('/api/moderation/actions')
      .set('Origin', 'https://evil.example')
      .send({ target_type: 'photo', target_id: photoId, action: 'remove' })
      .expect(403);
    await mod.agent
      .post('/moderation/actions')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ target_type: 'photo', target_id: photoId, action: 'remove' })
      .expect(403);
    await author.agent.get(`/api/photos/${photoId}`).expect(200);
  });
});
