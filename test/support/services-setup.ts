import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProvidedContext } from 'vitest';
import { setupAwsResources } from '../../scripts/lib/aws-setup';
import {
  ensureInstalled,
  mariaDbPassword,
  servicesEnv,
  startDynamoDb,
  startMariaDb,
  startS3,
  type LocalServer,
} from '../../scripts/lib/local-services';
import { loadConfig } from '../../src/config';
import './aws-env';

/**
 * Global setup of the projects that reach the aws backend (contract, http on aws, process):
 * throwaway MariaDB and DynamoDB Local children and an in-process s3rver, in a temp folder, on
 * ports the OS picks, provided to the tests as `awsEnv` (see aws-env.ts). A server that cannot
 * be started fails the run: a skipped backend is an untested backend. Teardown kills them and
 * removes the folder, so nothing outlives the run and two checkouts never meet.
 *
 * Several projects list this file; vitest runs each project's global setup in this one process,
 * so the first starts the servers and the others share them (counted on globalThis).
 */

const TEST_NAMES = { database: 'lumina_test', tablePrefix: 'lumina_test_', bucket: 'lumina-test' };

interface Running {
  env: Record<string, string>;
  users: number;
  stop(): Promise<void>;
}

const KEY = Symbol.for('lumina.test-services');
type Shared = typeof globalThis & { [KEY]?: Promise<Running> };

/** The part of vitest's TestProject a global setup uses (vitest/node has no CommonJS types). */
interface GlobalSetupProject {
  provide<K extends keyof ProvidedContext>(key: K, value: ProvidedContext[K]): void;
}

const log = (line: string): void => {
  process.stderr.write(`[services] ${line}\n`);
};

async function start(): Promise<Running> {
  // The SDK's notice that its 2027 releases need Node 22, printed by this process's own clients.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const startedAt = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'lumina-services-'));
  const binaries = await ensureInstalled(log);
  const results = await Promise.allSettled([
    startMariaDb(binaries, join(dir, 'mariadb')),
    startDynamoDb(binaries),
    startS3(join(dir, 's3')),
  ]);
  const servers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    if (failures.length > 0) throw new Error(failures.join('\n\n'));
    const [mariadb, dynamodb, s3] = servers as [LocalServer, LocalServer, LocalServer];
    const ports = { mysql: mariadb.port, dynamodb: dynamodb.port, s3: s3.port };
    const env = servicesEnv(ports, mariaDbPassword(join(dir, 'mariadb')), TEST_NAMES);
    const config = loadConfig({ ...env, NODE_ENV: 'test' });
    if (config.storage.backend !== 'aws') throw new Error('the services environment does not select aws');
    await setupAwsResources(config.storage.aws, { timeoutMs: 10_000, createDatabase: true, log });
    log(
      `mariadb :${ports.mysql}, dynamodb :${ports.dynamodb}, s3 :${ports.s3} ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
    );
    return { env, users: 0, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export default async function setup(project: GlobalSetupProject): Promise<() => Promise<void>> {
  const shared = globalThis as Shared;
  const running = await (shared[KEY] ??= start());
  running.users++;
  project.provide('awsEnv', running.env);
  return async () => {
    if (--running.users > 0) return;
    delete shared[KEY];
    await running.stop();
  };
}
