import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshAwsEnv, ownMariaDb, ownS3, type OwnServer } from '../support/aws-env';
import { makeJpeg } from '../support/images';
import { Client, startServer, type ServerProcess } from '../support/server-process';

/**
 * The aws backend as deployed: server processes sharing MySQL sessions, and what a user sees
 * when a backing service goes away and comes back.
 */
describe('aws backend: two server processes, outages and recovery', () => {
  let a: ServerProcess;
  let b: ServerProcess;
  // MariaDB and S3 of this file's own, since it stops them; DynamoDB Local is the shared one.
  let mariadb: OwnServer;
  let s3: OwnServer;

  beforeAll(async () => {
    [mariadb, s3] = await Promise.all([ownMariaDb(), ownS3()]);
    const env = {
      ...(await freshAwsEnv({ ...mariadb.env, ...s3.env })),
      SESSION_SECRET: 'aws-process-test-secret-0123456789abcdef',
      STORE_TIMEOUT_MS: '2000',
      DATA_DIR: `/tmp/lumina-aws-${randomBytes(4).toString('hex')}`,
    };
    [a, b] = await Promise.all([startServer(env), startServer(env)]);
  }, 90_000);
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await Promise.all([mariadb?.close(), s3?.close()]);
  }, 90_000);

  it('a session made by one process is honoured by the other (sessions live in MySQL)', async () => {
    const viaA = new Client(a.url);
    const signup = await viaA.call('POST', '/api/auth/signup', {
      username: `aw${randomBytes(5).toString('hex')}`,
      password: 'a long password',
    });
    expect(signup.status).toBe(201);
    const viaB = new Client(b.url);
    viaB.cookie = viaA.cookie;
    expect((await viaB.call('GET', '/api/auth/me')).body.id).toBe(signup.body.id);
  });

  it('with MariaDB stopped: 503 naming mysql within seconds, /readyz 503, /healthz 200; after a restart it recovers without restarting the app', async () => {
    const user = new Client(a.url);
    const name = `out${randomBytes(5).toString('hex')}`;
    const account = await user.call('POST', '/api/auth/signup', {
      username: name,
      password: 'a long password',
    });
    expect(account.status).toBe(201);

    await mariadb.server.stop();
    try {
      const started = Date.now();
      const me = await user.call('GET', '/api/auth/me');
      expect(me.status).toBe(503);
      expect(me.body).toEqual({ message: expect.stringMatching(/mysql/i), code: 'service_unavailable' });
      expect(Date.now() - started).toBeLessThan(10_000);
      // The chat poll reads its session from MySQL too (it is answered before Express).
      const poll = await user.call('GET', `/api/messages?user_id=${account.body.id}`);
      expect(poll.status).toBe(503);
      expect(poll.body).toEqual({ message: expect.stringMatching(/mysql/i), code: 'service_unavailable' });
      const signup = await new Client(a.url).call('POST', '/api/auth/signup', {
        username: `x${name}`,
        password: 'a long password',
      });
      expect(signup.status).toBe(503);
      const ready = await user.call('GET', '/readyz');
      expect(ready.status).toBe(503);
      expect(ready.body.unavailable).toEqual(['mysql']);
      expect((await user.call('GET', '/healthz')).status).toBe(200);
    } finally {
      await mariadb.server.start();
    }

    let recovered = 0;
    for (let i = 0; i < 60 && recovered !== 200; i++) {
      recovered = (await user.call('GET', '/api/auth/me')).status;
      if (recovered !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    expect(recovered).toBe(200);
    // Nothing was lost: the account still logs in, and the refused sign-up never happened.
    expect(
      (
        await new Client(b.url).call('POST', '/api/auth/login', {
          username: name,
          password: 'a long password',
        })
      ).status,
    ).toBe(200);
    expect(
      (
        await new Client(b.url).call('POST', '/api/auth/login', {
          username: `x${name}`,
          password: 'a long password',
        })
      ).status,
    ).toBe(401);
    expect((await user.call('GET', '/readyz')).status).toBe(200);
  }, 120_000);

  it('with S3 stopped: an upload answers 503 and leaves no photo behind; after a restart uploads work', async () => {
    const user = new Client(b.url);
    expect(
      (
        await user.call('POST', '/api/auth/signup', {
          username: `s3${randomBytes(5).toString('hex')}`,
          password: 'a long password',
        })
      ).status,
    ).toBe(201);
    const jpeg = await makeJpeg(200, 150);
    const upload = async () => {
      const form = new FormData();
      form.append('caption', 'outage');
      form.append('photo', new Blob([jpeg], { type: 'image/jpeg' }), 'p.jpg');
      const res = await fetch(`${b.url}/api/photos`, {
        method: 'POST',
        body: form,
        headers: { cookie: user.cookie },
        signal: AbortSignal.timeout(20_000),
      });
      return { status: res.status, body: (await res.json()) as { message?: string } };
    };
    await s3.server.stop();
    try {
      const refused = await upload();
      expect(refused.status).toBe(503);
      expect(refused.body.message).toMatch(/s3/i);
      expect((await user.call('GET', '/api/photos?scope=profile')).body).toEqual([]);
    } finally {
      await s3.server.start();
    }
    const ok = await upload();
    expect(ok.status).toBe(201);
    expect((await user.call('GET', '/api/photos?scope=profile')).body).toHaveLength(1);
  }, 120_000);
});
