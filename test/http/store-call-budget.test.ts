import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoreCall } from '../../src/ports';
import { BACKEND, makeTestApp, postPhoto, signedInAgent, type TestApp } from '../support/app';

/**
 * Store calls per request (issue 10), counted by the storage itself (createStorage's onCall):
 * the budgets each request type must keep, whatever the data. DynamoDB's are for the aws run of
 * test/http (the embedded backend makes none); the relational ones hold on both backends.
 */
describe('store calls per request', () => {
  const calls: StoreCall[] = [];
  let t: TestApp;
  let agent: ReturnType<typeof request.agent>;
  let photoId: string;
  let friendId: number;
  let lastMessageId: string;
  let friendAgent: ReturnType<typeof request.agent>;
  let myId: number;
  let friendName: string;

  beforeAll(async () => {
    t = await makeTestApp({}, { onStoreCall: (call) => calls.push(call) });
    const me = await signedInAgent(t.app);
    agent = me.agent;
    myId = me.user.id;
    const friends = [await signedInAgent(t.app), await signedInAgent(t.app), await signedInAgent(t.app)];
    for (const friend of friends) {
      const asked = await agent.post('/api/friends/request').send({ user_id: friend.user.id }).expect(201);
      await friend.agent
        .post('/api/friends/respond')
        .send({ request_id: (asked.body as { id: number }).id, action: 'accept' })
        .expect(200);
      await postPhoto(friend.agent);
    }
    photoId = await postPhoto(agent);
    for (const friend of friends) {
      await friend.agent.post(`/api/photos/${photoId}/comments`).send({ text: 'lovely light' }).expect(201);
      await friend.agent.post(`/api/photos/${photoId}/like`).expect(200);
    }
    // A comment naming someone, so the photo page also looks names up.
    await friends[0]!.agent
      .post(`/api/photos/${photoId}/comments`)
      .send({ text: `lovely, @${friends[1]!.user.username} and @${friends[2]!.user.username}` })
      .expect(201);
    await agent.post(`/api/photos/${photoId}/like`).expect(200);
    friendId = friends[0]!.user.id;
    friendName = friends[0]!.user.username;
    friendAgent = friends[0]!.agent;
    const sent = await friends[0]!.agent.post('/api/messages').send({ to_user_id: me.user.id, text: 'hi' });
    lastMessageId = (sent.body as { id: string }).id;
  });
  afterAll(() => t.close());

  /** The calls of one GET (the second of two, so per-worker caches are as in steady state). */
  async function callsOf(path: string): Promise<StoreCall[]> {
    await agent.get(path).expect(200);
    calls.length = 0;
    await agent.get(path).expect(200);
    return [...calls];
  }

  async function dynamoCallsOf(path: string): Promise<StoreCall[]> {
    return (await callsOf(path)).filter((c) => c.store === 'dynamodb');
  }

  it('GET /api/messages with nothing new reads the session, then the other person and the blocks in one statement', async () => {
    // Beside the read of the messages themselves (DynamoDB on aws, SQLite embedded).
    const relational = (await callsOf(`/api/messages?user_id=${friendId}&after=${lastMessageId}`)).filter(
      (c) => c.store !== 'dynamodb' && c.operation !== 'SELECT messages',
    );
    expect(relational.map((c) => c.operation)).toEqual(['SELECT sessions', 'SELECT blocks']);
  });

  it('GET /api/users/:id reads the person and the block check in one statement', async () => {
    const calls = await callsOf(`/api/users/${friendId}`);
    expect(calls.filter((c) => c.operation === 'SELECT users')).toHaveLength(0);
    expect(calls.filter((c) => c.operation === 'SELECT blocks')).toHaveLength(1);
  });

  it('GET /api/photos/:id/likes and GET /api/activity read the people they show in one statement each', async () => {
    for (const path of [`/api/photos/${photoId}/likes`, '/api/activity']) {
      const calls = await callsOf(path);
      expect(
        calls.filter((c) => c.operation === 'SELECT users'),
        path,
      ).toHaveLength(1);
    }
  });

  it('GET /photos/:id reads the blocks once, for the photo, its comments and the names they mention, and the names in one read', async () => {
    const calls = await callsOf(`/photos/${photoId}`);
    expect(calls.filter((c) => c.operation === 'SELECT users')).toHaveLength(1);
    expect(calls.filter((c) => c.operation === 'SELECT blocks')).toHaveLength(1);
  });

  it.skipIf(BACKEND !== 'aws')(
    'GET /api/photos/:id reads the photo and the viewer like in one call',
    async () => {
      expect((await dynamoCallsOf(`/api/photos/${photoId}`)).map((c) => c.operation)).toEqual([
        'BatchGetItem',
      ]);
    },
  );

  it.skipIf(BACKEND !== 'aws')(
    "GET /photos/:id reads the photo, the viewer's like, their badges and the comments in two calls",
    async () => {
      const page = await dynamoCallsOf(`/photos/${photoId}`);
      expect(page.map((c) => c.operation).sort()).toEqual(['BatchGetItem', 'Query']);
    },
  );

  it('a form post that redirects reads no navigation badges; one that shows its form again reads them', async () => {
    const key = (c: StoreCall) => `${c.store} ${c.operation}`;
    const badgeReads = (await callsOf('/api/badges')).map(key).filter((k) => !k.endsWith('sessions'));
    expect(badgeReads.length).toBeGreaterThan(0);

    calls.length = 0;
    await agent.post('/settings/sessions/others/end').type('form').send({}).expect(303);
    expect(calls.map(key).filter((k) => badgeReads.includes(k))).toEqual([]);

    calls.length = 0;
    const res = await agent
      .post('/settings/password')
      .type('form')
      .send({ current_password: 'not the password', new_password: 'another long password 1' })
      .expect(401);
    expect(res.text).toContain('That is not your current password.');
    expect(badgeReads.filter((k) => !calls.map(key).includes(k))).toEqual([]);
  });

  it.skipIf(BACKEND !== 'aws')(
    'a page that reads nothing of its own reads the nav badges in one call',
    async () => {
      expect((await dynamoCallsOf('/upload')).map((c) => c.operation)).toEqual(['GetItem']);
    },
  );

  it.skipIf(BACKEND !== 'aws')(
    'GET /chat/:username reads the messages, the entry it marks read and, after that, the badges: three calls',
    async () => {
      const page = await dynamoCallsOf(`/chat/${friendName}`);
      expect(page.map((c) => c.operation).sort()).toEqual(['GetItem', 'GetItem', 'Query']);
    },
  );

  it.skipIf(BACKEND !== 'aws')(
    'GET /api/messages that receives a message reads it and marks it read: two calls, as before the badge counters',
    async () => {
      const sent = await friendAgent
        .post('/api/messages')
        .send({ to_user_id: myId, text: 'news' })
        .expect(201);
      calls.length = 0;
      const res = await agent.get(`/api/messages?user_id=${friendId}&after=${lastMessageId}`).expect(200);
      expect((res.body as { id: string }[]).map((m) => m.id)).toEqual([(sent.body as { id: string }).id]);
      lastMessageId = (sent.body as { id: string }).id;
      const made = calls.filter((c) => c.store === 'dynamodb').map((c) => c.operation);
      expect(made).toEqual(['Query', 'TransactWriteItems']);
      expect((await agent.get('/api/badges').expect(200)).body).toMatchObject({ messages: 0 });
    },
  );

  it.skipIf(BACKEND !== 'aws')('GET /api/badges reads the unread counts in one call', async () => {
    expect((await dynamoCallsOf('/api/badges')).map((c) => c.operation)).toEqual(['GetItem']);
  });

  it.skipIf(BACKEND !== 'aws')(
    'a new activity event costs the next page one Query and the write of its count, once; a new message costs nothing',
    async () => {
      await dynamoCallsOf('/upload');
      await friendAgent.post(`/api/photos/${photoId}/comments`).send({ text: 'once more' }).expect(201);
      const sent = await friendAgent
        .post('/api/messages')
        .send({ to_user_id: myId, text: 'hey' })
        .expect(201);
      lastMessageId = (sent.body as { id: string }).id;
      calls.length = 0;
      await agent.get('/upload').expect(200);
      const next = calls.filter((c) => c.store === 'dynamodb').map((c) => c.operation);
      expect(next.sort()).toEqual(['GetItem', 'Query', 'UpdateItem']);
      expect((await dynamoCallsOf(`/photos/${photoId}`)).map((c) => c.operation).sort()).toEqual([
        'BatchGetItem',
        'Query',
      ]);
    },
  );

  it.skipIf(BACKEND !== 'aws')('GET /api/photos?scope=all takes at most two calls', async () => {
    expect((await dynamoCallsOf('/api/photos?scope=all&limit=50')).length).toBeLessThanOrEqual(2);
  });

  it.skipIf(BACKEND !== 'aws')(
    'GET /api/messages with nothing new after the last message takes exactly one call',
    async () => {
      const poll = await dynamoCallsOf(`/api/messages?user_id=${friendId}&after=${lastMessageId}`);
      expect(poll.map((c) => c.operation)).toEqual(['Query']);
    },
  );
});
