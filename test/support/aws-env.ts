import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { setupAwsResources } from '../../scripts/lib/aws-setup';
import {
  ensureInstalled,
  mariaDbPassword,
  startMariaDb,
  startS3,
  type LocalServer,
} from '../../scripts/lib/local-services';
import { LOOPBACK } from '../../scripts/lib/processes';
import { loadConfig, type AwsConfig } from '../../src/config';

/**
 * How tests reach the aws backend's servers: the global setup (services-setup.ts) starts them
 * and provides their environment under `awsEnv`.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** KEY=VALUE pairs for src/config.ts: STORAGE_BACKEND=aws, MYSQL_*, DYNAMODB_*, S3_*, AWS_*. */
    awsEnv: Record<string, string>;
    /** Which backend the HTTP project runs on (vitest.config.mts); embedded when not provided. */
    httpBackend: 'embedded' | 'aws';
  }
}

/** Short, so the outage tests see Unavailable quickly; ample for loopback servers. */
export const AWS_TEST_TIMEOUT_MS = 3000;

/** The AWS part of the config for `env`, parsed by the same code as the app's. */
export function awsConfigOf(env: Record<string, string>): AwsConfig {
  const config = loadConfig({ ...env, NODE_ENV: 'test' });
  if (config.storage.backend !== 'aws')
    throw new Error('the environment does not select STORAGE_BACKEND=aws');
  return config.storage.aws;
}

/** The AWS backend's config for the shared test database, tables and bucket. */
export function awsTestConfig(): AwsConfig {
  return awsConfigOf(inject('awsEnv'));
}

/**
 * An environment for the test servers with a database, tables and a bucket of its own, made
 * here: an empty world, as a fresh DATA_DIR is on the embedded backend. `overrides` may point
 * at other servers (a test's own MariaDB, say).
 */
export async function freshAwsEnv(overrides: Record<string, string> = {}): Promise<Record<string, string>> {
  const token = randomBytes(5).toString('hex');
  const env = {
    ...inject('awsEnv'),
    MYSQL_DATABASE: `lumina_t${token}`,
    DYNAMODB_PHOTOS_TABLE: `lumina_t${token}_photos`,
    DYNAMODB_COMMENTS_TABLE: `lumina_t${token}_comments`,
    DYNAMODB_MESSAGES_TABLE: `lumina_t${token}_messages`,
    S3_BUCKET: `lumina-t${token}`,
    ...overrides,
  };
  await setupAwsResources(awsConfigOf(env), { timeoutMs: 10_000, createDatabase: true });
  return env;
}

export interface OwnServer {
  server: LocalServer;
  /** The keys that point the app at this server instead of the shared one. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * A MariaDB of the calling test's own, in a temp dir on a port the OS picks: one an outage test
 * may stop and start without disturbing the tests that share the global one.
 */
export async function ownMariaDb(): Promise<OwnServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lumina-mariadb-'));
  const server = await startMariaDb(await ensureInstalled(() => undefined), dir);
  return {
    server,
    env: { MYSQL_PORT: String(server.port), MYSQL_PASSWORD: mariaDbPassword(dir) },
    close: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An s3rver of the calling test's own, in this process (see ownMariaDb()). */
export async function ownS3(): Promise<OwnServer> {
  const dir = mkdtempSync(join(tmpdir(), 'lumina-s3-'));
  const server = await startS3(dir);
  return {
    server,
    env: { S3_ENDPOINT: `http://${LOOPBACK}:${server.port}` },
    close: async () => {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
