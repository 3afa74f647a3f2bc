import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp, type App } from '../../src/app';
import { loadConfig, withSessionSecret, type Config } from '../../src/config';
import { createContainer, type Container, type ContainerOverrides } from '../../src/container';
import { createLogger } from '../../src/lib/logger';
import { randomSecret } from '../../src/lib/secret-file';

export interface TestApp {
  app: App;
  container: Container;
  config: Config;
  dataDir: string;
  close(): Promise<void>;
}

/** The real app on the embedded backend in a fresh temp dir, with cheap bcrypt and silent logs. */
export async function makeTestApp(
  env: Record<string, string> = {},
  overrides: ContainerOverrides = {},
): Promise<TestApp> {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'lumina-http-'));
  const config = withSessionSecret(
    loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      BCRYPT_COST: '4',
      LOG_LEVEL: 'silent',
      RATE_LIMIT_SIGNUP_MAX: '1000',
      RATE_LIMIT_LOGIN_IP_MAX: '1000',
      RATE_LIMIT_UPLOAD_MAX: '1000',
      RATE_LIMIT_MESSAGE_MAX: '1000',
      ...env,
    }),
    randomSecret,
  );
  const container = await createContainer(config, createLogger('silent'), overrides);
  return {
    app: createApp(container),
    container,
    config,
    dataDir,
    close: async () => {
      await container.close();
      if (!env.DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

let counter = 0;
/** A valid, unique username for this process. */
export const username = (prefix = 'user') =>
  `${prefix}${process.pid % 1000}_${(counter++).toString(36)}${Date.now() % 100000}`;

export const PASSWORD = 'correct horse battery';

/** Signs up a new user on a cookie-keeping agent. */
export async function signedInAgent(app: App, name = username()) {
  const agent = request.agent(app);
  const res = await agent.post('/api/auth/signup').send({ username: name, password: PASSWORD }).expect(201);
  return { agent, user: res.body as { id: number; username: string } };
}

/** The session cookie's `name=value` from a response, if it set one. */
export function sessionCookie(
  res: { headers: Record<string, unknown> },
  name = 'lumina.sid',
): string | undefined {
  const header = res.headers['set-cookie'];
  const cookies = Array.isArray(header) ? (header as string[]) : [];
  return cookies.find((c) => c.startsWith(`${name}=`))?.split(';')[0];
}
