import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { signedInAgent, useTestApp } from '../support/app';

const ROOT = join(__dirname, '..', '..');

/** The body as bytes; supertest has already decoded a gzip or brotli answer. */
const bytes = (req: request.Test) =>
  req.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });

/** Every answer is compressed by the same step (app.ts), whoever answers it. */
describe('compression', () => {
  const t = useTestApp();

  it('sends CSS and JS as brotli or gzip, whichever the client accepts, and plain to others', async () => {
    const css = readFileSync(join(ROOT, 'public', 'css', 'site.css'));
    for (const encoding of ['br', 'gzip']) {
      const res = await bytes(request(t.app).get('/css/site.css').set('Accept-Encoding', encoding)).expect(
        200,
      );
      expect(res.headers['content-encoding']).toBe(encoding);
      expect(res.headers.vary).toMatch(/Accept-Encoding/i);
      expect(res.headers['content-length']).toBeUndefined();
      expect((res.body as Buffer).equals(css)).toBe(true);
    }
    const js = await bytes(request(t.app).get('/js/chat.js').set('Accept-Encoding', 'gzip, br')).expect(200);
    expect(js.headers['content-encoding']).toMatch(/^(br|gzip)$/);
    const plain = await bytes(request(t.app).get('/css/site.css').set('Accept-Encoding', 'identity'));
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect((plain.body as Buffer).equals(css)).toBe(true);
  });

  it('sends an HTML page compressed', async () => {
    for (const encoding of ['br', 'gzip']) {
      const res = await bytes(request(t.app).get('/login').set('Accept-Encoding', encoding)).expect(200);
      expect(res.headers['content-encoding']).toBe(encoding);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect((res.body as Buffer).toString('utf8')).toContain('</html>');
    }
  });

  it('sends JSON compressed, from Express routes and from the chat poll (an early route) alike', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    const asked = await a.agent.post('/api/friends/request').send({ username: b.user.username }).expect(201);
    await b.agent
      .post('/api/friends/respond')
      .send({ request_id: asked.body.id, action: 'accept' })
      .expect(200);
    for (let i = 0; i < 12; i++) {
      await b.agent
        .post('/api/messages')
        .send({ to_user_id: a.user.id, text: `message ${i} `.repeat(12) })
        .expect(201);
    }
    for (const [path, encoding] of [
      [`/api/messages?user_id=${b.user.id}`, 'br'],
      [`/api/messages?user_id=${b.user.id}`, 'gzip'],
      ['/api/conversations', 'gzip'],
    ] as const) {
      const res = await bytes(a.agent.get(path).set('Accept-Encoding', encoding)).expect(200);
      if (path !== '/api/conversations') expect(res.headers['content-encoding']).toBe(encoding);
      const json: unknown = JSON.parse((res.body as Buffer).toString('utf8'));
      expect(Array.isArray(json)).toBe(true);
    }
  });

  it('leaves answers below 1 KB and images as they are', async () => {
    const res = await bytes(request(t.app).get('/healthz').set('Accept-Encoding', 'br, gzip')).expect(200);
    expect(res.headers['content-encoding']).toBeUndefined();
  });
});
