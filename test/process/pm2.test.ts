import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runOrThrow } from '../../scripts/lib/processes';
import { sample } from '../support/metrics';
import { MAIN } from '../support/server-process';

const ROOT = join(__dirname, '..', '..');
const PM2 = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const METRICS_TOKEN = 'pm2-test-metrics-token-0123456789';

/** One GET on a fresh connection (no keep-alive), so PM2 spreads them over its workers. */
function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.setTimeout(10_000, () => req.destroy(new Error(`GET ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/**
 * The production process model: ecosystem.config.js under PM2, two cluster workers on one port,
 * and a rolling reload that drops no request. A private PM2_HOME keeps it away from any other PM2.
 * As `npm start` on a fresh clone: no NODE_ENV (the ecosystem file makes it production) and no
 * SESSION_SECRET (generated into DATA_DIR).
 */
describe('PM2 with ecosystem.config.js', () => {
  const home = mkdtempSync(join(tmpdir(), 'lumina-pm2-'));
  let port = 0;
  const env = () => ({
    PATH: process.env.PATH ?? '',
    HOME: home,
    PM2_HOME: join(home, 'pm2'),
    PORT: String(port),
    HOST: '127.0.0.1',
    DATA_DIR: join(home, 'data'),
    LOG_LEVEL: 'warn',
    METRICS_TOKEN,
  });
  const pm2 = async (...args: string[]) => ({
    stdout: await runOrThrow(process.execPath, [PM2, ...args], { cwd: ROOT, env: env(), timeoutMs: 60_000 }),
  });

  beforeAll(async () => {
    expect(MAIN).toBeTruthy();
    port = await freePort();
    await pm2('start', 'ecosystem.config.js');
  }, 90_000);
  afterAll(async () => {
    await pm2('kill').catch(() => undefined);
    rmSync(home, { recursive: true, force: true });
  }, 60_000);

  const online = async () => {
    const { stdout } = await pm2('jlist');
    // The JSON is the last line (output and errors come together).
    const list = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as {
      name: string;
      pm2_env: { status: string; exec_mode: string };
    }[];
    return list.filter(
      (p) => p.name === 'lumina' && p.pm2_env.status === 'online' && p.pm2_env.exec_mode === 'cluster_mode',
    );
  };

  it('runs two online cluster workers that serve the landing page on one port', async () => {
    await expect.poll(async () => (await online()).length, { timeout: 30_000, interval: 500 }).toBe(2);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('Lumina');
  }, 60_000);

  it('with no configuration runs in production: a generated secret kept in DATA_DIR, compressed pages, hashed assets', async () => {
    const secretFile = join(env().DATA_DIR, 'session-secret');
    expect(existsSync(secretFile)).toBe(true);
    expect(readFileSync(secretFile, 'utf8').trim().length).toBeGreaterThanOrEqual(32);
    const res = await fetch(`http://127.0.0.1:${port}/login`, { headers: { 'Accept-Encoding': 'br' } });
    expect(res.headers.get('content-encoding')).toBe('br');
    const css = /href="(\/css\/site\.[0-9a-f]{10}\.css)"/.exec(await res.text())?.[1];
    expect(css).toBeDefined();
    const asset = await fetch(`http://127.0.0.1:${port}${css}`);
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    // Production caching: the plain names are kept only briefly.
    const plain = await fetch(`http://127.0.0.1:${port}/css/site.css`);
    expect(plain.headers.get('cache-control')).toBe('public, max-age=300');
  }, 60_000);

  it('/metrics counts the requests of both workers together, whichever worker answers the scrape', async () => {
    await expect.poll(async () => (await online()).length, { timeout: 30_000, interval: 500 }).toBe(2);
    const readyz = async (token: string) => {
      const res = await get(port, '/metrics', { Authorization: `Bearer ${token}` });
      if (res.status !== 200) return res.status;
      return sample(res.body, 'lumina_http_requests_total', { route: '/readyz' }) ?? 0;
    };
    expect(await readyz('wrong-token')).toBe(401);
    const sent = 40;
    for (let i = 0; i < sent; i++) expect((await get(port, '/readyz')).status).toBe(200);
    // PM2 shares the fresh connections out between the workers; every scrape (they alternate
    // between the workers too) must count all of them once the other worker's figures are
    // published (every 2 s). With only its own figures, a worker counts about half.
    await expect.poll(() => readyz(METRICS_TOKEN), { timeout: 15_000, interval: 500 }).toBe(sent);
    // A worker's published figures are at most one interval old: after that, every scrape agrees.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    for (let i = 0; i < 4; i++) expect(await readyz(METRICS_TOKEN)).toBe(sent);
  }, 60_000);

  /**
   * Clients of /healthz until stop() or 60 s: each a loop of one request and `pauseMs()` (none:
   * back to back), recording every answer that is not a 200 and every request with no answer.
   */
  function clientsOf(pauses: (() => number)[]) {
    let stopped = false;
    const failures: string[] = [];
    let answered = 0;
    const deadline = Date.now() + 60_000;
    const loops = pauses.map(async (pauseMs) => {
      while (!stopped && Date.now() < deadline) {
        try {
          const res = await fetch(`http://127.0.0.1:${port}/healthz`, {
            signal: AbortSignal.timeout(10_000),
          });
          if (res.status !== 200) failures.push(`status ${res.status}`);
          await res.arrayBuffer();
          answered++;
        } catch (err) {
          failures.push(String((err as Error).cause ?? err));
        }
        const pause = pauseMs();
        if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
      }
    });
    return {
      stop: async () => {
        stopped = true;
        await Promise.all(loops);
        return { failures, answered };
      },
    };
  }

  it('pm2 reload replaces both workers while every request in flight still gets an answer', async () => {
    await expect.poll(async () => (await online()).length, { timeout: 30_000, interval: 500 }).toBe(2);
    const clients = clientsOf(Array.from({ length: 4 }, () => () => 0));
    await pm2('reload', 'lumina');
    const { failures, answered } = await clients.stop();
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(50);
    expect((await online()).length).toBe(2);
  }, 90_000);

  it('pm2 reload answers every request of clients that pause between requests (keep-alive sockets idle when it begins)', async () => {
    await expect.poll(async () => (await online()).length, { timeout: 30_000, interval: 500 }).toBe(2);
    // As members and chat pages do: a request, then a pause (a chat page polls every 3 s), so
    // at any moment most keep-alive sockets sit idle in the client's pool.
    const clients = clientsOf([
      ...Array.from({ length: 30 }, () => () => 50 + Math.random() * 150),
      ...Array.from({ length: 10 }, () => () => 2_500 + Math.random() * 1_000),
    ]);
    // A client machine as busy as the load suite's: its event loop is held for 30 ms at a time,
    // so a socket the server closes meanwhile is noticed only after timers have sent on it.
    const busy = setInterval(() => {
      const until = Date.now() + 30;
      while (Date.now() < until);
    }, 40);
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    await pm2('reload', 'lumina');
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const { failures, answered } = await clients.stop();
    clearInterval(busy);
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(300);
    expect((await online()).length).toBe(2);
  }, 90_000);
});
