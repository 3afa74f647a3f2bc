import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTestApp, PASSWORD, sessionCookie, username, type TestApp } from '../support/app';

const MINUTE = 60_000;
const IDLE = 60 * MINUTE;
const ABSOLUTE = 3 * 60 * MINUTE;

/**
 * Sessions are not rolling: the cookie is set at sign-in and lasts the absolute lifetime, and
 * the server record's expiry is written at most about once a minute. Only `Date` is faked, to
 * move the clock the app and the SQLite store read; sockets and timers stay real.
 */
describe('session lifetimes over HTTP', () => {
  let t: TestApp;
  let now = 0;
  beforeAll(async () => {
    t = await makeTestApp({
      SESSION_IDLE_MINUTES: String(IDLE / MINUTE),
      SESSION_ABSOLUTE_HOURS: String(ABSOLUTE / (60 * MINUTE)),
    });
  });
  afterAll(() => t.close());
  afterEach(() => vi.useRealTimers());

  const at = (ms: number) => vi.setSystemTime(now + ms);

  async function signUp(): Promise<{ cookie: string; sid: string; setCookie: string }> {
    vi.useFakeTimers({ toFake: ['Date'] });
    now = Date.now();
    const res = await request(t.app)
      .post('/api/auth/signup')
      .send({ username: username('sess'), password: PASSWORD })
      .expect(201);
    const cookie = sessionCookie(res)!;
    // lumina.sid=s%3A<sid>.<signature>
    const sid = decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0]!;
    const setCookie = (res.headers['set-cookie'] as unknown as string[]).find((c) =>
      c.startsWith('lumina.sid='),
    )!;
    return { cookie, sid, setCookie };
  }

  const me = (cookie: string) => request(t.app).get('/api/auth/me').set('Cookie', cookie);
  const storedExpiry = async (sid: string) =>
    (await t.container.storage.sessions.get(sid))?.expiresAt.getTime();

  it('sign-in sets a cookie for the absolute lifetime; later answers set none and do not rewrite the record', async () => {
    const { cookie, sid, setCookie } = await signUp();
    const expires = Date.parse(/Expires=([^;]+)/i.exec(setCookie)![1]!);
    expect(Math.abs(expires - (now + ABSOLUTE))).toBeLessThan(2_000);
    expect(await storedExpiry(sid)).toBe(now + IDLE);

    at(30_000);
    const res = await me(cookie).expect(200);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await storedExpiry(sid)).toBe(now + IDLE);
  });

  it('a session in use stays alive past one idle period, and ends one idle period after its last use', async () => {
    const { cookie, sid } = await signUp();
    at(30 * MINUTE);
    await me(cookie).expect(200);
    expect(await storedExpiry(sid)).toBe(now + 30 * MINUTE + IDLE);

    // Half a minute later the expiry would move by less than a minute: nothing is written.
    at(30 * MINUTE + 30_000);
    await me(cookie).expect(200);
    expect(await storedExpiry(sid)).toBe(now + 30 * MINUTE + IDLE);

    at(89 * MINUTE);
    await me(cookie).expect(200);
    expect(await storedExpiry(sid)).toBe(now + 89 * MINUTE + IDLE);

    at(89 * MINUTE + IDLE + 1_000);
    await me(cookie).expect(401);
  });

  it('the chat poll alone keeps a session alive, and ends with it', async () => {
    const { cookie, sid } = await signUp();
    const me = (await request(t.app).get('/api/auth/me').set('Cookie', cookie).expect(200)).body as {
      id: number;
    };
    const poll = () => request(t.app).get(`/api/messages?user_id=${me.id}`).set('Cookie', cookie);
    at(50 * MINUTE);
    expect((await poll().expect(200)).headers['set-cookie']).toBeUndefined();
    expect(await storedExpiry(sid)).toBe(now + 50 * MINUTE + IDLE);
    at(100 * MINUTE);
    await poll().expect(200);
    at(100 * MINUTE + IDLE + 1_000);
    await poll().expect(401);
  });

  it('a session left alone for one idle period answers 401', async () => {
    const { cookie } = await signUp();
    at(IDLE + 1_000);
    await me(cookie).expect(401);
  });

  it('a session in constant use still ends at the absolute lifetime after sign-in', async () => {
    const { cookie } = await signUp();
    for (let minutes = 50; minutes < ABSOLUTE / MINUTE; minutes += 50) {
      at(minutes * MINUTE);
      await me(cookie).expect(200);
    }
    at(ABSOLUTE + 1_000);
    await me(cookie).expect(401);
  });
});
