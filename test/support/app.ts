import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, inject } from 'vitest';
import { createApp, type App } from '../../src/app';
import { loadConfig, withSessionSecret, type Config } from '../../src/config';
import { createContainer, type Container, type ContainerOverrides } from '../../src/container';
import { createLogger, type Logger } from '../../src/lib/logger';
import { randomSecret } from '../../src/lib/secret-file';
import { checkedApp } from './api-contract';
import { freshAwsEnv } from './aws-env';
import { makeJpeg } from './images';

export type Backend = 'embedded' | 'aws';

/**
 * The backend of this run of the HTTP suite. vitest.config.mts runs test/http twice, once per
 * backend (projects `http` and `http-aws`), so every test written on makeTestApp() covers both.
 */
export const BACKEND: Backend = inject('httpBackend') ?? 'embedded';

export interface TestApp {
  app: App;
  container: Container;
  config: Config;
  backend: Backend;
  dataDir: string;
  close(): Promise<void>;
}

/**
 * The real app on this run's backend, in an empty world of its own: a fresh temp DATA_DIR, and
 * on aws a fresh database, tables and bucket on the test servers. Cheap bcrypt, silent logs.
 * `env` wins over all of it (STORAGE_BACKEND=embedded keeps a test on SQLite).
 */
export async function makeTestApp(
  env: Record<string, string> = {},
  overrides: ContainerOverrides = {},
  logger: Logger = createLogger('silent'),
): Promise<TestApp> {
  const dataDir = env.DATA_DIR ?? mkdtempSync(join(tmpdir(), 'lumina-http-'));
  const backend: Backend = (env.STORAGE_BACKEND as Backend | undefined) ?? BACKEND;
  const aws = backend === 'aws' && !env.MYSQL_HOST ? await freshAwsEnv() : {};
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
      ...aws,
      ...env,
    }),
    randomSecret,
  );
  const container = await createContainer(config, logger, overrides);
  return {
    // Every answer is checked against the OpenAPI document (api-contract.ts).
    app: checkedApp(createApp(container)),
    container,
    config,
    backend,
    dataDir,
    close: async () => {
      try {
        await container.close();
      } finally {
        if (!env.DATA_DIR) rmSync(dataDir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * makeTestApp() for one describe block: made before its tests and closed after them. The object
 * is filled in by beforeAll, so read its fields inside hooks and tests (`t.app`), not beside them.
 */
export function useTestApp(...args: Parameters<typeof makeTestApp>): TestApp {
  const t = {} as TestApp;
  beforeAll(async () => {
    Object.assign(t, await makeTestApp(...args));
  });
  afterAll(() => t.close());
  return t;
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

/** Someone signed in through signedInAgent (or anything with their agent and id). */
export interface SignedIn {
  agent: request.Agent;
  user: { id: number };
}

/** Makes `a` and `b` friends through the API: `a` asks, `b` accepts. */
export async function befriend(a: SignedIn, b: SignedIn): Promise<void> {
  const asked = await a.agent.post('/api/friends/request').send({ user_id: b.user.id }).expect(201);
  await b.agent
    .post('/api/friends/respond')
    .send({ request_id: (asked.body as { id: number }).id, action: 'accept' })
    .expect(200);
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

/** Posts a small JPEG as a photo of whoever `client` is signed in as; answers its id. */
export async function postPhoto(client: { post(path: string): request.Test }): Promise<string> {
  const res = await client
    .post('/api/photos')
    .attach('photo', await makeJpeg(32, 32), 'a.jpg')
    .expect(201);
  return (res.body as { id: string }).id;
}
