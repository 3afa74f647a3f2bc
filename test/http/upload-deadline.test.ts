import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND, makeTestApp, signedInAgent, type TestApp } from '../support/app';
import { freshAwsEnv } from '../support/aws-env';
import { makeJpeg } from '../support/images';
import { startStallProxy, type StallProxy } from '../support/stall-proxy';

/**
 * Issue 9 §6: no request waits past the store timeout. An upload goes through the multipart
 * parser before its store calls; the calls after it must still be bounded by the request's
 * deadline. s3rver is stalled here (connections taken, nothing answered), as in the load suite.
 */
describe.runIf(BACKEND === 'aws')('aws backend: an upload with s3rver stalled', () => {
  const TIMEOUT_MS = 1000;
  let t: TestApp;
  const proxies = {} as Record<'s3' | 'dynamodb', StallProxy>;

  beforeAll(async () => {
    const env = await freshAwsEnv();
    const portOf = (url: string | undefined) => Number(new URL(url ?? '').port);
    proxies.s3 = await startStallProxy(portOf(env.S3_ENDPOINT));
    proxies.dynamodb = await startStallProxy(portOf(env.DYNAMODB_ENDPOINT));
    t = await makeTestApp({
      ...env,
      S3_ENDPOINT: proxies.s3.url,
      DYNAMODB_ENDPOINT: proxies.dynamodb.url,
      STORE_TIMEOUT_MS: String(TIMEOUT_MS),
    });
  });
  afterAll(async () => {
    await t?.close();
    await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
  });

  // s3rver stalls the three PutObjects; DynamoDB stalls the TransactWrite after them.
  it.each(['s3', 'dynamodb'] as const)(
    'answers 503 naming %s within about the store timeout when it stalls',
    async (store) => {
      const { agent } = await signedInAgent(t.app);
      const jpeg = await makeJpeg(64, 64);
      proxies[store].stall();
      const started = Date.now();
      const res = await agent.post('/api/photos').attach('photo', jpeg, 'a.jpg').timeout(15_000);
      const ms = Date.now() - started;
      proxies[store].resume();
      process.stderr.write(`[deadline] upload with ${store} stalled answered ${res.status} after ${ms} ms\n`);
      expect(res.status).toBe(503);
      expect(res.body).toEqual({ message: expect.stringContaining(store), code: 'service_unavailable' });
      expect(ms).toBeLessThan(TIMEOUT_MS * 1.5);
    },
  );
});
