import { defineConfig } from 'vitest/config';

/**
 * Four projects, all run by `npm test`:
 * - unit: domain and services against in-memory fakes; no disk, no network.
 * - contract: every storage port against BOTH backends, plus test/aws (server processes on the aws
 *   backend: shared sessions, outages); globalSetup starts MariaDB, DynamoDB Local and s3rver on loopback.
 * - http: supertest on createApp() with the embedded backend in a temp dir.
 * - browser: Playwright drives Debian's chromium against the built dist/main.js.
 */
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      { test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        test: {
          name: 'contract',
          include: ['test/contract/**/*.test.ts', 'test/aws/**/*.test.ts'],
          globalSetup: ['test/support/services-setup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
          fileParallelism: false,
        },
      },
      { test: { name: 'http', include: ['test/http/**/*.test.ts'], testTimeout: 20_000 } },
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
