import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app';
import { loadConfig } from '../../src/config';
import { createContainer, type Container } from '../../src/container';
import { PASSWORD, sessionCookie, signedInAgent } from '../support/app';
import { makeJpeg } from '../support/images';

interface Line {
  level: number;
  msg: string;
  req?: { url: string };
}

/** Issue 9 §3: holes bad input found. Each is a clear 4xx, changes nothing, and logs below error. */
describe('bad input', () => {
  const lines: Line[] = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-bad-'));
  let container: Container;
  let app: App;
  beforeAll(async () => {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) {
          lines.push(JSON.parse(text) as Line);
        }
        done();
      },
    });
    const config = loadConfig({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      BCRYPT_COST: '4',
      LOG_LEVEL: 'info',
      RATE_LIMIT_SIGNUP_MAX: '1000',
      RATE_LIMIT_UPLOAD_MAX: '1000',
    });
    container = await createContainer(config, pino({ level: 'info' }, sink));
    app = createApp(container);
  });
  afterAll(async () => {
    await container.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    lines.length = 0;
  });

  const errorLines = () => lines.filter((l) => l.level >= 50);
  const photosOf = async (agent: request.Agent) =>
    (await agent.get('/api/photos?scope=profile').expect(200)).body as unknown[];

  describe('multipart bodies that are not well-formed', () => {
    const part = (headers: string, body: string) => `--b0und\r\n${headers}\r\n\r\n${body}`;
    const file = 'Content-Disposition: form-data; name="photo"; filename="a.jpg"\r\nContent-Type: image/jpeg';
    const cases: [string, string, () => Promise<string>][] = [
      ['with no boundary', 'multipart/form-data', async () => part(file, 'x') + '\r\n--b0und--\r\n'],
      [
        'with a truncated part',
        'multipart/form-data; boundary=b0und',
        async () => part(file, (await makeJpeg(64, 64)).toString('latin1').slice(0, 300)),
      ],
      [
        'with a malformed part header',
        'multipart/form-data; boundary=b0und',
        async () => part('Content-Disposition form-data name photo', 'x') + '\r\n--b0und--\r\n',
      ],
    ];

    it.each(cases)('POST /api/photos %s is 400, stores nothing and logs no error', async (_, type, body) => {
      const { agent } = await signedInAgent(app);
      const res = await agent
        .post('/api/photos')
        .set('Content-Type', type)
        .send(await body())
        .expect(400);
      expect(res.body).toMatchObject({ code: 'malformed_upload', message: expect.stringMatching(/upload/) });
      expect(await photosOf(agent)).toEqual([]);
      expect(errorLines()).toEqual([]);
    });

    it.each(cases)(
      'POST /upload %s shows the form again with 400 and logs no error',
      async (_, type, body) => {
        const { agent } = await signedInAgent(app);
        const res = await agent
          .post('/upload')
          .set('Content-Type', type)
          .send(await body())
          .expect(400);
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
});
