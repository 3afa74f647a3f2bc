import { createServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND, makeTestApp, signedInAgent, type TestApp } from '../support/app';

/**
 * Issue 9 §2: one request waits about the store timeout at most in all, however many store
 * calls it makes. DynamoDB here accepts connections and never answers (a frozen store); MySQL,
 * where sessions live, works.
 */
// A frozen DynamoDB needs the aws backend: this file runs in the http-aws project only.
describe.runIf(BACKEND === 'aws')(
  'aws backend: a request waits at most about the store timeout in all',
  () => {
    const TIMEOUT_MS = 1000;
    let t: TestApp;
    const sockets = new Set<Socket>();
    const frozen = createServer((socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });

    beforeAll(async () => {
      await new Promise<void>((resolve) => frozen.listen(0, '127.0.0.1', resolve));
      const address = frozen.address();
      if (!address || typeof address === 'string') throw new Error('no port');
      t = await makeTestApp({
        STORAGE_BACKEND: 'aws',
        DYNAMODB_ENDPOINT: `http://127.0.0.1:${address.port}`,
        STORE_TIMEOUT_MS: String(TIMEOUT_MS),
      });
    });
    afterAll(async () => {
      await t?.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => frozen.close(() => resolve()));
    });

    it('GET /api/photos?scope=all (two DynamoDB calls in a row) answers 503 within about one timeout, not two', async () => {
      const { agent } = await signedInAgent(t.app);
      const started = Date.now();
      const res = await agent.get('/api/photos?scope=all');
      const ms = Date.now() - started;
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ message: expect.stringMatching(/dynamodb/i), code: 'service_unavailable' });
      process.stderr.write(
        `[deadline] All feed with a frozen DynamoDB answered ${res.status} after ${ms} ms (timeout ${TIMEOUT_MS} ms)\n`,
      );
      expect(ms).toBeLessThan(TIMEOUT_MS * 1.5);
    });

    it('the photo page (photo, likes, comments: several DynamoDB calls) answers within about one timeout', async () => {
      const { agent } = await signedInAgent(t.app);
      const started = Date.now();
      const res = await agent.get('/photos/01ARZ3NDEKTSV4RRFFQ69G5FAV');
      const ms = Date.now() - started;
      expect(res.status).toBe(503);
      process.stderr.write(
        `[deadline] photo page with a frozen DynamoDB answered ${res.status} after ${ms} ms\n`,
      );
      expect(ms).toBeLessThan(TIMEOUT_MS * 1.5);
    });

    it('pages answer 503 with the error page: one whose only DynamoDB read is the badges, and Home, whose badges are read beside its feed', async () => {
      const { agent } = await signedInAgent(t.app);
      for (const path of ['/upload', '/']) {
        const started = Date.now();
        const res = await agent.get(path);
        const ms = Date.now() - started;
        expect(res.status).toBe(503);
        expect(res.headers['content-type']).toMatch(/^text\/html/);
        expect(res.text).toMatch(/dynamodb/i);
        expect(ms).toBeLessThan(TIMEOUT_MS * 1.5);
      }
    });
  },
);
