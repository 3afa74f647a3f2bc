import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { befriend, makeTestApp, signedInAgent, type TestApp } from '../support/app';
import { makeJpeg } from '../support/images';
import { newId } from '../../src/lib/ulid';

type Person = Awaited<ReturnType<typeof signedInAgent>>;
interface Entry {
  id: string;
  kind: string;
  actors: { id: number; username: string; avatar: string | null; bio: string }[];
  actor_count: number;
  photo: { id: string; thumbnail: string } | null;
  text: string;
  created_at: string;
  read: boolean;
}

describe('activity', () => {
  let t: TestApp;
  let jpeg: Buffer;
  beforeAll(async () => {
    t = await makeTestApp();
    jpeg = await makeJpeg(64, 48);
  });
  afterAll(() => t.close());

  const people = (n: number) => Promise.all(Array.from({ length: n }, () => signedInAgent(t.app)));
  const post = async (p: Person, caption = 'a photo') =>
    (await p.agent.post('/api/photos').field('caption', caption).attach('photo', jpeg, 'p.jpg').expect(201))
      .body as { id: string };
  const feed = async (p: Person, query = '') =>
    (await p.agent.get(`/api/activity${query}`).expect(200)).body as Entry[];
  const badges = async (p: Person) =>
    (await p.agent.get('/api/badges').expect(200)).body as {
      requests: number;
      messages: number;
      activity: number;
    };

  it('likes on your photo are one entry per photo and day: "ada, ben and 3 others liked your photo"; your own like tells nobody', async () => {
    const [owner, ...fans] = await people(6);
    const photo = await post(owner!);
    await owner!.agent.post(`/api/photos/${photo.id}/like`).expect(200);
    expect(await feed(owner!)).toEqual([]);
    for (const fan of fans) await fan.agent.post(`/api/photos/${photo.id}/like`).expect(200);
    // Liking again changes nothing.
    await fans[4]!.agent.post(`/api/photos/${photo.id}/like`).expect(200);
    const entries = await feed(owner!);
    expect(entries).toHaveLength(1);
    const [e5, e4] = [fans[4]!.user, fans[3]!.user];
    expect(entries[0]).toEqual({
      id: expect.any(String),
      kind: 'like',
      actors: [e5, e4, fans[2]!.user].map((u) => ({ id: u.id, username: u.username, avatar: null, bio: '' })),
      actor_count: 5,
      photo: { id: photo.id, thumbnail: `/api/photos/${photo.id}/image/thumb` },
      text: `${e5.username}, ${e4.username} and 3 others liked your photo.`,
      created_at: expect.any(String),
      read: false,
    });
    expect((await badges(owner!)).activity).toBe(5);
  });

  it('unliking takes the event back; the entry then names only who still likes it', async () => {
    const [owner, a, b] = await people(3);
    const photo = await post(owner!);
    await a!.agent.post(`/api/photos/${photo.id}/like`).expect(200);
    await b!.agent.post(`/api/photos/${photo.id}/like`).expect(200);
    await b!.agent.delete(`/api/photos/${photo.id}/like`).expect(200);
    const [entry] = await feed(owner!);
    expect(entry).toMatchObject({ actor_count: 1, text: `${a!.user.username} liked your photo.` });
    await a!.agent.delete(`/api/photos/${photo.id}/like`).expect(200);
    expect(await feed(owner!)).toEqual([]);
    expect((await badges(owner!)).activity).toBe(0);
  });

  it('a comment tells the owner, earlier commenters and the people it mentions, each once, never its author; deleting it takes them back', async () => {
    const [owner, first, second, named] = await people(4);
    const photo = await post(owner!);
    await first!.agent.post(`/api/photos/${photo.id}/comments`).send({ text: 'Lovely' }).expect(201);
    const comment = (
      await second!.agent
        .post(`/api/photos/${photo.id}/comments`)
        .send({ text: `Agree! @${named!.user.username} @${owner!.user.username} @nobody_zz_404 look` })
        .expect(201)
    ).body as { id: string };
    const ownerSees = await feed(owner!);
    expect(ownerSees.map((e) => [e.kind, e.actor_count])).toEqual([['comment', 2]]);
    expect(ownerSees[0]!.text).toBe(
      `${second!.user.username} and ${first!.user.username} commented on your photo.`,
    );
    expect((await feed(first!)).map((e) => [e.kind, e.text])).toEqual([
      ['comment', `${second!.user.username} also commented on a photo you commented on.`],
    ]);
    expect((await feed(named!)).map((e) => [e.kind, e.text])).toEqual([
      ['mention', `${second!.user.username} mentioned you.`],
    ]);
    expect(await feed(second!)).toEqual([]);
    await second!.agent.delete(`/api/photos/${photo.id}/comments/${comment.id}`).expect(204);
    expect(await feed(named!)).toEqual([]);
    expect(await feed(first!)).toEqual([]);
    expect((await feed(owner!))[0]).toMatchObject({ actor_count: 1 });
  });

  it('a caption mention tells the person named; deleting the photo takes every event of it away', async () => {
    const [owner, named, fan] = await people(3);
    const photo = await post(owner!, `Low tide with @${named!.user.username}`);
    await fan!.agent.post(`/api/photos/${photo.id}/like`).expect(200);
    expect((await feed(named!)).map((e) => e.kind)).toEqual(['mention']);
    expect((await feed(owner!)).map((e) => e.kind)).toEqual(['like']);
    await owner!.agent.delete(`/api/photos/${photo.id}`).expect(204);
    expect(await feed(named!)).toEqual([]);
    expect(await feed(owner!)).toEqual([]);
  });

  it('a caption edit that adds a mention tells only the newly mentioned (not those already named, not the author, not across a block, not a name of nobody); removing a mention takes its event back; the edit form does the same', async () => {
    const [owner, old, fresh, blocker, viaForm] = await people(5);
    const photo = await post(owner!, `Low tide with @${old!.user.username}`);
    await blocker!.agent.post('/api/blocks').send({ user_id: owner!.user.id }).expect(201);
    const caption = [
      `Low tide with @${old!.user.username}`,
      `@${fresh!.user.username}`,
      `@${owner!.user.username}`,
      `@${blocker!.user.username}`,
      '@nobody_by_this_name',
    ].join(' and ');
    await owner!.agent.patch(`/api/photos/${photo.id}`).send({ caption }).expect(200);
    expect((await feed(old!)).map((e) => e.kind)).toEqual(['mention']);
    expect((await feed(fresh!)).map((e) => [e.kind, e.photo?.id])).toEqual([['mention', photo.id]]);
    expect(await feed(owner!)).toEqual([]);
    expect(await feed(blocker!)).toEqual([]);
    // Editing again without changing who is named tells nobody twice.
    await owner!.agent
      .patch(`/api/photos/${photo.id}`)
      .send({ caption: `${caption}!` })
      .expect(200);
    expect((await feed(fresh!)).length).toBe(1);
    await owner!.agent
      .patch(`/api/photos/${photo.id}`)
      .send({ caption: `Low tide with @${fresh!.user.username}` })
      .expect(200);
    expect(await feed(old!)).toEqual([]);
    expect((await feed(fresh!)).length).toBe(1);
    await owner!.agent
      .post(`/photos/${photo.id}/edit`)
      .type('form')
      .send({ caption: `Now with @${viaForm!.user.username}`, topic: '', alt: '' })
      .expect(303);
    expect((await feed(viaForm!)).map((e) => e.kind)).toEqual(['mention']);
    expect(await feed(fresh!)).toEqual([]);
  });

  it('friend requests: the receiver hears of the request, the requester of the acceptance; a cancelled request leaves nothing', async () => {
    const [ann, bo, cy] = await people(3);
    const sent = (await ann!.agent.post('/api/friends/request').send({ user_id: bo!.user.id }).expect(201))
      .body;
    expect((await feed(bo!)).map((e) => [e.kind, e.text, e.photo])).toEqual([
      ['friend_request', `${ann!.user.username} sent you a friend request.`, null],
    ]);
    expect(await badges(bo!)).toEqual({ requests: 1, messages: 0, activity: 1 });
    await bo!.agent.post('/api/friends/respond').send({ request_id: sent.id, action: 'accept' }).expect(200);
    expect((await feed(ann!)).map((e) => [e.kind, e.text])).toEqual([
      ['friend_accept', `${bo!.user.username} accepted your friend request.`],
    ]);
    const other = (await cy!.agent.post('/api/friends/request').send({ user_id: ann!.user.id }).expect(201))
      .body;
    expect((await feed(ann!, '?kind=friend_request')).length).toBe(1);
    await cy!.agent.delete(`/api/friends/requests/${other.id}`).expect(204);
    expect(await feed(ann!, '?kind=friend_request')).toEqual([]);
  });

  it('blocks: a person who blocks the actor is not told, and a block hides what the blocked person did before', async () => {
    const [owner, fan, named] = await people(3);
    const photo = await post(owner!);
    await fan!.agent.post(`/api/photos/${photo.id}/like`).expect(200);
    expect((await feed(owner!)).map((e) => e.actor_count)).toEqual([1]);
    await owner!.agent.post('/api/blocks').send({ user_id: fan!.user.id }).expect(201);
    expect(await feed(owner!)).toEqual([]);
    // Someone who blocks the author is not told of a mention.
    await named!.agent.post('/api/blocks').send({ user_id: owner!.user.id }).expect(201);
    await post(owner!, `Hello @${named!.user.username}`);
    expect(await feed(named!)).toEqual([]);
  });

  it('blocks: what the blocked person sent or did before leaves the badges of both, and unblocking does not bring it back', async () => {
    const [me, other] = await people(2);
    await befriend(me!, other!);
    const mine = await post(me!);
    const theirs = await post(other!);
    await other!.agent.post(`/api/photos/${mine.id}/like`).expect(200);
    await me!.agent.post(`/api/photos/${theirs.id}/comments`).send({ text: 'nice' }).expect(201);
    await other!.agent.post('/api/messages').send({ to_user_id: me!.user.id, text: 'one' }).expect(201);
    await other!.agent.post('/api/messages').send({ to_user_id: me!.user.id, text: 'two' }).expect(201);
    await me!.agent.post('/api/messages').send({ to_user_id: other!.user.id, text: 'back' }).expect(201);
    expect(await badges(me!)).toEqual({ requests: 0, messages: 2, activity: 2 });
    expect(await badges(other!)).toEqual({ requests: 0, messages: 1, activity: 2 });

    await me!.agent.post('/api/blocks').send({ user_id: other!.user.id }).expect(201);
    for (const p of [me!, other!]) {
      expect(await badges(p)).toEqual({ requests: 0, messages: 0, activity: 0 });
      expect(await feed(p)).toEqual([]);
    }
    // Blocking again (a retry) answers 409 and changes nothing.
    await me!.agent.post('/api/blocks').send({ user_id: other!.user.id }).expect(409);
    await me!.agent.delete(`/api/blocks/${other!.user.id}`).expect(204);
    for (const p of [me!, other!]) {
      expect(await badges(p)).toEqual({ requests: 0, messages: 0, activity: 0 });
      expect(await feed(p)).toEqual([]);
    }
    // The conversation itself is theirs to read again.
    const history = await me!.agent.get(`/api/messages?user_id=${other!.user.id}`).expect(200);
    expect((history.body as { text: string }[]).map((m) => m.text)).toEqual(['one', 'two', 'back']);
  });

  it('kind filters, cursor pages without repeats, and marking read', async () => {
    const [owner, fan] = await people(2);
    const photos = [await post(owner!), await post(owner!), await post(owner!)];
    for (const p of photos) {
      await fan!.agent.post(`/api/photos/${p.id}/like`).expect(200);
      await fan!.agent.post(`/api/photos/${p.id}/comments`).send({ text: 'nice' }).expect(201);
    }
    expect((await feed(owner!, '?kind=like')).map((e) => e.kind)).toEqual(['like', 'like', 'like']);
    expect((await feed(owner!, '?kind=like,comment')).length).toBe(6);
    const seen: string[] = [];
    let url: string | undefined = '/api/activity?limit=4';
    for (let i = 0; url && i < 10; i++) {
      const res: request.Response = await owner!.agent.get(url).expect(200);
      seen.push(...(res.body as Entry[]).map((e) => e.id));
      url = /<([^>]+)>; rel="next"/.exec(String(res.headers.link ?? ''))?.[1];
    }
    expect(seen).toHaveLength(6);
    expect(new Set(seen).size).toBe(6);
    expect((await badges(owner!)).activity).toBe(6);
    await owner!.agent.post('/api/activity/read').expect(204);
    expect((await badges(owner!)).activity).toBe(0);
    expect((await feed(owner!)).every((e) => e.read)).toBe(true);
  });

  it('bad input: a cursor that is not one, an unknown kind, a bad limit are 400; anonymous is 401', async () => {
    const [p] = await people(1);
    for (const query of [
      '?before=yesterday',
      '?before=2026-13-45.1',
      '?kind=pokes',
      '?kind=like,pokes',
      '?limit=0',
    ]) {
      const res = await p!.agent.get(`/api/activity${query}`).expect(400);
      expect(res.body.message).toEqual(expect.any(String));
    }
    await request(t.app).get('/api/activity').expect(401);
    await request(t.app).get('/api/badges').expect(401);
    await request(t.app).post('/api/activity/read').expect(401);
  });

  it('the nav badges show on the photo page, on a conversation (counted after reading it), and on the error page of a missing photo or person', async () => {
    const [owner, fan] = await people(2);
    await befriend(owner!, fan!);
    const photo = await post(owner!);
    // The owner's activity: the accepted request and the like.
    await fan!.agent.post(`/api/photos/${photo.id}/like`).expect(200);
    await fan!.agent.post('/api/messages').send({ to_user_id: owner!.user.id, text: 'one' }).expect(201);
    await fan!.agent.post('/api/messages').send({ to_user_id: owner!.user.id, text: 'two' }).expect(201);
    const photoPage = (await owner!.agent.get(`/photos/${photo.id}`).expect(200)).text;
    expect(photoPage).toMatch(/id="nav-activity-badge"[^>]*>2</);
    expect(photoPage).toMatch(/id="nav-unread-badge"[^>]*>2</);
    for (const missing of [`/photos/${newId()}`, '/chat/nobody_here_at_all']) {
      const page = (await owner!.agent.get(missing).expect(404)).text;
      expect(page).toMatch(/id="nav-activity-badge"[^>]*>2</);
      expect(page).toMatch(/id="nav-unread-badge"[^>]*>2</);
    }
    const chat = (await owner!.agent.get(`/chat/${fan!.user.username}`).expect(200)).text;
    expect(chat).not.toContain('id="nav-unread-badge"');
    expect(chat).toMatch(/id="nav-activity-badge"[^>]*>2</);
    expect((await owner!.agent.get('/api/badges').expect(200)).body).toEqual({
      requests: 0,
      messages: 0,
      activity: 2,
    });
  });

  it('the /activity page lists entries with links, marks them read on opening, and the nav shows the unread count on every page', async () => {
    const [owner, fan] = await people(2);
    const photo = await post(owner!);
    await fan!.agent.post(`/api/photos/${photo.id}/like`).expect(200);
    const home = (await owner!.agent.get('/').expect(200)).text;
    expect(home).toMatch(/id="nav-activity-badge"[^>]*>1</);
    expect(home).toMatch(/<script src="\/js\/badges[^"]*\.js" defer>/);
    const page = (await owner!.agent.get('/activity').expect(200)).text;
    expect(page).toContain(`${fan!.user.username} liked your photo.`);
    expect(page).toContain(`href="/photos/${photo.id}"`);
    expect(page).toContain('is-unread');
    expect(page).not.toContain('id="nav-activity-badge"');
    expect((await owner!.agent.get('/activity').expect(200)).text).not.toContain('is-unread');
    await owner!.agent.get('/activity?before=nope').expect(400);
  });
});
