import fs, { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { makeTestApp, signedInAgent, useTestApp } from '../support/app';

/** public/ is served under its own prefixes only: /css, /js and /favicon.svg. */
describe('static files', () => {
  const t = useTestApp();
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

  it('pages link content-hashed names, answered with a year of immutable caching', async () => {
    const page = await request(t.app).get('/signup').expect(200);
    const css = /href="(\/css\/site\.[0-9a-f]{10}\.css)"/.exec(page.text)?.[1];
    const icon = /href="(\/favicon\.[0-9a-f]{10}\.svg)"/.exec(page.text)?.[1];
    expect(css).toBeDefined();
    expect(icon).toBeDefined();
    expect(page.text).not.toContain('href="/css/site.css"');
    const res = await request(t.app).get(css!).expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.headers['content-type']).toMatch(/^text\/css/);
    expect(res.text).toBe(readFileSync(join(__dirname, '..', '..', 'public', 'css', 'site.css'), 'utf8'));
    expect((await request(t.app).get(icon!).expect(200)).headers['cache-control']).toMatch(/immutable/);
  });

  it('a page script is linked by its hashed name too', async () => {
    const { agent } = await signedInAgent(t.app);
    const page = await agent.get('/upload').expect(200);
    const js = /src="(\/js\/upload\.[0-9a-f]{10}\.js)"/.exec(page.text)?.[1];
    expect(js).toBeDefined();
    const res = await request(t.app).get(js!).expect(200);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
  });

  it('the plain names keep working without the long caching; a wrong hash is 404', async () => {
    const plain = await request(t.app).get('/css/site.css').expect(200);
    expect(plain.headers['cache-control']).toBe('public, max-age=0');
    await request(t.app).get('/css/site.0123456789.css').expect(404);
  });
});

describe('static files in production', () => {
  it('keep the plain names cached for five minutes only', async () => {
    const t = await makeTestApp({ NODE_ENV: 'production' });
    try {
      const plain = await request(t.app).get('/js/chat.js').expect(200);
      expect(plain.headers['cache-control']).toBe('public, max-age=300');
    } finally {
      await t.close();
    }
  });
});
