import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { PASSWORD, sessionCookie, signedInAgent, username, type TestApp, useTestApp } from '../support/app';

const NEW_PASSWORD = 'a brand new passphrase';
const FIREFOX_ANDROID = 'Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0';

/** A second session of the same person, as another device would open it. */
async function logInAgain(
  app: TestApp['app'],
  name: string,
  password = PASSWORD,
  userAgent = FIREFOX_ANDROID,
) {
  const agent = request.agent(app);
  await agent
    .post('/api/auth/login')
    .set('User-Agent', userAgent)
    .send({ username: name, password })
    .expect(200);
  return agent;
}

describe('account API: password and sessions', () => {
  const t = useTestApp({ RATE_LIMIT_LOGIN_MAX: '3' });

  it('POST /api/auth/signup with one of the most common passwords answers 400 saying why', async () => {
    const res = await request(t.app)
      .post('/api/auth/signup')
      .send({ username: username('common'), password: 'Password1' })
      .expect(400);
    expect(res.body).toEqual({
      message: expect.stringMatching(/most common passwords/),
      code: 'invalid_input',
    });
  });

  it('POST /api/auth/password with the right current password answers 204, ends every other session and renews this one', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const phone = await logInAgain(t.app, user.username);
    const before = sessionCookie(
      await agent.post('/api/auth/login').send({ username: user.username, password: PASSWORD }),
    );
    const res = await agent
      .post('/api/auth/password')
      .send({ current_password: PASSWORD, new_password: NEW_PASSWORD })
      .expect(204);
    const after = sessionCookie(res);
    expect(after).toBeDefined();
    expect(after).not.toBe(before);
    await agent.get('/api/auth/me').expect(200);
    await phone.get('/api/auth/me').expect(401);
    // The old cookie of this very device no longer signs anyone in.
    await request(t.app).get('/api/auth/me').set('Cookie', before!).expect(401);
    await request(t.app)
      .post('/api/auth/login')
      .send({ username: user.username, password: PASSWORD })
      .expect(401);
    await request(t.app)
      .post('/api/auth/login')
      .send({ username: user.username, password: NEW_PASSWORD })
      .expect(200);
  });

  it('POST /api/auth/password with a wrong current password answers 401 and changes nothing', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const phone = await logInAgain(t.app, user.username);
    const res = await agent
      .post('/api/auth/password')
      .send({ current_password: 'not my password', new_password: NEW_PASSWORD })
      .expect(401);
    expect(res.body).toEqual({ message: 'That is not your current password.', code: 'wrong_password' });
    await phone.get('/api/auth/me').expect(200);
    await request(t.app)
      .post('/api/auth/login')
      .send({ username: user.username, password: PASSWORD })
      .expect(200);
  });

  it('POST /api/auth/password with wrong current passwords is limited like log-in: 429 with Retry-After', async () => {
    const { agent } = await signedInAgent(t.app);
    for (let i = 0; i < 3; i++) {
      await agent
        .post('/api/auth/password')
        .send({ current_password: `wrong ${i}`, new_password: NEW_PASSWORD })
        .expect(401);
    }
    const res = await agent
      .post('/api/auth/password')
      .send({ current_password: PASSWORD, new_password: NEW_PASSWORD })
      .expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body.code).toBe('rate_limited');
  });

  it.each([
    [{ current_password: PASSWORD, new_password: 'short' }, /new_password must be at least 8 characters/],
    [
      { current_password: PASSWORD, new_password: 'iloveyou' },
      /new_password is one of the most common passwords/,
    ],
    [{ current_password: PASSWORD, new_password: 'x'.repeat(73) }, /new_password must be at most 72 bytes/],
    [{ new_password: NEW_PASSWORD }, /current_password/],
    [{ current_password: PASSWORD }, /new_password/],
  ])(
    'POST /api/auth/password with %j answers 400 naming the problem and changes nothing',
    async (body, pattern) => {
      const { agent, user } = await signedInAgent(t.app);
      const res = await agent.post('/api/auth/password').send(body).expect(400);
      expect(res.body.message).toMatch(pattern);
      await request(t.app)
        .post('/api/auth/login')
        .send({ username: user.username, password: PASSWORD })
        .expect(200);
    },
  );

  it('POST /api/auth/password from another site answers 403 and changes nothing', async () => {
    const { agent, user } = await signedInAgent(t.app);
    await agent
      .post('/api/auth/password')
      .set('Origin', 'https://evil.example')
      .send({ current_password: PASSWORD, new_password: NEW_PASSWORD })
      .expect(403);
    await request(t.app)
      .post('/api/auth/login')
      .send({ username: user.username, password: PASSWORD })
      .expect(200);
  });

  it('POST /api/auth/password signed out answers 401', async () => {
    await request(t.app)
      .post('/api/auth/password')
      .send({ current_password: PASSWORD, new_password: NEW_PASSWORD })
      .expect(401);
  });

  it("GET /api/auth/sessions lists the person's sessions with device and times, marks this one, and never shows a session id", async () => {
    const { agent, user } = await signedInAgent(t.app);
    const phone = await logInAgain(t.app, user.username);
    const phoneCookie = sessionCookie(
      await request(t.app).post('/api/auth/login').send({ username: user.username, password: PASSWORD }),
    );
    const res = await agent.get('/api/auth/sessions').expect(200);
    expect(res.body).toHaveLength(3);
    const current = res.body.filter((s: { current: boolean }) => s.current);
    expect(current).toHaveLength(1);
    expect(res.body).toContainEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/),
      device: 'Firefox on Android',
      created_at: expect.any(String),
      last_used_at: expect.any(String),
      current: false,
    });
    // Neither the raw nor the signed session id appears anywhere in the answer.
    const sid = decodeURIComponent(phoneCookie!.split('=')[1]!).slice(2).split('.')[0]!;
    expect(JSON.stringify(res.body)).not.toContain(sid);
    // Someone else's list does not include these.
    const other = await signedInAgent(t.app);
    expect((await other.agent.get('/api/auth/sessions').expect(200)).body).toHaveLength(1);
    await phone.get('/api/auth/me').expect(200);
  });

  it("DELETE /api/auth/sessions/:id ends that session only; an unknown or someone else's id is 404", async () => {
    const { agent, user } = await signedInAgent(t.app);
    const phone = await logInAgain(t.app, user.username);
    const list = (await agent.get('/api/auth/sessions').expect(200)).body as {
      id: string;
      current: boolean;
    }[];
    const phoneSession = list.find((s) => !s.current)!;
    const other = await signedInAgent(t.app);
    await other.agent.delete(`/api/auth/sessions/${phoneSession.id}`).expect(404);
    await phone.get('/api/auth/me').expect(200);
    await agent.delete(`/api/auth/sessions/${phoneSession.id}`).expect(204);
    await phone.get('/api/auth/me').expect(401);
    await agent.get('/api/auth/me').expect(200);
    const again = await agent.delete(`/api/auth/sessions/${phoneSession.id}`).expect(404);
    expect(again.body.code).toBe('session_not_found');
    await agent.delete('/api/auth/sessions/not-a-handle').expect(404);
  });

  it('DELETE /api/auth/sessions ends every session but this one', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const phones = [await logInAgain(t.app, user.username), await logInAgain(t.app, user.username)];
    await agent.delete('/api/auth/sessions').expect(204);
    for (const phone of phones) await phone.get('/api/auth/me').expect(401);
    await agent.get('/api/auth/me').expect(200);
    const list = (await agent.get('/api/auth/sessions').expect(200)).body as { current: boolean }[];
    expect(list).toEqual([expect.objectContaining({ current: true })]);
  });

  it('GET /api/auth/sessions signed out answers 401', async () => {
    await request(t.app).get('/api/auth/sessions').expect(401);
    await request(t.app).delete('/api/auth/sessions').expect(401);
  });
});

describe('settings pages: password and sessions without JavaScript', () => {
  const t = useTestApp();

  it('GET /settings signed out sends the visitor to log in', async () => {
    const res = await request(t.app).get('/settings').expect(303);
    expect(res.headers.location).toBe('/login?next=%2Fsettings');
  });

  it('GET /settings shows the password form and the sessions with this device marked', async () => {
    const { agent, user } = await signedInAgent(t.app);
    await logInAgain(t.app, user.username);
    const res = await agent.get('/settings').expect(200);
    expect(res.text).toContain('id="password-form"');
    expect(res.text).toContain('This device');
    expect(res.text).toContain('Firefox on Android');
    expect(res.text).toContain('id="end-others-form"');
  });

  it('POST /settings/password with a wrong current password answers 401 with the sentence beside the form', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const res = await agent
      .post('/settings/password')
      .type('form')
      .send({ current_password: 'nope nope', new_password: NEW_PASSWORD })
      .expect(401);
    expect(res.text).toContain('That is not your current password.');
    await request(t.app)
      .post('/api/auth/login')
      .send({ username: user.username, password: PASSWORD })
      .expect(200);
  });

  it('POST /settings/password with a common new password answers 400 saying why', async () => {
    const { agent } = await signedInAgent(t.app);
    const res = await agent
      .post('/settings/password')
      .type('form')
      .send({ current_password: PASSWORD, new_password: 'qwertyuiop' })
      .expect(400);
    expect(res.text).toContain('most common passwords');
  });

  it('POST /settings/password with the right password redirects with a notice; other devices are logged out', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const phone = await logInAgain(t.app, user.username);
    await agent
      .post('/settings/password')
      .type('form')
      .send({ current_password: PASSWORD, new_password: NEW_PASSWORD })
      .expect(303)
      .expect('Location', '/settings');
    expect((await agent.get('/settings').expect(200)).text).toContain('Your password is changed');
    await phone.get('/api/auth/me').expect(401);
  });

  it('POST /settings/sessions/:id/end and /settings/sessions/others/end log other devices out', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const phone = await logInAgain(t.app, user.username);
    const tablet = await logInAgain(t.app, user.username);
    const list = (await phone.get('/api/auth/sessions').expect(200)).body as {
      id: string;
      current: boolean;
    }[];
    const phoneId = list.find((s) => s.current)!.id;
    await agent.post(`/settings/sessions/${phoneId}/end`).type('form').send({}).expect(303);
    await phone.get('/api/auth/me').expect(401);
    await tablet.get('/api/auth/me').expect(200);
    await agent.post('/settings/sessions/others/end').type('form').send({}).expect(303);
    await tablet.get('/api/auth/me').expect(401);
    await agent.get('/api/auth/me').expect(200);
  });

  it('POST to the settings forms from another site answers 403 and changes nothing', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const phone = await logInAgain(t.app, user.username);
    for (const path of ['/settings/password', '/settings/sessions/others/end']) {
      await agent
        .post(path)
        .set('Origin', 'https://evil.example')
        .type('form')
        .send({ current_password: PASSWORD, new_password: NEW_PASSWORD })
        .expect(403);
    }
    await phone.get('/api/auth/me').expect(200);
    await request(t.app)
      .post('/api/auth/login')
      .send({ username: user.username, password: PASSWORD })
      .expect(200);
  });
});
