import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeJpeg } from '../support/images';
import { recordsMentioning, storedObjectKeys } from '../support/stores';
import {
  befriend,
  makeTestApp,
  PASSWORD,
  postPhoto,
  signedInAgent,
  username,
  type TestApp,
} from '../support/app';

describe('DELETE /api/users/me and the settings form', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await makeTestApp({ RATE_LIMIT_LOGIN_MAX: '3' });
  });
  afterAll(() => t.close());

  it('with the right password answers 204 and leaves nothing of the person in any store; their messages stay, nameless', async () => {
    const me = await signedInAgent(t.app, username('leaver'));
    const friend = await signedInAgent(t.app, username('stays'));
    const asker = await signedInAgent(t.app, username('asks'));
    await befriend(me, friend);
    await asker.agent.post('/api/friends/request').send({ username: me.user.username }).expect(201);
    const mine = await postPhoto(me.agent);
    const theirs = await postPhoto(friend.agent);
    await friend.agent.post(`/api/photos/${mine}/comments`).send({ text: 'nice one' }).expect(201);
    await friend.agent.post(`/api/photos/${mine}/like`).expect(200);
    await me.agent
      .post(`/api/photos/${theirs}/comments`)
      .send({ text: `hello @${friend.user.username}` })
      .expect(201);
    await me.agent.post(`/api/photos/${theirs}/like`).expect(200);
    await friend.agent.post(`/api/photos/${theirs}/comments`).send({ text: 'thanks' }).expect(201);
    await me.agent
      .put('/api/users/me/avatar')
      .attach('avatar', await makeJpeg(80, 80), 'me.jpg')
      .expect(200);
    await me.agent.post('/api/blocks').send({ username: asker.user.username }).expect(201);
    await me.agent
      .post('/api/reports')
      .send({ target_type: 'photo', target_id: theirs, reason: 'spam' })
      .expect(201);
    await friend.agent
      .post('/api/reports')
      .send({ target_type: 'user', target_id: String(me.user.id), reason: 'harassment' })
      .expect(201);
    await friend.agent
      .post('/api/reports')
      .send({ target_type: 'photo', target_id: mine, reason: 'spam' })
      .expect(201);
    await me.agent.post('/api/messages').send({ to_user_id: friend.user.id, text: 'from me' }).expect(201);
    await friend.agent.post('/api/messages').send({ to_user_id: me.user.id, text: 'to me' }).expect(201);
    expect((await recordsMentioning(t, me.user.username)).length).toBeGreaterThan(0);

    await me.agent.delete('/api/users/me').send({ password: PASSWORD }).expect(204);

    await me.agent.get('/api/auth/me').expect(401);
    expect(await recordsMentioning(t, me.user.username)).toEqual([]);
    await request(t.app)
      .post('/api/auth/login')
      .send({ username: me.user.username, password: PASSWORD })
      .expect(401);
    const objects = await storedObjectKeys(t);
    expect(objects.filter((key) => key.includes(mine) || key.startsWith(`avatars/${me.user.id}/`))).toEqual(
      [],
    );
    await friend.agent.get(`/api/photos/${mine}`).expect(404);
    // Reports: the person's own are gone; those about them and their photo are closed, kept.
    const reports = t.container.storage.reports;
    const open = (await reports.listGroups('open', 1000)).map((g) => g.target.id);
    const closed = (await reports.listGroups('closed', 1000)).map((g) => g.target.id);
    expect(open).not.toContain(theirs);
    expect(open).not.toContain(String(me.user.id));
    expect(open).not.toContain(mine);
    expect(closed).toEqual(expect.arrayContaining([String(me.user.id), mine]));

    // The others' counters equal their rows.
    const photo = (await friend.agent.get(`/api/photos/${theirs}`).expect(200)).body as {
      likes: number;
      comment_count: number;
    };
    expect(photo.likes).toBe(0);
    expect(photo.comment_count).toBe(1);
    const comments = (await friend.agent.get(`/api/photos/${theirs}/comments`).expect(200)).body as unknown[];
    expect(comments).toHaveLength(1);
    expect((await friend.agent.get('/api/friends').expect(200)).body).toEqual([]);
    expect((await asker.agent.get('/api/friends/requests?direction=outgoing').expect(200)).body).toEqual([]);
    const activity = (await friend.agent.get('/api/activity').expect(200)).body as
      { items?: unknown[] } | unknown[];
    expect(JSON.stringify(activity)).not.toContain(String(me.user.username));

    // Their conversation stays with the friend, from a deleted account; nobody can write to it.
    const conversations = (await friend.agent.get('/api/conversations').expect(200)).body as {
      user_id: number;
      username: string | null;
    }[];
    expect(conversations).toEqual([expect.objectContaining({ user_id: me.user.id, username: null })]);
    const chat = (await friend.agent.get(`/api/messages?user_id=${me.user.id}`).expect(200)).body as {
      text: string;
      from_username: string | null;
    }[];
    expect(chat.map((m) => [m.text, m.from_username])).toEqual([
      ['from me', null],
      ['to me', friend.user.username],
    ]);
    await friend.agent.post('/api/messages').send({ to_user_id: me.user.id, text: 'hello?' }).expect(404);
    // The pages too: the conversation list names a deleted account, whose chat is read only.
    const list = (await friend.agent.get('/chat').expect(200)).text;
    expect(list).toContain('deleted account');
    expect(list).toContain(`href="/chat/deleted/${me.user.id}"`);
    const page = (await friend.agent.get(`/chat/deleted/${me.user.id}`).expect(200)).text;
    expect(page).toContain('from me');
    expect(page).toContain('This account is deleted');
    expect(page).not.toContain('id="chat-form"');
    await friend.agent.get(`/chat/deleted/${asker.user.id}`).expect(404);

    // The name is free: a new account with it is someone new, who sees none of the old.
    const again = await signedInAgent(t.app, me.user.username);
    expect(again.user.id).not.toBe(me.user.id);
    expect((await again.agent.get('/api/photos?scope=profile').expect(200)).body).toEqual([]);
    expect((await again.agent.get('/api/conversations').expect(200)).body).toEqual([]);
    expect((await again.agent.get('/api/friends').expect(200)).body).toEqual([]);
    expect((await again.agent.get('/api/blocks').expect(200)).body).toEqual([]);
  });

  it('with a wrong password answers 401, counts like a failed log-in, and changes nothing', async () => {
    const me = await signedInAgent(t.app, username('keeps'));
    const photo = await postPhoto(me.agent);
    const res = await me.agent.delete('/api/users/me').send({ password: 'not my password' }).expect(401);
    expect(res.body).toEqual({
      message: 'That is not your password: the account was not deleted.',
      code: 'wrong_password',
    });
    await me.agent.get('/api/auth/me').expect(200);
    await me.agent.get(`/api/photos/${photo}`).expect(200);
    await me.agent.delete('/api/users/me').send({ password: 'still wrong' }).expect(401);
    await me.agent.delete('/api/users/me').send({ password: 'wrong again' }).expect(401);
    const limited = await me.agent.delete('/api/users/me').send({ password: PASSWORD }).expect(429);
    expect(limited.headers['retry-after']).toBeDefined();
    await me.agent.get('/api/auth/me').expect(200);
  });

  it('with no password, a non-text one, signed out or from another site answers 4xx and changes nothing', async () => {
    const me = await signedInAgent(t.app, username('stays'));
    const missing = await me.agent.delete('/api/users/me').send({}).expect(400);
    expect(missing.body).toEqual({ message: expect.stringMatching(/password/), code: 'invalid_input' });
    await me.agent.delete('/api/users/me').send({ password: 12345678 }).expect(400);
    await me.agent.delete('/api/users/me').expect(400);
    await request(t.app).delete('/api/users/me').send({ password: PASSWORD }).expect(401);
    await me.agent
      .delete('/api/users/me')
      .set('Origin', 'https://evil.example')
      .send({ password: PASSWORD })
      .expect(403);
    await me.agent.get('/api/auth/me').expect(200);
  });

  it('an account being deleted cannot log in and is hidden; finishing it frees the name', async () => {
    const me = await signedInAgent(t.app, username('halfway'));
    const other = await signedInAgent(t.app, username('looks'));
    await t.container.services.deletion.start(me.user.id);
    await me.agent.get('/api/auth/me').expect(401);
    const refused = await request(t.app)
      .post('/api/auth/login')
      .send({ username: me.user.username, password: PASSWORD })
      .expect(403);
    expect(refused.body).toEqual({ message: 'This account is being deleted.', code: 'account_deleting' });
    await other.agent.get(`/api/users/${me.user.id}`).expect(404);
    expect(await t.container.services.deletion.resumeAll()).toBe(1);
    expect(await t.container.storage.users.findById(me.user.id)).toBeNull();
    await signedInAgent(t.app, me.user.username);
  });

  it('a deletion that does not finish within the wait (the API then answers 202) goes on in the background', async () => {
    const me = await signedInAgent(t.app, username('slow'));
    await postPhoto(me.agent);
    const finished = await t.container.services.account.deleteAccount(me.user, PASSWORD, 0);
    expect(finished).toBe(false);
    await me.agent.get('/api/auth/me').expect(401);
    for (let i = 0; i < 200 && (await t.container.storage.users.findById(me.user.id)); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(await t.container.storage.users.findById(me.user.id)).toBeNull();
    expect(await recordsMentioning(t, me.user.username)).toEqual([]);
  });

  it('GET /settings shows the delete form; a wrong password shows the sentence beside it', async () => {
    const me = await signedInAgent(t.app, username('form'));
    const page = await me.agent.get('/settings').expect(200);
    expect(page.text).toContain('id="delete-form"');
    expect(page.text).toContain('action="/settings/delete"');
    const res = await me.agent
      .post('/settings/delete')
      .type('form')
      .send({ password: 'nope nope' })
      .expect(401);
    expect(res.text).toContain('That is not your password: the account was not deleted.');
    expect(res.text).toContain('id="delete-error"');
    await me.agent.post('/settings/delete').type('form').send({}).expect(400);
    await me.agent
      .post('/settings/delete')
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ password: PASSWORD })
      .expect(403);
    await me.agent.get('/api/auth/me').expect(200);
  });

  it('POST /settings/delete with the password deletes the account and says goodbye, signed out', async () => {
    const me = await signedInAgent(t.app, username('bye'));
    await postPhoto(me.agent);
    await me.agent
      .post('/settings/delete')
      .type('form')
      .send({ password: PASSWORD })
      .expect(303)
      .expect('Location', '/goodbye');
    const bye = await me.agent.get('/goodbye').expect(200);
    expect(bye.text).toContain('Your account is deleted');
    await me.agent.get('/api/auth/me').expect(401);
    expect(await recordsMentioning(t, me.user.username)).toEqual([]);
  });
});
