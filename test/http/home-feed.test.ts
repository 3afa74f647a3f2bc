import request from 'supertest';
import { beforeAll, describe, expect, it } from 'vitest';
import { signedInAgent, useTestApp } from '../support/app';
import { makeJpeg } from '../support/images';

type Person = Awaited<ReturnType<typeof signedInAgent>>;

describe('Home feed of posts, likes lists and the photo viewer', () => {
  const t = useTestApp();
  let jpeg: Buffer;
  beforeAll(async () => {
    jpeg = await makeJpeg(1200, 800);
  });

  const post = async (p: Person, caption = 'a photo') =>
    (await p.agent.post('/api/photos').field('caption', caption).attach('photo', jpeg, 'p.jpg').expect(201))
      .body as { id: string };
  async function friends(a: Person, b: Person) {
    const sent = (await a.agent.post('/api/friends/request').send({ user_id: b.user.id }).expect(201)).body;
    await b.agent.post('/api/friends/respond').send({ request_id: sent.id, action: 'accept' }).expect(200);
  }

  it('Home shows one column of posts: author, large image with its shape, like and comment forms, likes link, linked caption, newest two comments', async () => {
    const me = await signedInAgent(t.app);
    const friend = await signedInAgent(t.app);
    await friends(me, friend);
    const photo = await post(friend, `Low tide #Beach with @${me.user.username} and @nobody_zz_9`);
    for (const text of ['first', 'second', 'third']) {
      await me.agent.post(`/api/photos/${photo.id}/comments`).send({ text }).expect(201);
    }
    await me.agent.post(`/api/photos/${photo.id}/like`).expect(200);
    const home = (await me.agent.get('/').expect(200)).text;
    const card = home.slice(home.indexOf(`id="post-${photo.id}"`));
    expect(home).toContain('id="post-list"');
    expect(home).not.toContain('id="photo-grid"');
    expect(card).toContain(`href="/users/${friend.user.username}"`);
    expect(card).toMatch(/<img[^>]*class="post-image"[^>]*width="1200" height="800"/);
    expect(card).toContain(`action="/photos/${photo.id}/unlike"`);
    expect(card).toContain(`name="back" value="/#post-${photo.id}"`);
    expect(card).toContain(`action="/photos/${photo.id}/comments"`);
    expect(card).toContain(
      `href="/photos/${photo.id}/likes"><span class="like-count">1</span> <span class="like-noun">like</span>`,
    );
    expect(card).toContain('<a class="hashtag" href="/feed?scope=all&amp;q=beach">#Beach</a>');
    expect(card).toContain(`<a class="mention" href="/users/${me.user.username}">@${me.user.username}</a>`);
    expect(card).not.toContain('href="/users/nobody_zz_9"');
    expect(card).toContain('View all 3 comments');
    const comments = card.slice(card.indexOf('post-comments'), card.indexOf('post-comment-form'));
    expect(comments).toContain('second');
    expect(comments).toContain('third');
    expect(comments).not.toContain('first');
    // All stays a grid.
    expect((await me.agent.get('/feed?scope=all').expect(200)).text).toContain('id="photo-grid"');
  });

  it('the newest comments under a post leave out people hidden from the viewer, and the next newest take their place', async () => {
    const me = await signedInAgent(t.app);
    const friend = await signedInAgent(t.app);
    const stranger = await signedInAgent(t.app);
    await friends(me, friend);
    const photo = await post(me);
    const say = (p: Person, text: string) =>
      p.agent.post(`/api/photos/${photo.id}/comments`).send({ text }).expect(201);
    await say(friend, 'older one');
    await say(friend, 'older two');
    for (const n of [1, 2, 3]) await say(stranger, `from the stranger ${n}`);
    await me.agent.post('/api/blocks').send({ user_id: stranger.user.id }).expect(201);

    const home = (await me.agent.get('/').expect(200)).text;
    const card = home.slice(home.indexOf(`id="post-${photo.id}"`));
    const comments = card.slice(card.indexOf('post-comments'), card.indexOf('post-comment-form'));
    expect(comments).toContain('older one');
    expect(comments).toContain('older two');
    expect(comments).not.toContain('from the stranger');
  });

  it('the like and comment forms of a post work without JavaScript and come back to the post; a foreign back address is ignored', async () => {
    const me = await signedInAgent(t.app);
    const photo = await post(me);
    await me.agent
      .post(`/photos/${photo.id}/like`)
      .type('form')
      .send({ back: `/#post-${photo.id}` })
      .expect(303)
      .expect('Location', `/#post-${photo.id}`);
    expect((await me.agent.get(`/api/photos/${photo.id}`)).body.liked_by_me).toBe(true);
    await me.agent
      .post(`/photos/${photo.id}/unlike`)
      .type('form')
      .send({ back: '//evil.example/x' })
      .expect(303)
      .expect('Location', `/photos/${photo.id}#like-form`);
    await me.agent
      .post(`/photos/${photo.id}/comments`)
      .type('form')
      .send({ text: 'from the feed', back: `/#post-${photo.id}` })
      .expect(303)
      .expect('Location', `/#post-${photo.id}`);
    expect((await me.agent.get(`/api/photos/${photo.id}`)).body.comment_count).toBe(1);
  });

  it('Home pages with an "Older" link; the first image loads at once and the others lazily', async () => {
    const me = await signedInAgent(t.app);
    for (let i = 0; i < 3; i++) await post(me, `page ${i}`);
    const first = (await me.agent.get('/feed?scope=home&limit=2').expect(200)).text;
    const older = /<a id="load-more"[^>]*href="([^"]+)"/.exec(first)?.[1]?.replace(/&amp;/g, '&');
    expect(older).toMatch(/before=/);
    const images = first.match(/<img [^>]*class="post-image"[^>]*>/g) ?? [];
    expect(images).toHaveLength(2);
    expect(images[0]).toContain('fetchpriority="high"');
    expect(images[1]).toContain('loading="lazy"');
    const second = (await me.agent.get(older!).expect(200)).text;
    expect(second.match(/class="post card"/g)).toHaveLength(1);
    expect(second).not.toContain('id="load-more"');
  });

  it('GET /api/photos/:id/likes lists who liked, newest first, in cursor pages; 404 for a missing photo, 400 for a bad cursor', async () => {
    const owner = await signedInAgent(t.app);
    const fans = await Promise.all([0, 1, 2].map(() => signedInAgent(t.app)));
    const photo = await post(owner);
    for (const fan of fans) {
      await fan.agent.post(`/api/photos/${photo.id}/like`).expect(200);
      await new Promise((r) => setTimeout(r, 5));
    }
    const seen: number[] = [];
    let url: string | undefined = `/api/photos/${photo.id}/likes?limit=2`;
    for (let i = 0; url && i < 5; i++) {
      const res: request.Response = await owner.agent.get(url).expect(200);
      for (const u of res.body as { id: number; username: string }[]) {
        expect(Object.keys(u)).toEqual(expect.arrayContaining(['id', 'username']));
        seen.push(u.id);
      }
      url = /<([^>]+)>; rel="next"/.exec(String(res.headers.link ?? ''))?.[1];
    }
    expect(seen).toEqual(fans.map((f) => f.user.id).reverse());
    await owner.agent.get('/api/photos/01ARZ3NDEKTSV4RRFFQ69G5FAV/likes').expect(404);
    await owner.agent.get(`/api/photos/${photo.id}/likes?before=yesterday`).expect(400);
    await request(t.app).get(`/api/photos/${photo.id}/likes`).expect(401);
    const page = (await owner.agent.get(`/photos/${photo.id}/likes`).expect(200)).text;
    for (const fan of fans) expect(page).toContain(`href="/users/${fan.user.username}"`);
  });

  it('the photo opens large inside Lumina (/photos/:id/view) with close and a step to the next photo', async () => {
    const me = await signedInAgent(t.app);
    const older = await post(me, 'older');
    const newer = await post(me, 'newer');
    const page = (await me.agent.get(`/photos/${newer.id}`).expect(200)).text;
    expect(page).toContain(`href="/photos/${newer.id}/view"`);
    expect(page).not.toMatch(/<a href="\/api\/photos\/[^"]+\/image\/full"/);
    const view = (await me.agent.get(`/photos/${newer.id}/view`).expect(200)).text;
    expect(view).toContain('id="viewer-image"');
    expect(view).toContain(`id="viewer-close" class="btn btn-secondary" href="/photos/${newer.id}"`);
    expect(view).toContain(`href="/photos/${older.id}/view"`);
    expect((await me.agent.get(`/photos/${older.id}/view`).expect(200)).text).not.toContain(
      'id="viewer-next"',
    );
  });

  it('deleting a comment and unfriending ask first; on phones the search card waits behind a Search link', async () => {
    const me = await signedInAgent(t.app);
    const friend = await signedInAgent(t.app);
    await friends(me, friend);
    const photo = await post(me);
    await me.agent.post(`/api/photos/${photo.id}/comments`).send({ text: 'oops' }).expect(201);
    const page = (await me.agent.get(`/photos/${photo.id}`).expect(200)).text;
    expect(page).toMatch(
      /<details class="confirm comment-confirm">\s*<summary[^>]*>Delete<\/summary>[\s\S]*?<form class="comment-delete"/,
    );
    const list = (await me.agent.get('/friends').expect(200)).text;
    expect(list).toMatch(
      /<details class="confirm unfriend-confirm">\s*<summary[^>]*>Unfriend<\/summary>[\s\S]*?<form class="unfriend-form"/,
    );
    const feed = (await me.agent.get('/').expect(200)).text;
    expect(feed).toContain(
      '<p class="search-toggle"><a class="btn btn-secondary btn-sm" href="#feed-search">',
    );
    expect((await me.agent.get('/feed?scope=all&q=tide').expect(200)).text).toContain(
      'class="search-bar card is-filtered"',
    );
  });
});
