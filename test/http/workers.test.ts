import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startServer, type ServerProcess } from '../support/server-process';

/** Two server processes on one embedded data directory, as PM2's two workers run. */
describe('two worker processes on the embedded backend', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-workers-'));
  let a: ServerProcess;
  let b: ServerProcess;
  beforeAll(async () => {
    const env = { DATA_DIR: dataDir, SESSION_SECRET: 'workers-test-secret-0123456789abcdef' };
    [a, b] = await Promise.all([startServer(18301, env), startServer(18302, env)]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a session created by one worker is honoured by the other, and logout on either ends it for both', async () => {
    const viaA = new Client(a.url);
    const signup = await viaA.call('POST', '/api/auth/signup', {
      username: `w${Date.now() % 1e6}`,
      password: 'a long password',
    });
    expect(signup.status).toBe(201);
    const viaB = new Client(b.url);
    viaB.cookie = viaA.cookie;
    expect((await viaB.call('GET', '/api/auth/me')).body).toMatchObject({ id: signup.body.id });
    expect((await viaB.call('POST', '/api/auth/logout')).status).toBe(204);
    viaA.cookie = viaB.cookie || viaA.cookie;
    const replay = new Client(a.url);
    replay.cookie = viaA.cookie;
    expect((await replay.call('GET', '/api/auth/me')).status).toBe(401);
  });

  it('rate-limit counters are shared: failures on one worker count on the other', async () => {
    const name = `rl${Date.now() % 1e6}`;
    const c = new Client(a.url);
    await c.call('POST', '/api/auth/signup', { username: name, password: 'a long password' });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const via = new Client(i % 2 === 0 ? a.url : b.url);
      statuses.push(
        (await via.call('POST', '/api/auth/login', { username: name, password: 'wrong password!' })).status,
      );
    }
    // RATE_LIMIT_LOGIN_MAX defaults to 10 failures per username and address.
    expect(statuses.slice(0, 10).every((s) => s === 401)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it('SIGTERM lets an in-flight request finish before the process exits', async () => {
    const extra = await startServer(18303, {
      DATA_DIR: dataDir,
      SESSION_SECRET: 'workers-test-secret-0123456789abcdef',
    });
    const c = new Client(extra.url);
    const pending = c.call('POST', '/api/auth/signup', {
      username: `sig${Date.now() % 1e6}`,
      password: 'a long password',
    });
    await new Promise((r) => setTimeout(r, 5));
    extra.process.kill('SIGTERM');
    expect((await pending).status).toBe(201);
    await extra.stop();
    expect(extra.process.exitCode).toBe(0);
  });
});
