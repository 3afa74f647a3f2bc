import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runOrThrow } from '../../scripts/lib/processes';
import { MAIN } from '../support/server-process';

const ROOT = join(__dirname, '..', '..');
const PM2 = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');

/**
 * The production process model: ecosystem.config.js under PM2, two cluster workers on one port,
 * and a rolling reload that drops no request. A private PM2_HOME keeps it away from any other PM2.
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
    NODE_ENV: 'test',
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

  it('pm2 reload replaces both workers while every request in flight still gets an answer', async () => {
    await expect.poll(async () => (await online()).length, { timeout: 30_000, interval: 500 }).toBe(2);
    let stop = false;
    const failures: string[] = [];
    let answered = 0;
    const deadline = Date.now() + 45_000;
    const load = async () => {
      // Bounded by the reload (stop) and by a deadline, whichever comes first.
      while (!stop && Date.now() < deadline) {
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
      }
    };
    const loops = Array.from({ length: 4 }, load);
    await pm2('reload', 'lumina');
    stop = true;
    await Promise.all(loops);
    expect(failures).toEqual([]);
    expect(answered).toBeGreaterThan(50);
    expect((await online()).length).toBe(2);
  }, 90_000);
});
