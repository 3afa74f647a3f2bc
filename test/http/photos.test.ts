import { randomBytes } from 'node:crypto';
import request from 'supertest';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newId, timeOfId } from '../../src/lib/ulid';
import { makeTestApp, signedInAgent, type TestApp } from '../support/app';
import { makeJpeg, pngDeclaring, SVG } from '../support/images';
import { recordsMentioning, storedObjectKeys } from '../support/stores';

type Agent = Awaited<ReturnType<typeof signedInAgent>>['agent'];

describe('photos API', () => {
  let t: TestApp;
  let jpeg: Buffer;
  const UPLOAD_MAX = 400_000;
  beforeAll(async () => {
    t = await makeTestApp({ UPLOAD_MAX_BYTES: String(UPLOAD_MAX) });
    jpeg = await makeJpeg(640, 480, { gps: true, orientation: 6 });
  });
  afterAll(() => t.close());

  /** Stores `count` comments by `author` straight through the store, oldest first; returns their ids. */
  async function addComments(
    author: Awaited<ReturnType<typeof signedInAgent>>,
    photoId: string,
    count: number,
    textOf: (i: number) => string,
  ): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < count; i++) {
      const id = newId();
      ids.push(id);
      await t.container.storage.comments.add({
        id,
        photoId,
        userId: author.user.id,
        username: author.user.username,
        text: textOf(i),
        createdAt: new Date(timeOfId(id)),
      });
    }
    return ids;
  }

  const upload = (
    agent: Agent,
    fields: Record<string, string> = {},
    file: Buffer = jpeg,
    name = 'photo.jpg',
  ) => {
    let req = agent.post('/api/photos');
    for (const [k, v] of Object.entries(fields)) req = req.field(k, v);
    return req.attach('photo', file, name);
  };

  it('POST /api/photos with a JPEG answers 201 with every field of the photo object', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const res = await upload(agent, { caption: 'Harbour at dawn', topic: 'Travel' }).expect(201);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/),
      user_id: user.id,
      username: user.username,
      topic: 'Travel',
      caption: 'Harbour at dawn',
      alt: null,
      timestamp: expect.any(Number),
      created_at: expect.any(String),
      edited_at: null,
      likes: 0,
      liked_by_me: false,
      comment_count: 0,
      width: 480,
      height: 640,
      thumbnail: `/api/photos/${res.body.id}/image/thumb`,
      medium: `/api/photos/${res.body.id}/image/medium`,
      fullRes: `/api/photos/${res.body.id}/image/full`,
    });
    expect(new Date(res.body.created_at).getTime()).toBe(res.body.timestamp);
  });

  it('GET the image URLs answers JPEG bytes with a fixed type, nosniff, long private caching, no GPS, and 304 on revalidation', async () => {
    const { agent } = await signedInAgent(t.app);
    const photo = (await upload(agent).expect(201)).body;
    const thumb = await agent.get(photo.thumbnail).buffer(true).expect(200);
    expect(thumb.headers['content-type']).toBe('image/jpeg');
    expect(thumb.headers['x-content-type-options']).toBe('nosniff');
    expect(thumb.headers['cache-control']).toMatch(/private.*immutable/);
    const meta = await sharp(thumb.body as Buffer).metadata();
    expect([meta.width, meta.height]).toEqual([400, 400]);
    const full = await agent.get(photo.fullRes).buffer(true).expect(200);
    expect((await sharp(full.body as Buffer).metadata()).exif).toBeUndefined();
    await agent.get(photo.fullRes).set('If-None-Match', String(full.headers.etag)).expect(304);
    await request(t.app).get(photo.fullRes).expect(401);
    await agent.get(`/api/photos/${photo.id}/image/huge`).expect(400);
  });

  it('GET /api/photos pages every photo exactly once, newest first, following Link rel=next', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await upload(agent, { caption: `page ${i}` }).expect(201)).body.id);
    const seen: string[] = [];
    let url: string | undefined = `/api/photos?scope=profile&user_id=${user.id}&limit=2`;
    for (let guard = 0; url && guard < 10; guard++) {
      const res: request.Response = await agent.get(url).expect(200);
      seen.push(...res.body.map((p: { id: string }) => p.id));
      url = /<([^>]+)>; rel="next"/.exec(String(res.headers.link ?? ''))?.[1];
      if (url) expect(url).toContain('user_id=');
    }
    expect(seen).toEqual([...ids].reverse());
  });

  it('scopes: home shows mine, profile shows a given user, all shows everyone', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    const mine = (await upload(a.agent).expect(201)).body.id;
    const theirs = (await upload(b.agent).expect(201)).body.id;
    const ids = async (url: string) =>
      ((await a.agent.get(url).expect(200)).body as { id: string }[]).map((p) => p.id);
    expect(await ids('/api/photos')).toContain(mine);
    expect(await ids('/api/photos')).not.toContain(theirs);
    expect(await ids(`/api/photos?scope=profile&user_id=${b.user.id}`)).toEqual([theirs]);
    expect(await ids('/api/photos?scope=all&limit=100')).toEqual(expect.arrayContaining([mine, theirs]));
    await a.agent.get('/api/photos?scope=profile&user_id=999999').expect(404);
  });

  it('topic and q find photos by whole word or prefix, case-insensitive, and nothing else', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const hit = (await upload(agent, { caption: 'Zanzibarian sunsets', topic: 'Beaches' }).expect(201)).body
      .id;
    const miss = (await upload(agent, { caption: 'unrelated' }).expect(201)).body.id;
    const ids = async (query: string) =>
      ((await agent.get(`/api/photos?scope=all&${query}`).expect(200)).body as { id: string }[]).map(
        (p) => p.id,
      );
    expect(await ids('topic=beaches')).toContain(hit);
    expect(await ids('topic=beaches')).not.toContain(miss);
    expect(await ids('q=ZANZIB')).toEqual([hit]);
    expect(await ids(`q=${user.username}`)).toEqual(expect.arrayContaining([hit, miss]));
    expect(await ids('q=zanzibarian%20sun')).toEqual([hit]);
    await agent.get('/api/photos?scope=all&q=%21%21').expect(400);
  });

  it('likes: liking twice counts once, unliking takes it back, liked_by_me follows', async () => {
    const owner = await signedInAgent(t.app);
    const fan = await signedInAgent(t.app);
    const photo = (await upload(owner.agent).expect(201)).body;
    expect((await fan.agent.post(`/api/photos/${photo.id}/like`).expect(200)).body).toEqual({
      likes: 1,
      liked: true,
    });
    expect((await fan.agent.post(`/api/photos/${photo.id}/like`).expect(200)).body).toEqual({
      likes: 1,
      liked: true,
    });
    expect((await fan.agent.get(`/api/photos/${photo.id}`).expect(200)).body).toMatchObject({
      likes: 1,
      liked_by_me: true,
    });
    expect((await owner.agent.get(`/api/photos/${photo.id}`).expect(200)).body.liked_by_me).toBe(false);
    expect((await fan.agent.delete(`/api/photos/${photo.id}/like`).expect(200)).body).toEqual({
      likes: 0,
      liked: false,
    });
    await fan.agent.post('/api/photos/01ARZ3NDEKTSV4RRFFQ69G5FAV/like').expect(404);
  });

  it('comments: add, list oldest first, delete by author or photo owner only', async () => {
    const owner = await signedInAgent(t.app);
    const author = await signedInAgent(t.app);
    const stranger = await signedInAgent(t.app);
    const photo = (await upload(owner.agent).expect(201)).body;
    const first = (
      await author.agent.post(`/api/photos/${photo.id}/comments`).send({ text: 'first!' }).expect(201)
    ).body;
    expect(first).toEqual({
      id: expect.any(String),
      photo_id: photo.id,
      user_id: author.user.id,
      username: author.user.username,
      text: 'first!',
      timestamp: expect.any(Number),
      created_at: expect.any(String),
    });
    const second = (
      await stranger.agent.post(`/api/photos/${photo.id}/comments`).send({ text: 'second' }).expect(201)
    ).body;
    const list = (await owner.agent.get(`/api/photos/${photo.id}/comments`).expect(200)).body as {
      id: string;
    }[];
    expect(list.map((c) => c.id)).toEqual([first.id, second.id]);
    expect((await owner.agent.get(`/api/photos/${photo.id}`)).body.comment_count).toBe(2);
    await stranger.agent.delete(`/api/photos/${photo.id}/comments/${first.id}`).expect(403);
    await author.agent.delete(`/api/photos/${photo.id}/comments/${first.id}`).expect(204);
    await owner.agent.delete(`/api/photos/${photo.id}/comments/${second.id}`).expect(204);
    await owner.agent.delete(`/api/photos/${photo.id}/comments/${second.id}`).expect(404);
    expect((await owner.agent.get(`/api/photos/${photo.id}/comments`)).body).toEqual([]);
  });

  it('GET /api/photos/:id/comments: the newest 50 oldest first, Link rel=next to earlier pages, limit and before checked', async () => {
    const owner = await signedInAgent(t.app);
    const photo = (await upload(owner.agent).expect(201)).body;
    const added = await addComments(owner, photo.id, 120, (i) => `c${i}`);
    const pages: string[][] = [];
    let url: string | undefined = `/api/photos/${photo.id}/comments`;
    for (let guard = 0; url && guard < 10; guard++) {
      const res: request.Response = await owner.agent.get(url).expect(200);
      pages.push(res.body.map((c: { id: string }) => c.id));
      url = /<([^>]+)>; rel="next"/.exec(String(res.headers.link ?? ''))?.[1];
    }
    expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
    expect(pages[0]).toEqual(added.slice(70));
    expect(pages.reverse().flat()).toEqual(added);

    const two = await owner.agent.get(`/api/photos/${photo.id}/comments?limit=2`).expect(200);
    expect(two.body.map((c: { text: string }) => c.text)).toEqual(['c118', 'c119']);
    expect(two.headers.link).toBe(
      `</api/photos/${photo.id}/comments?limit=2&before=${added[118]}>; rel="next"`,
    );
    for (const bad of ['limit=0', 'limit=101', 'limit=x', 'before=garbage']) {
      const res = await owner.agent.get(`/api/photos/${photo.id}/comments?${bad}`).expect(400);
      expect(res.body.message).toMatch(/limit|before/);
    }
  });

  it('the photo page shows the latest 50 comments with a link to earlier ones that works without scripts', async () => {
    const owner = await signedInAgent(t.app);
    const photo = (await upload(owner.agent).expect(201)).body;
    const added = await addComments(owner, photo.id, 60, (i) => `page comment ${i}`);
    const shown = (html: string) => [...html.matchAll(/data-comment-id="([^"]+)"/g)].map((m) => m[1]);
    const latest = await owner.agent.get(`/photos/${photo.id}`).expect(200);
    expect(shown(latest.text)).toEqual(added.slice(10));
    expect(latest.text).toContain('id="comment-count" class="muted">60<');
    const earlier = /id="comments-earlier" href="([^"]+)"/.exec(latest.text)?.[1];
    expect(earlier).toBe(`/photos/${photo.id}?before=${added[10]}#comments`);
    expect(latest.text).not.toContain('id="comments-latest"');

    const page = await owner.agent.get(earlier!.replace('#comments', '')).expect(200);
    expect(shown(page.text)).toEqual(added.slice(0, 10));
    expect(page.text).not.toContain('id="comments-earlier"');
    expect(page.text).toContain(`id="comments-latest" href="/photos/${photo.id}#comments"`);
  });

  it('DELETE /api/photos/:id by another user is 403; by the owner 204 and the images, likes, comments and terms are gone', async () => {
    const owner = await signedInAgent(t.app);
    const other = await signedInAgent(t.app);
    const photo = (await upload(owner.agent, { caption: 'Gone #harbour lights', topic: 'Night' }).expect(201))
      .body;
    await other.agent.post(`/api/photos/${photo.id}/comments`).send({ text: 'nice' }).expect(201);
    await other.agent.post(`/api/photos/${photo.id}/like`).expect(200);
    await other.agent.delete(`/api/photos/${photo.id}`).expect(403);
    // Read from the backend's own tables and files, not through the app: what a delete must remove.
    const stored = await recordsMentioning(t, photo.id);
    expect(stored.filter((r) => r.startsWith('object:'))).toHaveLength(3);
    expect(stored.some((r) => r.includes('nice'))).toBe(true); // the comment
    expect(stored.some((r) => r.includes(String(other.user.id)) && !r.includes('nice'))).toBe(true); // the like
    expect(stored.some((r) => r.includes('harbour') && !r.includes('Gone'))).toBe(true); // a search term
    await owner.agent.delete(`/api/photos/${photo.id}`).expect(204);
    await owner.agent.get(`/api/photos/${photo.id}`).expect(404);
    await owner.agent.get(photo.thumbnail).expect(404);
    await owner.agent.get(`/api/photos/${photo.id}/comments`).expect(404);
    expect(await recordsMentioning(t, photo.id)).toEqual([]);
  });

  it('XSS and SQL in captions and comments are stored verbatim', async () => {
    const { agent } = await signedInAgent(t.app);
    const caption = `<script>alert("x")</script> ' OR 1=1; DROP TABLE photos; --`;
    const photo = (await upload(agent, { caption }).expect(201)).body;
    expect((await agent.get(`/api/photos/${photo.id}`)).body.caption).toBe(caption);
    const comment = (await agent.post(`/api/photos/${photo.id}/comments`).send({ text: caption }).expect(201))
      .body;
    expect(comment.text).toBe(caption);
  });

  describe('bad input answers 4xx JSON and stores nothing', () => {
    let agent: Agent;
    let before: { files: number; photos: number };
    const count = async () => ({
      files: (await storedObjectKeys(t)).length,
      photos: ((await agent.get('/api/photos?scope=profile&limit=100')).body as unknown[]).length,
    });
    beforeAll(async () => {
      agent = (await signedInAgent(t.app)).agent;
      before = await count();
    });

    const cases: [string, () => Promise<Buffer>, string, number, RegExp][] = [
      [
        'a text file named photo.jpg',
        () => Promise.resolve(Buffer.from('hello, not an image')),
        'photo.jpg',
        415,
        /JPEG, PNG, WebP, GIF, AVIF and HEIC/,
      ],
      ['an SVG', () => Promise.resolve(SVG), 'x.svg', 415, /JPEG/],
      [
        'a PDF',
        () => Promise.resolve(Buffer.from('%PDF-1.4\n%âãÏÓ\n1 0 obj<<>>endobj\n')),
        'x.pdf',
        415,
        /JPEG/,
      ],
      [
        'a truncated JPEG',
        async () => (await makeJpeg(300, 200)).subarray(0, 900),
        'cut.jpg',
        400,
        /damaged|truncated|read/,
      ],
      [
        'a PNG declaring 30000×30000',
        () => Promise.resolve(pngDeclaring(30_000, 30_000)),
        'bomb.png',
        413,
        /30000×30000/,
      ],
      ['an empty file', () => Promise.resolve(Buffer.alloc(0)), 'empty.jpg', 400, /photo/],
      [
        'a file over the limit',
        async () => Buffer.concat([await makeJpeg(64, 64), randomBytes(UPLOAD_MAX)]),
        'big.jpg',
        413,
        /limit/,
      ],
    ];
    it.each(cases)('%s', async (_label, make, name, status, message) => {
      const bytes = await make();
      if (status === 413 && name === 'big.jpg') expect(bytes.length).toBeGreaterThan(UPLOAD_MAX);
      const res = await upload(agent, { caption: 'x' }, bytes, name);
      expect(res.status).toBe(status);
      expect(res.body.message).toMatch(message);
      expect(res.body.code).toEqual(expect.any(String));
      expect(await count()).toEqual(before);
    });

    it('no file at all', async () => {
      const res = await agent.post('/api/photos').field('caption', 'x').expect(400);
      expect(res.body.message).toMatch(/photo/);
      expect(await count()).toEqual(before);
    });

    it('a caption over 2200 characters or a topic over 50', async () => {
      expect((await upload(agent, { caption: 'x'.repeat(2201) }).expect(400)).body.message).toMatch(
        /caption/,
      );
      expect((await upload(agent, { topic: 't'.repeat(51) }).expect(400)).body.message).toMatch(/topic/);
      expect(await count()).toEqual(before);
    });

    it.each(['limit=0', 'limit=1000000', 'before=garbage', 'scope=friends', 'limit=abc'])(
      'GET /api/photos?%s is 400',
      async (q) => {
        const res = await agent.get(`/api/photos?${q}`).expect(400);
        expect(res.body.message).toMatch(new RegExp(q.split('=')[0] ?? ''));
      },
    );

    it.each(['..%2F..%2Fetc%2Fpasswd', 'x'.repeat(5000), '1 OR 1=1'])(
      'an address whose photo id is not an id (%#) is 404 "No such photo."',
      async (id) => {
        const res = await agent.get(`/api/photos/${id}`);
        expect(res.status).toBe(404);
        expect(res.body).toEqual({ message: 'No such photo.', code: 'photo_not_found' });
      },
    );

    it('comments of 0 or 1001 characters are 400', async () => {
      const photo = (await upload(agent).expect(201)).body;
      before = await count();
      await agent.post(`/api/photos/${photo.id}/comments`).send({ text: '' }).expect(400);
      await agent
        .post(`/api/photos/${photo.id}/comments`)
        .send({ text: 'x'.repeat(1001) })
        .expect(400);
      expect((await agent.get(`/api/photos/${photo.id}/comments`)).body).toEqual([]);
    });

    it('anonymous calls are 401', async () => {
      await request(t.app).get('/api/photos').expect(401);
      await request(t.app).post('/api/photos').attach('photo', jpeg, 'p.jpg').expect(401);
    });
  });
});
