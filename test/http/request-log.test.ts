import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app';
import type { Container } from '../../src/container';
import { makeTestApp, PASSWORD, sessionCookie, username, type TestApp } from '../support/app';
import { keptLogger } from '../support/log-lines';
import { sample } from '../support/metrics';
import { PlainPasswords } from '../fakes/memory';
import { tallyStoreCall } from '../../src/http/middleware/request-log';

interface Line {
  level: number;
  msg: string;
  reqId?: string;
  req?: { method: string; url: string };
  res?: { statusCode: number };
  responseTime?: number;
  store_calls?: Record<string, number>;
}

/** The app with a logger at `info` whose lines are kept in memory. */
describe('request log', () => {
  const { logger, lines } = keptLogger<Line>();
  let t: TestApp;
  let container: Container;
  let app: App;
  beforeAll(async () => {
    t = await makeTestApp({ LOG_LEVEL: 'info' }, { onStoreCall: tallyStoreCall }, logger);
    ({ app, container } = t);
  });
  // The last test closes the stores itself; a second close throws on the aws backend.
  afterAll(() => t.close().catch(() => undefined));
  beforeEach(() => {
    lines.length = 0;
  });

  const requestLines = () => lines.filter((l) => l.reqId !== undefined && l.req !== undefined);

  it('a request writes one line with the id it answered, method, URL, status and time', async () => {
    const res = await request(app).get('/healthz?probe=1').expect(200);
    const [line, ...rest] = requestLines();
    expect(rest).toEqual([]);
    expect(line).toMatchObject({
      level: 30,
      msg: 'request completed',
      reqId: res.headers['x-request-id'],
      req: { method: 'GET', url: '/healthz?probe=1' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
    });
  });

  it("a caller's well-formed X-Request-Id is kept and a malformed one replaced", async () => {
    const kept = await request(app).get('/healthz').set('X-Request-Id', 'lb-123.abc').expect(200);
    expect(kept.headers['x-request-id']).toBe('lb-123.abc');
    const replaced = await request(app).get('/healthz').set('X-Request-Id', 'bad id!').expect(200);
    expect(replaced.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestLines().map((l) => l.reqId)).toEqual(['lb-123.abc', replaced.headers['x-request-id']]);
  });

  it('a signed-in request logs no cookie and no header', async () => {
    const signup = await request(app)
      .post('/api/auth/signup')
      .send({ username: username('log'), password: PASSWORD })
      .expect(201);
    const cookie = sessionCookie(signup)!;
    lines.length = 0;
    await request(app).get('/api/auth/me').set('Cookie', cookie).expect(200);
    const text = JSON.stringify(lines);
    expect(requestLines()).toHaveLength(1);
    expect(text).not.toContain(cookie.split('=')[1]!);
    expect(text).not.toMatch(/headers/i);

    // The chat poll, answered before Express, writes the same one line.
    lines.length = 0;
    const me = signup.body as { id: number };
    const poll = await request(app).get(`/api/messages?user_id=${me.id}`).set('Cookie', cookie).expect(200);
    expect(requestLines()).toEqual([
      expect.objectContaining({
        reqId: poll.headers['x-request-id'],
        req: { method: 'GET', url: `/api/messages?user_id=${me.id}` },
        res: { statusCode: 200 },
      }),
    ]);
  });

  it("a line counts the request's own store calls by store and operation, and only its own", async () => {
    const signup = await request(app)
      .post('/api/auth/signup')
      .send({ username: username('calls'), password: PASSWORD })
      .expect(201);
    const cookie = sessionCookie(signup)!;
    const me = signup.body as { id: number };
    lines.length = 0;
    // Several at once: each line must count its own calls, not its neighbours'.
    await Promise.all([
      request(app).get(`/api/messages?user_id=${me.id}`).set('Cookie', cookie).expect(200),
      request(app).get('/api/auth/me').set('Cookie', cookie).expect(200),
      request(app).get('/healthz').expect(200),
    ]);
    const byUrl = new Map(requestLines().map((l) => [l.req!.url, l]));
    const total = (url: string) =>
      Object.values(byUrl.get(url)?.store_calls ?? {}).reduce((sum, n) => sum + n, 0);
    for (const url of [`/api/messages?user_id=${me.id}`, '/api/auth/me']) {
      expect(Object.keys(byUrl.get(url)?.store_calls ?? {})).not.toHaveLength(0);
      for (const key of Object.keys(byUrl.get(url)!.store_calls!)) expect(key).toMatch(/^[\w-]+\.\S/);
    }
    // Reading the session is one call, the poll needs more; /healthz touches no store.
    expect(total('/api/auth/me')).toBeGreaterThanOrEqual(1);
    expect(total(`/api/messages?user_id=${me.id}`)).toBeGreaterThan(total('/api/auth/me'));
    expect(byUrl.get('/healthz')?.store_calls).toBeUndefined();
  });

  it('an answer of 500 or more is logged at error level', async () => {
    await container.storage.close();
    await request(app).get('/readyz').expect(503);
    const [line] = requestLines();
    expect(line).toMatchObject({ level: 50, res: { statusCode: 503 } });
  });
});

/** Plain hashes whose verify waits until the test lets it go: a login that is still being answered. */
class HeldPasswords extends PlainPasswords {
  release = () => {};
  private readonly held = new Promise<void>((resolve) => {
    this.release = resolve;
  });

  override async verify(password: string, hash: string) {
    await this.held;
    return super.verify(password, hash);
  }
}

describe('a request the client leaves before its answer', () => {
  const { logger, lines } = keptLogger<Line>();
  const held = new HeldPasswords();
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp(
      { LOG_LEVEL: 'info', METRICS_TOKEN: 'a-metrics-token-for-tests' },
      { onStoreCall: tallyStoreCall, passwords: held },
      logger,
    );
  });
  afterAll(() => t.close());

  it('is logged once as aborted and counted once in the metrics', async () => {
    const name = username();
    await request(t.app).post('/api/auth/signup').send({ username: name, password: PASSWORD }).expect(201);
    const logins = async () => {
      const text = (
        await request(t.app)
          .get('/metrics')
          .set('Authorization', 'Bearer a-metrics-token-for-tests')
          .expect(200)
      ).text;
      return sample(text, 'lumina_http_requests_total', { method: 'POST', route: '/api/auth/login' }) ?? 0;
    };
    const before = await logins();
    lines.length = 0;

    // The client gives up after 100 ms; the login is still waiting for its password check.
    const left = await request(t.app)
      .post('/api/auth/login')
      .send({ username: name, password: PASSWORD })
      .timeout(100)
      .then(
        () => false,
        (err: { timeout?: number }) => err.timeout === 100,
      );
    expect(left).toBe(true);
    await expect.poll(() => lines.filter((l) => l.msg === 'request aborted').length).toBe(1);
    held.release();

    const [aborted] = lines.filter((l) => l.req?.url === '/api/auth/login');
    expect(aborted).toMatchObject({ level: 30, msg: 'request aborted', req: { method: 'POST' } });
    expect(aborted?.reqId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await logins()).toBe(before + 1);
    // Once released, the login finishes on a closed connection: no second line, no second count.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(lines.filter((l) => l.req?.url === '/api/auth/login')).toHaveLength(1);
    expect(await logins()).toBe(before + 1);
  });
});
