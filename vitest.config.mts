import { defineConfig } from 'vitest/config';

/**
 * The test projects, by size; `npm test` runs them all:
 * - unit: domain and services against in-memory fakes; no I/O.
 * - contract: every storage port against BOTH backends (a temp dir; the aws servers).
 * - http / http-aws: supertest on createApp(), no listening ports of its own, once per backend:
 *   test/support/app.ts reads `httpBackend`, so every HTTP test covers both.
 * - process: real processes (dist/main.js, PM2, outages) on ports the OS picks.
 * - browser: Playwright drives Debian's chromium against the built dist/main.js.
 * The projects that reach the aws backend share one global setup: throwaway MariaDB, DynamoDB
 * Local and s3rver on loopback, killed at the end (test/support/services-setup.ts).
 */
const awsServices = ['test/support/services-setup.ts'];
/** The SDK's notice that its 2027 releases need Node 22 would be printed once per test process. */
const env = { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };

export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'contract',
          include: ['test/contract/**/*.test.ts'],
          globalSetup: awsServices,
          env,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'http',
          include: ['test/http/**/*.test.ts'],
          provide: { httpBackend: 'embedded' },
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'http-aws',
          include: ['test/http/**/*.test.ts'],
          provide: { httpBackend: 'aws' },
          globalSetup: awsServices,
          env,
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      {
        test: {
          name: 'process',
          include: ['test/process/**/*.test.ts'],
          globalSetup: awsServices,
          env,
          testTimeout: 60_000,
          hookTimeout: 90_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
