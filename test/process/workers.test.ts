import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
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
    // No SESSION_SECRET: the two start at once and must settle on one generated secret in DATA_DIR.
    const env = { DATA_DIR: dataDir };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
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
    const extra = await startServer({ DATA_DIR: dataDir });
    const name = `sig${Date.now() % 1e6}`;
    const body = JSON.stringify({ username: name, password: 'a long password' });
    // Held open on purpose: the headers and half the body go out, the rest only after SIGTERM
    // and past the worker's idle grace, when it has stopped listening and waits for this one.
    const req = httpRequest({
      host: '127.0.0.1',
      port: extra.port,
      method: 'POST',
      path: '/api/auth/signup',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    });
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req.once('error', reject);
      req.once('response', (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
        res.once('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
    });
    answer.catch(() => undefined); // Awaited below; a failure must not also surface as unhandled.
    req.write(body.slice(0, 10));
    await new Promise((r) => setTimeout(r, 300));
    extra.process.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 2000));
    expect(extra.process.exitCode).toBeNull();
    // Stopped listening: a new connection is refused while the held request is still served.
    // (A new one for sure: fetch would reuse the keep-alive socket of the readiness check, which
    // a stopping worker leaves for its client to close.)
    const fresh = new Promise<number>((resolve, reject) => {
      const probe = httpRequest(
        { host: '127.0.0.1', port: extra.port, path: '/healthz', agent: false },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      probe.once('error', reject);
      probe.end();
    });
    await expect(fresh).rejects.toThrow();
    req.end(body.slice(10));
    const { status, text } = await answer;
    expect(status, text).toBe(201);
    await extra.stop();
    expect(extra.process.exitCode).toBe(0);
    // What it answered was stored: the account logs in through another worker.
    expect((await new Client(a.url).call('POST', '/api/auth/login', JSON.parse(body))).status).toBe(200);
  });
});
