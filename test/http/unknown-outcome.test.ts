import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Unavailable } from '../../src/domain/errors';
import type { Storage } from '../../src/ports';
import { BACKEND, makeTestApp, signedInAgent, type TestApp } from '../support/app';
import { makeJpeg } from '../support/images';

/**
 * Issue 9 §2: a store call that timed out may still have landed. Here the named store method
 * does its write and then fails as a timeout would (Unavailable), once: the answer is 503, and
 * nothing that may have landed is undone; the same request sent again with the same
 * Idempotency-Key is stored once.
 */
type Landing = { store: 'photos' | 'comments' | 'messages'; method: string } | null;

/**
 * Makes the backend's own store objects (the ones the services hold) fail once, after the
 * write, when `armed.next` names the call.
 */
function landThenTimeout(storage: Storage, armed: { next: Landing }): void {
  for (const name of ['photos', 'comments', 'messages'] as const) {
    const store = storage[name] as unknown as Record<string, unknown>;
    for (const method of ['create', 'add', 'send', 'like']) {
      const real = store[method];
      if (typeof real !== 'function') continue;
      store[method] = async (...args: unknown[]) => {
        const result: unknown = await (real as (...a: unknown[]) => Promise<unknown>).apply(store, args);
        if (armed.next?.store === name && armed.next.method === method) {
          armed.next = null;
          throw new Unavailable(BACKEND === 'aws' ? 'dynamodb' : 'sqlite');
        }
        return result;
      };
    }
  }
}

describe('a write that times out may still land (a store call that lands, then fails as a timeout would)', () => {
  let t: TestApp;
  let jpeg: Buffer;
  const armed: { next: Landing } = { next: null };

  beforeAll(async () => {
    t = await makeTestApp();
    landThenTimeout(t.container.storage, armed);
    jpeg = await makeJpeg(320, 240);
  });
  afterAll(() => t.close());

  it('POST /api/photos whose metadata write lands then times out: 503, the photo is listed with both images, and a retry with the same key stores it once', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const send = () =>
      agent
        .post('/api/photos')
        .set('Idempotency-Key', `upload-${user.id}-0001`)
        .field('caption', 'landed')
        .attach('photo', jpeg, 'a.jpg');
    armed.next = { store: 'photos', method: 'create' };
    await send().expect(503);
    const listed = (await agent.get(`/api/photos?scope=profile`).expect(200)).body as {
      id: string;
      thumbnail: string;
      fullRes: string;
    }[];
    expect(listed).toHaveLength(1);
    await agent.get(listed[0]!.thumbnail).expect(200);
    await agent.get(listed[0]!.fullRes).expect(200);

    const retried = await send().expect(201);
    expect(retried.body.id).toBe(listed[0]!.id);
    expect((await agent.get(`/api/photos?scope=profile`).expect(200)).body).toHaveLength(1);
  });

  it('POST /api/photos/:id/comments that lands then times out is stored once when retried with the same key', async () => {
    const { agent } = await signedInAgent(t.app);
    const photo = (await agent.post('/api/photos').attach('photo', jpeg, 'a.jpg').expect(201)).body;
    const send = () =>
      agent
        .post(`/api/photos/${photo.id}/comments`)
        .set('Idempotency-Key', 'comment-key-0001')
        .send({ text: 'once' });
    armed.next = { store: 'comments', method: 'add' };
    await send().expect(503);
    const retried = await send().expect(201);
    const list = (await agent.get(`/api/photos/${photo.id}/comments`).expect(200)).body as { id: string }[];
    expect(list.map((c) => c.id)).toEqual([retried.body.id]);
    expect((await agent.get(`/api/photos/${photo.id}`).expect(200)).body.comment_count).toBe(1);
  });

  it('POST /api/messages that lands then times out is stored once when retried with the same key', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    const sent = await a.agent.post('/api/friends/request').send({ username: b.user.username }).expect(201);
    await b.agent
      .post('/api/friends/respond')
      .send({ request_id: sent.body.id, action: 'accept' })
      .expect(200);
    const send = () =>
      a.agent
        .post('/api/messages')
        .set('Idempotency-Key', 'message-key-0001')
        .send({ to_user_id: b.user.id, text: 'once' });
    armed.next = { store: 'messages', method: 'send' };
    await send().expect(503);
    const retried = await send().expect(201);
    const list = (await b.agent.get(`/api/messages?user_id=${a.user.id}`).expect(200)).body as {
      id: string;
    }[];
    expect(list.map((m) => m.id)).toEqual([retried.body.id]);
  });

  it('POST /api/photos/:id/like that lands then times out counts once when retried', async () => {
    const owner = await signedInAgent(t.app);
    const fan = await signedInAgent(t.app);
    const photo = (await owner.agent.post('/api/photos').attach('photo', jpeg, 'a.jpg').expect(201)).body;
    armed.next = { store: 'photos', method: 'like' };
    await fan.agent.post(`/api/photos/${photo.id}/like`).expect(503);
    expect((await fan.agent.post(`/api/photos/${photo.id}/like`).expect(200)).body).toEqual({
      likes: 1,
      liked: true,
    });
  });
});
