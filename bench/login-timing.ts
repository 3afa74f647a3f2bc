/**
 * Login timing parity: an unknown username must cost what a wrong password costs, so response
 * times do not reveal which usernames exist. Runs the real app in-process on the embedded store
 * with the production bcrypt cost, alternating the two kinds of failure, and prints medians.
 *
 *   npx tsx bench/login-timing.ts          (BCRYPT_COST and LOGIN_SAMPLES to override)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../src/app';
import { loadConfig, withSessionSecret } from '../src/config';
import { randomSecret } from '../src/lib/secret-file';
import { createContainer } from '../src/container';
import { createLogger } from '../src/lib/logger';

const SAMPLES = Number(process.env.LOGIN_SAMPLES ?? 20);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-login-timing-'));
  const config = withSessionSecret(
    loadConfig({
      DATA_DIR: dataDir,
      BCRYPT_COST: process.env.BCRYPT_COST ?? '12',
      LOG_LEVEL: 'silent',
      RATE_LIMIT_LOGIN_MAX: '100000',
      RATE_LIMIT_LOGIN_IP_MAX: '100000',
    }),
    randomSecret,
  );
  const container = await createContainer(config, createLogger('silent'));
  try {
    const app = createApp(container);
    await request(app)
      .post('/api/auth/signup')
      .send({ username: 'timing_user', password: 'the right password' });
    const time = async (username: string) => {
      const started = process.hrtime.bigint();
      const res = await request(app).post('/api/auth/login').send({ username, password: 'a wrong password' });
      if (res.status !== 401) throw new Error(`expected 401, got ${res.status}`);
      return Number(process.hrtime.bigint() - started) / 1e6;
    };
    const unknown: number[] = [];
    const wrong: number[] = [];
    await time('warm_up_user');
    for (let i = 0; i < SAMPLES; i++) {
      unknown.push(await time(`nobody_${i}`));
      wrong.push(await time('timing_user'));
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const [u, w] = [median(unknown), median(wrong)];
    console.log(`bcrypt cost ${config.bcryptCost}, ${SAMPLES} samples each`);
    console.log(`unknown user   median ${u.toFixed(1)} ms`);
    console.log(`wrong password median ${w.toFixed(1)} ms`);
    console.log(`ratio unknown/wrong ${(u / w).toFixed(3)}`);
  } finally {
    await container.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
