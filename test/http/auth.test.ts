import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { BcryptPasswords } from '../../src/adapters/bcrypt-passwords';
import type { PasswordHasher } from '../../src/ports';
import { PASSWORD, sessionCookie, signedInAgent, username, useTestApp } from '../support/app';

/** Counts verifications, to show an unknown user costs the same bcrypt work as a wrong password. */
class CountingHasher implements PasswordHasher {
  verifications = 0;
  private readonly inner = new BcryptPasswords(4);
  hash(password: string) {
    return this.inner.hash(password);
  }
  verify(password: string, hash: string) {
    this.verifications++;
    return this.inner.verify(password, hash);
  }
}

describe('auth API', () => {
  const hasher = new CountingHasher();
  const t = useTestApp({}, { passwords: hasher });

  it('POST /api/auth/signup with valid input answers 201 {id, username} and an HttpOnly SameSite=Lax cookie', async () => {
    const name = username('Sign');
    const res = await request(t.app)
      .post('/api/auth/signup')
      .send({ username: name, password: PASSWORD })
      .expect(201);
    expect(res.body).toEqual({
      id: expect.any(Number),
      username: name,
      avatar: null,
      bio: expect.any(String),
    });
    const cookie = (res.headers['set-cookie'] as unknown as string[]).find((c) =>
      c.startsWith('lumina.sid='),
    );
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    expect(res.headers['set-cookie']?.toString()).not.toMatch(/connect\.sid/);
  });

  it('POST /api/auth/signup with a name taken in another case answers 409 username_taken', async () => {
    const name = username('Taken');
    await request(t.app).post('/api/auth/signup').send({ username: name, password: PASSWORD }).expect(201);
    const res = await request(t.app)
      .post('/api/auth/signup')
      .send({ username: name.toUpperCase(), password: PASSWORD })
      .expect(409);
    expect(res.body).toEqual({ message: expect.any(String), code: 'username_taken' });
  });

  it('POST /api/auth/signup with 20 simultaneous requests for one name gives one 201 and nineteen 409', async () => {
    const name = username('race');
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        request(t.app).post('/api/auth/signup').send({ username: name, password: PASSWORD }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  });

  const badBodies: [string, unknown, RegExp][] = [
    ['a username with spaces', { username: 'has space', password: PASSWORD }, /username/],
    ['a 10 KB username', { username: 'a'.repeat(10_240), password: PASSWORD }, /username/],
    ['a numeric username', { username: 12345, password: PASSWORD }, /username/],
    ['a missing password', { username: 'someone_ok' }, /password/],
    ['a short password', { username: 'someone_ok', password: 'short' }, /password/],
    ['a password over 72 bytes', { username: 'someone_ok', password: 'ü'.repeat(37) }, /password.*72/],
    ['an array body', [1, 2], /body must be a JSON object/],
  ];
  it.each(badBodies)(
    'POST /api/auth/signup with %s answers 400 naming the field and creates nobody',
    async (_label, body, pattern) => {
      const res = await request(t.app)
        .post('/api/auth/signup')
        .send(body as object)
        .expect(400);
      expect(res.body.code).toBe('invalid_input');
      expect(res.body.message).toMatch(pattern);
      const login = await request(t.app)
        .post('/api/auth/login')
        .send({ username: 'someone_ok', password: PASSWORD });
      expect(login.status).toBe(401);
    },
  );

  it('POST /api/auth/signup with invalid JSON answers 400 invalid_json', async () => {
    const res = await request(t.app)
      .post('/api/auth/signup')
      .set('Content-Type', 'application/json')
      .send('{"username": ')
      .expect(400);
    expect(res.body).toEqual({ message: 'The request body is not valid JSON.', code: 'invalid_json' });
  });

  it('POST /api/auth/signup with a body over the JSON limit answers 413', async () => {
    const res = await request(t.app)
      .post('/api/auth/signup')
      .send({ username: 'x', password: 'y'.repeat(200_000) })
      .expect(413);
    expect(res.body.code).toBe('payload_too_large');
  });

  it('POST /api/auth/login answers the same 401 for an unknown user and a wrong password, after the same bcrypt work', async () => {
    const { user } = await signedInAgent(t.app);
    const before = hasher.verifications;
    const unknown = await request(t.app)
      .post('/api/auth/login')
      .send({ username: username('ghost'), password: PASSWORD });
    const afterUnknown = hasher.verifications;
    const wrong = await request(t.app)
      .post('/api/auth/login')
      .send({ username: user.username, password: 'wrong password' });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.body).toEqual({ message: 'Invalid username or password.', code: 'invalid_credentials' });
    expect(afterUnknown - before).toBe(1);
    expect(hasher.verifications - afterUnknown).toBe(1);
  });

  it('POST /api/auth/login with the right password answers 200 and a new session id; the old one stops working', async () => {
    const name = username('regen');
    const signup = await request(t.app)
      .post('/api/auth/signup')
      .send({ username: name, password: PASSWORD })
      .expect(201);
    const signupCookie = sessionCookie(signup);
    expect(signupCookie).toBeDefined();
    await request(t.app)
      .get('/api/auth/me')
      .set('Cookie', signupCookie ?? '')
      .expect(200);
    const login = await request(t.app)
      .post('/api/auth/login')
      .set('Cookie', signupCookie ?? '')
      .send({ username: name.toUpperCase(), password: PASSWORD })
      .expect(200);
    expect(login.body).toEqual({ id: signup.body.id, username: name, avatar: null, bio: expect.any(String) });
    const newCookie = sessionCookie(login);
    expect(newCookie).toBeDefined();
    expect(newCookie).not.toBe(signupCookie);
    await request(t.app)
      .get('/api/auth/me')
      .set('Cookie', newCookie ?? '')
      .expect(200);
    await request(t.app)
      .get('/api/auth/me')
      .set('Cookie', signupCookie ?? '')
      .expect(401);
  });

  it('POST /api/auth/logout answers 204 and a replayed old cookie gets 401', async () => {
    const name = username('out');
    const signup = await request(t.app)
      .post('/api/auth/signup')
      .send({ username: name, password: PASSWORD })
      .expect(201);
    const cookie = sessionCookie(signup) ?? '';
    await request(t.app).get('/api/auth/me').set('Cookie', cookie).expect(200);
    await request(t.app).post('/api/auth/logout').set('Cookie', cookie).expect(204);
    const replay = await request(t.app).get('/api/auth/me').set('Cookie', cookie).expect(401);
    expect(replay.body).toEqual({ message: 'authentication required', code: 'unauthenticated' });
  });

  it('GET /api/auth/me signed in answers the user with no-store caching', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const res = await agent.get('/api/auth/me').expect(200);
    expect(res.body).toMatchObject({
      id: user.id,
      username: user.username,
      email: `${user.username.toLowerCase()}@lumina.local`,
    });
    expect(res.body).not.toHaveProperty('password_hash');
    expect(res.headers['cache-control']).toBe('no-store');
  });
});

describe('cross-site protection', () => {
  const t = useTestApp();

  it('POST with a foreign Origin answers 403 and signs nobody up', async () => {
    const name = username('csrf');
    const res = await request(t.app)
      .post('/api/auth/signup')
      .set('Origin', 'https://evil.example')
      .send({ username: name, password: PASSWORD })
      .expect(403);
    expect(res.body.code).toBe('cross_site');
    await request(t.app).post('/api/auth/login').send({ username: name, password: PASSWORD }).expect(401);
  });

  it('POST with Sec-Fetch-Site cross-site answers 403', async () => {
    await request(t.app).post('/api/auth/logout').set('Sec-Fetch-Site', 'cross-site').expect(403);
  });

  it('POST from the same origin, or with neither header, is allowed', async () => {
    const sameOrigin = await request(t.app)
      .post('/api/auth/signup')
      .set('Host', 'lumina.test')
      .set('Origin', 'http://lumina.test')
      .set('Sec-Fetch-Site', 'same-origin')
      .send({ username: username('same'), password: PASSWORD });
    expect(sameOrigin.status).toBe(201);
    await request(t.app)
      .post('/api/auth/signup')
      .send({ username: username('cli'), password: PASSWORD })
      .expect(201);
  });
});

describe('rate limits', () => {
  const t = useTestApp({
    RATE_LIMIT_LOGIN_MAX: '3',
    RATE_LIMIT_SIGNUP_MAX: '2',
    RATE_LIMIT_LOGIN_WINDOW_SECONDS: '600',
  });

  it('POST /api/auth/login after 3 failures for one username answers 429 with Retry-After, even with the right password', async () => {
    const { user } = await signedInAgent(t.app, username('limited'));
    for (let i = 0; i < 3; i++) {
      await request(t.app)
        .post('/api/auth/login')
        .send({ username: user.username, password: 'wrong password' })
        .expect(401);
    }
    const limited = await request(t.app)
      .post('/api/auth/login')
      .send({ username: user.username, password: PASSWORD })
      .expect(429);
    expect(limited.body.code).toBe('rate_limited');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(Number(limited.headers['retry-after'])).toBeLessThanOrEqual(600);
  });

  it('POST /api/auth/login failures for one username do not lock out another username', async () => {
    const { user } = await signedInAgent(t.app, username('other'));
    await request(t.app)
      .post('/api/auth/login')
      .send({ username: user.username, password: PASSWORD })
      .expect(200);
  });

  it('POST /api/auth/signup past the per-address limit (2) answers 429 and creates nobody', async () => {
    const name = username('many');
    const res = await request(t.app)
      .post('/api/auth/signup')
      .send({ username: name, password: PASSWORD })
      .expect(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    await request(t.app).post('/api/auth/login').send({ username: name, password: PASSWORD }).expect(401);
  });
});

describe('security headers and probes', () => {
  const t = useTestApp();

  it('every page carries a CSP with no inline script and frame-ancestors none, and no X-Powered-By', async () => {
    const res = await request(t.app).get('/healthz').expect(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers['x-powered-by']).toBeUndefined();
    expect(res.headers['x-request-id']).toMatch(/^[\w-]+$/);
  });

  it('GET /readyz with every store answering is 200 and names each check', async () => {
    const res = await request(t.app).get('/readyz').expect(200);
    expect(res.body.status).toBe('ready');
    expect(res.body.checks.every((c: { ok: boolean }) => c.ok)).toBe(true);
  });

  it('an unknown /api path answers a JSON 404 and an unknown page an HTML 404', async () => {
    const api = await request(t.app).get('/api/nope').expect(404);
    expect(api.body).toEqual({ message: expect.any(String), code: 'no_such_endpoint' });
    const page = await request(t.app).get('/no/such/page').expect(404);
    expect(page.headers['content-type']).toMatch(/html/);
    expect(page.text).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('request bodies', () => {
  const t = useTestApp();

  it('a form-encoded body on a JSON endpoint answers 415 and signs nobody up', async () => {
    const name = username('form');
    const res = await request(t.app)
      .post('/api/auth/signup')
      .type('form')
      .send({ username: name, password: PASSWORD })
      .expect(415);
    expect(res.body.code).toBe('unsupported_body_type');
    await request(t.app).post('/api/auth/login').send({ username: name, password: PASSWORD }).expect(401);
  });

  it('an address with a request id that is not an id names the friend request, not some other thing', async () => {
    const { agent } = await signedInAgent(t.app);
    const res = await agent.delete('/api/friends/requests/abc').expect(404);
    expect(res.body.message).toBe('No such friend request.');
  });

  it('/readyz names checks but never passes driver messages to the caller', async () => {
    const res = await request(t.app).get('/readyz').expect(200);
    for (const check of res.body.checks) expect(Object.keys(check).sort()).toEqual(['name', 'ok']);
  });
});

describe('same-origin rule as browsers send it', () => {
  const t = useTestApp();

  it('a same-origin form post with "Origin: null" (a no-referrer page) is allowed by Sec-Fetch-Site', async () => {
    await request(t.app)
      .post('/api/auth/signup')
      .set('Origin', 'null')
      .set('Sec-Fetch-Site', 'same-origin')
      .send({ username: username('nullorigin'), password: PASSWORD })
      .expect(201);
  });

  it('"Origin: null" without Sec-Fetch-Site (a sandboxed frame, a file:// page) is refused', async () => {
    await request(t.app)
      .post('/api/auth/signup')
      .set('Origin', 'null')
      .send({ username: username('sandbox'), password: PASSWORD })
      .expect(403);
  });

  it('pages send Referrer-Policy same-origin', async () => {
    const res = await request(t.app).get('/healthz');
    expect(res.headers['referrer-policy']).toBe('same-origin');
  });
});

describe('session cookie behind a TLS-terminating proxy', () => {
  const t = useTestApp({ TRUST_PROXY: '1' });

  it('is Secure when the trusted proxy says the request came over https, and not over plain http', async () => {
    const tls = await request(t.app)
      .post('/api/auth/signup')
      .set('X-Forwarded-Proto', 'https')
      .send({ username: username('tls'), password: PASSWORD })
      .expect(201);
    expect(String(tls.headers['set-cookie'])).toMatch(/;\s*Secure/i);
    const plain = await request(t.app)
      .post('/api/auth/signup')
      .send({ username: username('plain'), password: PASSWORD })
      .expect(201);
    expect(String(plain.headers['set-cookie'])).not.toMatch(/;\s*Secure/i);
  });
});
