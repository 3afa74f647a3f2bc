import type { ProvidedContext } from 'vitest';
import { loadConfig } from '../../src/config';
import { setupAwsResources } from '../../scripts/lib/aws-setup';
import { startServices, stopServices, type ServiceName } from '../../scripts/lib/local-services';
import './aws-env';

/**
 * Global setup of the `contract` project: starts MariaDB, DynamoDB Local and s3rver on loopback
 * (installing what is missing), prepares the tests' own database, tables and bucket, and
 * provides their environment as `awsEnv` (see aws-env.ts). A server that cannot be started fails
 * the run: a skipped backend is an untested backend. Teardown stops only what this run started,
 * so servers a developer brought up with `npm run services:up` keep running.
 *
 * The tests use their own names (database lumina_test, tables lumina_test_*, bucket
 * lumina-test), so they never touch the data of a site running on the same servers. That data
 * outlives a run; every contract test makes its own, with names no other run will pick.
 */

const TEST_NAMES = {
  MYSQL_DATABASE: 'lumina_test',
  DYNAMODB_PHOTOS_TABLE: 'lumina_test_photos',
  DYNAMODB_COMMENTS_TABLE: 'lumina_test_comments',
  DYNAMODB_MESSAGES_TABLE: 'lumina_test_messages',
  S3_BUCKET: 'lumina-test',
};

/** The part of vitest's TestProject a global setup uses (vitest/node has no CommonJS types). */
interface GlobalSetupProject {
  provide<K extends keyof ProvidedContext>(key: K, value: ProvidedContext[K]): void;
}

const log = (line: string): void => {
  process.stderr.write(`[services] ${line}\n`);
};

export default async function setup(project: GlobalSetupProject): Promise<() => Promise<void>> {
  const startedAt = Date.now();
  const { env: serverEnv, started } = await startServices({ log, isPortFallback: true });
  const stop = async (only: ServiceName[]) => {
    if (only.length > 0) await stopServices({ log, only });
  };
  try {
    const env: Record<string, string> = { ...serverEnv, ...TEST_NAMES };
    const config = loadConfig({
      ...env,
      NODE_ENV: 'test',
      SESSION_SECRET: 'contract-tests-session-secret-0123456789',
    });
    if (config.storage.backend !== 'aws')
      throw new Error('the services environment does not select the aws backend');
    await setupAwsResources(config.storage.aws, { timeoutMs: 10_000, createDatabase: true, log });
    project.provide('awsEnv', env);
    // Test workers start after this and inherit it, so startMariaDb() and friends called in a
    // test (outage tests) find the ports used here, which may not be the defaults.
    const { mysql, dynamodb, s3 } = config.storage.aws;
    process.env.LUMINA_MYSQL_PORT = String(mysql.port);
    process.env.LUMINA_DYNAMODB_PORT = new URL(dynamodb.endpoint ?? '').port;
    process.env.LUMINA_S3_PORT = new URL(s3.endpoint ?? '').port;
    log(
      `ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s (started: ${started.join(', ') || 'none'})`,
    );
  } catch (err) {
    await stop(started);
    throw err;
  }
  return () => stop(started);
}
