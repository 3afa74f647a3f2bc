import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ProvidedContext } from 'vitest';
import { startLocalAws } from '../../scripts/lib/local-services';
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
  const startedAt = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'lumina-services-'));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  const aws = await startLocalAws(dir, TEST_NAMES, log).catch((err: unknown) => {
    removeDir();
    throw err;
  });
  const ports = aws.servers.map((server) => `${server.name} :${server.port}`).join(', ');
  log(`${ports} ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  return {
    env: aws.env,
    users: 0,
    stop: async () => {
      await aws.stop();
      removeDir();
    },
  };
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
