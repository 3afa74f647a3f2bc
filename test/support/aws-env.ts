import { inject } from 'vitest';
import { loadConfig, type AwsConfig } from '../../src/config';

/**
 * How the contract tests reach the AWS backend's servers: the contract project's global setup
 * (services-setup.ts) starts them, and provides their environment under `awsEnv`.
 */

declare module 'vitest' {
  export interface ProvidedContext {
    /** KEY=VALUE pairs for src/config.ts: STORAGE_BACKEND=aws, MYSQL_*, DYNAMODB_*, S3_*, AWS_*. */
    awsEnv: Record<string, string>;
  }
}

/** Short, so the outage tests see Unavailable quickly; ample for loopback servers. */
export const AWS_TEST_TIMEOUT_MS = 3000;

/** The AWS backend's config for the test servers, parsed by the same code as the app's. */
export function awsTestConfig(): AwsConfig {
  const env = inject('awsEnv');
  const config = loadConfig({
    ...env,
    NODE_ENV: 'test',
    // Only so that loadConfig() does not make a development secret on disk.
    SESSION_SECRET: 'contract-tests-session-secret-0123456789',
  });
  if (config.storage.backend !== 'aws') throw new Error('awsEnv does not select STORAGE_BACKEND=aws');
  return config.storage.aws;
}
