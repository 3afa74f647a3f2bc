import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import sharp from 'sharp';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app';
import { messages as imageMessages } from '../../src/adapters/sharp-images';
import { makeTestApp, PASSWORD, postPhoto, sessionCookie, signedInAgent, type TestApp } from '../support/app';
import { keptLogger } from '../support/log-lines';
import { makeJpeg } from '../support/images';

interface Line {
  level: number;
  msg: string;
  req?: { url: string };
}

/** Issue 9 §3: holes bad input found. Each is a clear 4xx, changes nothing, and logs below error. */
describe('bad input', () => {
  const { logger, lines } = keptLogger<Line>();
  let t: TestApp;
  let app: App;
  beforeAll(async () => {
    t = await makeTestApp({ LOG_LEVEL: 'info' }, {}, logger);
    app = t.app;
  });
  afterAll(() => t.close());
  beforeEach(() => {
    lines.length = 0;
  });

  const errorLines = () => lines.filter((l) => l.level >= 50);
  const photosOf = async (agent: request.Agent) =>
    (await agent.get('/api/photos?scope=profile').expect(200)).body as unknown[];

  describe('multipart bodies that are not well-formed', () => {
    let jpeg: Buffer;
    beforeAll(async () => {
      jpeg = await makeJpeg(64, 64);
    });
    const part = (headers: string, body: string) => `--b0und\r\n${headers}\r\n\r\n${body}`;
    const file = 'Content-Disposition: form-data; name="photo"; filename="a.jpg"\r\nContent-Type: image/jpeg';
    const cases: [string, string, (jpeg: Buffer) => string][] = [
      ['with no boundary', 'multipart/form-data', () => part(file, 'x') + '\r\n--b0und--\r\n'],
      [
        'with a truncated part',
        'multipart/form-data; boundary=b0und',
        (jpeg) => part(file, jpeg.toString('latin1').slice(0, 300)),
      ],
      [
        'with a malformed part header',
        'multipart/form-data; boundary=b0und',
        () => part('Content-Disposition form-data name photo', 'x') + '\r\n--b0und--\r\n',
      ],
    ];

    it.each(cases)('POST /api/photos %s is 400, stores nothing and logs no error', async (_, type, body) => {
      const { agent } = await signedInAgent(app);
      const res = await agent.post('/api/photos').set('Content-Type', type).send(body(jpeg)).expect(400);
      expect(res.body).toMatchObject({ code: 'malformed_upload', message: expect.stringMatching(/upload/) });
      expect(await photosOf(agent)).toEqual([]);
      expect(errorLines()).toEqual([]);
    });

    it.each(cases)(
      'POST /upload %s shows the form again with 400 and logs no error',
      async (_, type, body) => {
        const { agent } = await signedInAgent(app);
        const res = await agent.post('/upload').set('Content-Type', type).send(body(jpeg)).expect(400);
        expect(res.text).toContain('id="upload-form"');
        expect(res.text).toMatch(/The upload could not be read/);
        expect(await photosOf(agent)).toEqual([]);
        expect(errorLines()).toEqual([]);
      },
    );
  });

  describe('a client that goes away half-way through an upload', () => {
    let server: Server;
    beforeAll(async () => {
      server = createServer(app);
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it('is logged below error level and stores nothing', async () => {
      const { agent } = await signedInAgent(app);
      const cookie = sessionCookie(
        await agent
          .post('/api/auth/login')
          .send({ username: (await agent.get('/api/auth/me')).body.username, password: PASSWORD })
          .expect(200),
      );
      const { port } = server.address() as AddressInfo;
      const jpeg = await makeJpeg(320, 240);
      const head =
        '--b0und\r\nContent-Disposition: form-data; name="photo"; filename="a.jpg"\r\n' +
        'Content-Type: image/jpeg\r\n\r\n';
      const socket = connect(port, '127.0.0.1');
      await new Promise<void>((resolve) => socket.once('connect', resolve));
      socket.write(
        [
          'POST /api/photos HTTP/1.1',
          `Host: 127.0.0.1:${port}`,
          `Cookie: ${cookie}`,
          'Content-Type: multipart/form-data; boundary=b0und',
          `Content-Length: ${head.length + jpeg.length + 100}`,
          '',
          '',
        ].join('\r\n'),
      );
      socket.write(head);
      socket.write(jpeg.subarray(0, 1000));
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
      // The request's log line is written when its response closes.
      const logged = () => lines.find((l) => l.req?.url === '/api/photos');
      for (const deadline = Date.now() + 5000; !logged() && Date.now() < deadline;) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      expect(logged()?.msg).toBe('request aborted');
      expect(errorLines()).toEqual([]);
      expect(await photosOf(agent)).toEqual([]);
    });
  });

  describe('images of an accepted type that cannot be decoded in full', () => {
    const sos = (jpeg: Buffer) => jpeg.indexOf(Buffer.from([0xff, 0xda]));
    const damaged: [string, (jpeg: Buffer, other: { webp: Buffer; gif: Buffer }) => Buffer][] = [
      ['a JPEG that is only a header', (jpeg) => jpeg.subarray(0, sos(jpeg))],
      ['a JPEG cut short after a header declaring its size', (jpeg) => jpeg.subarray(0, sos(jpeg) + 40)],
      ['a JPEG cut in half', (jpeg) => jpeg.subarray(0, jpeg.length >> 1)],
      ['a WebP cut in half', (_, o) => o.webp.subarray(0, o.webp.length >> 1)],
      ['a GIF cut in half', (_, o) => o.gif.subarray(0, o.gif.length >> 1)],
    ];
    let jpeg: Buffer;
    let other: { webp: Buffer; gif: Buffer };
    beforeAll(async () => {
      jpeg = await makeJpeg(320, 240);
      other = {
        webp: await sharp(jpeg).webp().toBuffer(),
        gif: await sharp(jpeg).gif().toBuffer(),
      };
    });

    it.each(damaged)(
      '%s is 400 "could not be decoded" on the API and the form, storing nothing',
      async (_, cut) => {
        const { agent } = await signedInAgent(app);
        const bytes = cut(jpeg, other);
        const res = await agent.post('/api/photos').attach('photo', bytes, 'photo.jpg').expect(400);
        expect(res.body).toEqual({ message: imageMessages.undecodable, code: 'undecodable_image' });
        const page = await agent.post('/upload').attach('photo', bytes, 'photo.jpg').expect(400);
        expect(page.text).toContain('could not be decoded');
        expect(await photosOf(agent)).toEqual([]);
      },
    );

    it('a file of a type Lumina does not take is still 415', async () => {
      const { agent } = await signedInAgent(app);
      const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
      const res = await agent.post('/api/photos').attach('photo', svg, 'photo.jpg').expect(415);
      expect(res.body.code).toBe('unsupported_media_type');
    });
  });

  describe('comments and messages that show nothing', () => {
    const INVISIBLE = [
      ' \t\n ',
      '\u200b\u200b',
      '\u2800',
      '\u3164',
      '\ufeff',
      '\u00a0\u3000\u2028',
      '\u200d\u2060\u180e',
      '\u115f\u1160\uffa0',
      '\u0301',
      '\u{E0041}\u{1D159}',
    ];

    it.each(INVISIBLE)(
      'a comment of only %j is 400 and adds nothing, on the API and the form',
      async (text) => {
        const { agent } = await signedInAgent(app);
        const photo = { id: await postPhoto(agent) };
        const res = await agent.post(`/api/photos/${photo.id}/comments`).send({ text }).expect(400);
        expect(res.body.message).toBe('text must have at least one visible character');
        const page = await agent.post(`/photos/${photo.id}/comments`).type('form').send({ text }).expect(400);
        expect(page.text).toContain('text must have at least one visible character');
        expect((await agent.get(`/api/photos/${photo.id}/comments`).expect(200)).body).toEqual([]);
      },
    );

    it.each(INVISIBLE)(
      'a message of only %j is 400 and sends nothing, on the API and the form',
      async (text) => {
        const a = await signedInAgent(app);
        const b = await signedInAgent(app);
        await a.agent.post('/api/friends/request').send({ user_id: b.user.id }).expect(201);
        await b.agent.post('/api/friends/request').send({ user_id: a.user.id }).expect(201);
        const res = await a.agent.post('/api/messages').send({ to_user_id: b.user.id, text }).expect(400);
        expect(res.body.message).toBe('text must have at least one visible character');
        await a.agent.post(`/chat/${b.user.username}`).type('form').send({ text }).expect(400);
        expect((await b.agent.get(`/api/messages?user_id=${a.user.id}`).expect(200)).body).toEqual([]);
      },
    );

    it('text with one visible character among invisible ones is taken', async () => {
      const { agent } = await signedInAgent(app);
      const photo = { id: await postPhoto(agent) };
      for (const text of ['\u200b.\u200b', '😀', 'e\u0301', '\u2800ok']) {
        await agent.post(`/api/photos/${photo.id}/comments`).send({ text }).expect(201);
      }
    });
  });

  describe('sentences for people', () => {
    it('a search with no word says so in words, on the API and the feed page', async () => {
      const { agent } = await signedInAgent(app);
      const res = await agent.get('/api/photos?scope=all&q=%21%21').expect(400);
      expect(res.body.message).toBe('Search needs a word of at least two letters or digits.');
      const page = await agent.get('/feed?scope=all&q=%21%21').expect(400);
      expect(page.text).toContain('Search needs a word of at least two letters or digits.');
    });

    it('an upload with no file, or a file in another field, says what to send', async () => {
      const { agent } = await signedInAgent(app);
      const none = await agent.post('/api/photos').field('caption', 'x').expect(400);
      expect(none.body).toEqual({ message: 'Choose a photo to upload.', code: 'missing_file' });
      const elsewhere = await agent
        .post('/api/photos')
        .attach('picture', await makeJpeg(16, 16), 'a.jpg')
        .expect(400);
      expect(elsewhere.body.message).toBe('Send the photo in the "photo" field, not in "picture".');
      const avatar = await agent.put('/api/users/me/avatar').field('bio', 'x').expect(400);
      expect(avatar.body).toEqual({
        message: 'Choose a picture to upload as your avatar.',
        code: 'missing_file',
      });
    });
  });

  describe('requests the libraries under the routes refuse', () => {
    it('an address whose percent-encoding does not decode is 404, on the API and the pages', async () => {
      const { agent } = await signedInAgent(app);
      const api = await agent.get('/api/photos/%E0%A4%A').expect(404);
      expect(api.body).toEqual({ message: 'There is nothing at this address.', code: 'page_not_found' });
      await agent.get('/photos/%E0%A4%A').expect(404);
      await agent.get('/users/%ZZ').expect(404);
      await agent.post('/photos/%C0/comments').type('form').send({ text: 'hi' }).expect(404);
      expect(errorLines()).toEqual([]);
    });

    it('a static file asked for a range outside it is 416, and with a failing If-Match 412, not 500', async () => {
      const range = await request(app).get('/favicon.svg').set('Range', 'bytes=999999-');
      expect(range.status).toBe(416);
      expect(range.headers['content-range']).toMatch(/^bytes \*\/\d+$/);
      const precondition = await request(app).get('/favicon.svg').set('If-Match', '"not-this-one"');
      expect(precondition.status).toBe(412);
      expect(errorLines()).toEqual([]);
    });
  });

  describe('ids', () => {
    const OUT_OF_RANGE = ['ZZZZZZZZZZZZZZZZZZZZZZZZZZ', '7ZZZZZZZZZZZZZZZZZZZZZZZZZ'];

    it.each(OUT_OF_RANGE)(
      'a well-formed id whose time is out of range (%s) in a query is 400',
      async (id) => {
        const a = await signedInAgent(app);
        const b = await signedInAgent(app);
        const feed = await a.agent.get(`/api/photos?scope=all&before=${id}`).expect(400);
        expect(feed.body).toEqual({ message: 'before is not a valid id', code: 'invalid_input' });
        const photo = { id: await postPhoto(a.agent) };
        const comments = await a.agent.get(`/api/photos/${photo.id}/comments?before=${id}`).expect(400);
        expect(comments.body.message).toMatch(/^before/);
        const poll = await a.agent.get(`/api/messages?user_id=${b.user.id}&after=${id}`).expect(400);
        expect(poll.body.message).toMatch(/^after/);
        await a.agent.get(`/feed?scope=all&before=${id}`).expect(400);
      },
    );

    it('an address whose id cannot name anything is 404 with the thing named, on the API', async () => {
      const { agent } = await signedInAgent(app);
      const photo = { id: await postPhoto(agent) };
      const cases: [string, string, string][] = [
        ['get', '/api/photos/not-an-id', 'photo_not_found'],
        ['get', '/api/photos/ZZZZZZZZZZZZZZZZZZZZZZZZZZ', 'photo_not_found'],
        ['get', '/api/photos/x/image/thumb', 'photo_not_found'],
        ['post', '/api/photos/x/like', 'photo_not_found'],
        ['get', '/api/photos/x/comments', 'photo_not_found'],
        ['delete', `/api/photos/${photo.id}/comments/not-an-id`, 'comment_not_found'],
        ['delete', `/api/photos/${photo.id}/comments/ZZZZZZZZZZZZZZZZZZZZZZZZZZ`, 'comment_not_found'],
        ['delete', '/api/friends/abc', 'user_not_found'],
        ['delete', '/api/friends/requests/-1', 'request_not_found'],
      ];
      for (const [method, path, code] of cases) {
        const res = await agent[method as 'get'](path);
        expect([path, res.status, res.body.code]).toEqual([path, 404, code]);
        expect(res.body.message).toMatch(/^No such /);
      }
      expect(errorLines()).toEqual([]);
    });

    it('a page address whose id or name cannot name anything is the 404 page, saying what is missing', async () => {
      const { agent } = await signedInAgent(app);
      for (const [path, sentence] of [
        ['/photos/xyz', 'No such photo.'],
        ['/photos/ZZZZZZZZZZZZZZZZZZZZZZZZZZ', 'No such photo.'],
        ['/users/no%20such%20name', 'No such user.'],
        ['/chat/%21%21', 'No such user.'],
      ] as const) {
        const res = await agent.get(path);
        expect([path, res.status]).toEqual([path, 404]);
        expect(res.text).toContain(sentence);
      }
      await agent.post('/photos/xyz/like').expect(404);
    });
  });
});
