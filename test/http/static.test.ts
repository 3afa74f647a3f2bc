import fs from 'node:fs';
import request from 'supertest';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTestApp, signedInAgent, type TestApp } from '../support/app';

/** public/ is served under its own prefixes only: /css, /js and /favicon.svg. */
describe('static files', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp();
  });
  afterAll(() => t.close());
  afterEach(() => vi.restoreAllMocks());

  it('GET /css/site.css, /js/chat.js and /favicon.svg answer the files with their types', async () => {
    expect((await request(t.app).get('/css/site.css').expect(200)).headers['content-type']).toMatch(
      /^text\/css/,
    );
    expect((await request(t.app).get('/js/chat.js').expect(200)).headers['content-type']).toMatch(
      /javascript/,
    );
    expect((await request(t.app).get('/favicon.svg').expect(200)).headers['content-type']).toMatch(
      /^image\/svg\+xml/,
    );
  });

  it('a missing file under /css answers the 404 page', async () => {
    const res = await request(t.app).get('/css/nothing.css').expect(404);
    expect(res.headers['content-type']).toMatch(/html/);
  });

  it('an API request never looks for a file on the disk', async () => {
    const { agent } = await signedInAgent(t.app);
    const stat = vi.spyOn(fs, 'stat');
    await agent.get('/api/auth/me').expect(200);
    await agent.get('/api/photos?scope=all').expect(200);
    expect(stat).not.toHaveBeenCalled();
  });
});
