import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { PASSWORD, signedInAgent, username, useTestApp } from '../support/app';
import { makeJpeg } from '../support/images';

/** Pages without JavaScript: form posts, redirects, escaping, error pages. */
describe('pages', () => {
  const t = useTestApp();

  const XSS = '<script>alert("pwned")</script>';

  /** No inline script and no inline style anywhere: the CSP forbids both. */
  const expectNoInlineCode = (html: string) => {
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(html).not.toMatch(/\sstyle="/i);
    expect(html).not.toMatch(/\son[a-z]+="/i);
  };

  it('GET / for a visitor is the landing page with sign-up and log-in links', async () => {
    const res = await request(t.app).get('/').expect(200);
    expect(res.headers['content-type']).toMatch(/html/);
    expect(res.text).toMatch(/href="\/signup"/);
    expect(res.text).toMatch(/href="\/login"/);
    expectNoInlineCode(res.text);
  });

  it('POST /signup as a form signs up, redirects with 303, and the navigation shows the name', async () => {
    const agent = request.agent(t.app);
    const name = username('form');
    const res = await agent
      .post('/signup')
      .type('form')
      .send({ username: name, password: PASSWORD })
      .expect(303);
    expect(res.headers.location).toBe('/');
    const home = await agent.get('/').expect(200);
    expect(home.text).toContain(`id="nav-username"`);
    expect(home.text).toContain(name);
    expect(home.headers['cache-control']).toBe('no-store');
  });

  it('navigation: Home and All once each, no feed tabs, and "profile" is only your name in the header, leading to your profile page (marked current there)', async () => {
    const { agent, user } = await signedInAgent(t.app);
    for (const path of [
      '/',
      '/feed?scope=all',
      '/feed?scope=profile',
      `/users/${user.username}`,
      '/friends',
    ]) {
      const html = (await agent.get(path).expect(200)).text;
      expect(html.match(/id="nav-home"/g)).toHaveLength(1);
      expect(html.match(/id="nav-all"/g)).toHaveLength(1);
      expect(html).not.toContain('id="feed-tabs"');
      expect(html).not.toMatch(/>\s*Profile\s*</);
      const profileLink = /<a id="nav-profile"[^>]*>/.exec(html)?.[0] ?? '';
      expect(profileLink).toContain(`href="/users/${user.username}"`);
      expect(profileLink.includes('aria-current="page"')).toBe(path === `/users/${user.username}`);
    }
    expect((await agent.get('/feed?scope=profile').expect(200)).text).toMatch(/<h1>Your photos<\/h1>/);
  });

  it('POST /signup with a bad name re-renders the form with 400, the message and the typed name, escaped', async () => {
    const res = await request(t.app)
      .post('/signup')
      .type('form')
      .send({ username: `a b${XSS}`, password: PASSWORD })
      .expect(400);
    expect(res.text).toMatch(/username must be 3–30 letters/);
    expect(res.text).not.toContain(XSS);
    expect(res.text).toContain('&lt;script&gt;');
  });

  it('POST /login with a wrong password answers 401 with the form; the right one redirects to a local next only', async () => {
    const { user } = await signedInAgent(t.app);
    const logIn = (fields: { password: string; next?: string }) =>
      request(t.app)
        .post('/login')
        .type('form')
        .send({ username: user.username, ...fields });
    const wrong = await logIn({ password: 'nope nope nope' }).expect(401);
    expect(wrong.text).toContain('Invalid username or password.');
    const ok = await logIn({ password: PASSWORD, next: '/friends' }).expect(303);
    expect(ok.headers.location).toBe('/friends');
    const offsite = await logIn({ password: PASSWORD, next: '//evil.example/x' }).expect(303);
    expect(offsite.headers.location).toBe('/');
  });

  it('a signed-out visit to a page redirects to /login?next=', async () => {
    const res = await request(t.app).get('/friends').expect(303);
    expect(res.headers.location).toBe('/login?next=%2Ffriends');
  });

  it('an upload through the form redirects to the photo page, which shows caption and comments escaped', async () => {
    const { agent } = await signedInAgent(t.app);
    const res = await agent
      .post('/upload')
      .field('caption', `${XSS} ' OR 1=1 --`)
      .field('topic', 'Harbours')
      .attach('photo', await makeJpeg(320, 240), 'harbour.jpg')
      .expect(303);
    const location = String(res.headers.location);
    expect(location).toMatch(/^\/photos\/[0-9A-HJKMNP-TV-Z]{26}$/);
    await agent
      .post(`${location}/comments`)
      .type('form')
      .send({ text: `nice ${XSS}` })
      .expect(303);
    const page = await agent.get(location).expect(200);
    expect(page.text).not.toContain(XSS);
    expect(page.text).toContain('&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt;');
    expect(page.text).toContain('Harbours');
    expectNoInlineCode(page.text);
    const feed = await agent.get('/feed?scope=all').expect(200);
    expect(feed.text).toContain(location.split('/')[2]);
    // The first (largest) image of a page loads at once; the ones below it are lazy.
    expect(feed.text).toMatch(/<img[^>]*fetchpriority="high"/);
    expect(feed.text).not.toMatch(/<img[^>]*loading="lazy"/);
  });

  it('an upload of a text file through the form re-renders the upload page with 415 and the accepted types', async () => {
    const { agent } = await signedInAgent(t.app);
    const res = await agent
      .post('/upload')
      .field('caption', 'x')
      .attach('photo', Buffer.from('not an image'), 'photo.jpg')
      .expect(415);
    expect(res.text).toMatch(/JPEG, PNG, WebP, GIF, AVIF and HEIC/);
  });

  it('bad addresses get the error page: 404 for a malformed id as for a missing photo or user', async () => {
    const { agent } = await signedInAgent(t.app);
    const bad = await agent.get('/photos/..%2F..%2Fetc%2Fpasswd').expect(404);
    expect(bad.headers['content-type']).toMatch(/html/);
    expect(bad.text).toContain('No such photo.');
    await agent.get('/photos/01ARZ3NDEKTSV4RRFFQ69G5FAV').expect(404);
    await agent.get('/users/nobody_here_at_all').expect(404);
    const scope = await agent.get('/feed?scope=bogus').expect(400);
    expect(scope.text).toMatch(/scope must be home, profile or all/);
    expect(scope.text).not.toMatch(/at .*\.(ts|js):\d+/);
  });

  it('a form post from another site is refused with 403 and changes nothing', async () => {
    const { agent, user } = await signedInAgent(t.app);
    const other = await signedInAgent(t.app);
    await agent
      .post('/friends/request')
      .set('Origin', 'https://evil.example')
      .set('Sec-Fetch-Site', 'cross-site')
      .type('form')
      .send({ username: other.user.username })
      .expect(403);
    expect((await other.agent.get('/api/friends/requests')).body).toEqual([]);
    expect(user.id).toBeGreaterThan(0);
  });

  it('friends and chat work through forms: request, accept, message', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    await a.agent.post('/friends/request').type('form').send({ username: b.user.username }).expect(303);
    const friendsPage = await b.agent.get('/friends').expect(200);
    expect(friendsPage.text).toContain(a.user.username);
    expect(friendsPage.text).toMatch(/id="nav-requests-badge"/);
    const [incoming] = (await b.agent.get('/api/friends/requests')).body as { id: number }[];
    await b.agent
      .post('/friends/respond')
      .type('form')
      .send({ request_id: String(incoming?.id), action: 'accept' })
      .expect(303);
    await a.agent
      .post(`/chat/${b.user.username}`)
      .type('form')
      .send({ text: `hello ${XSS}` })
      .expect(303);
    const chat = await b.agent.get(`/chat/${a.user.username}`).expect(200);
    expect(chat.text).toContain('hello &lt;script&gt;');
    expectNoInlineCode(chat.text);
  });

  it('the chat form carries a request key, so posting it twice (a retry) stores the message once', async () => {
    const a = await signedInAgent(t.app);
    const b = await signedInAgent(t.app);
    await a.agent.post('/api/friends/request').send({ username: b.user.username }).expect(201);
    const [incoming] = (await b.agent.get('/api/friends/requests')).body as { id: number }[];
    await b.agent
      .post('/api/friends/respond')
      .send({ request_id: incoming?.id, action: 'accept' })
      .expect(200);
    const page = await a.agent.get(`/chat/${b.user.username}`).expect(200);
    const key = /name="request_key" value="([^"]+)"/.exec(page.text)?.[1];
    expect(key).toMatch(/^[0-9a-f-]{36}$/);
    for (let i = 0; i < 2; i++) {
      await a.agent
        .post(`/chat/${b.user.username}`)
        .type('form')
        .send({ text: 'once', request_key: key })
        .expect(303);
    }
    const list = (await a.agent.get(`/api/messages?user_id=${b.user.id}`).expect(200)).body as {
      text: string;
    }[];
    expect(list.map((m) => m.text)).toEqual(['once']);
    // A new page is a new form: its key differs.
    const next = await a.agent.get(`/chat/${b.user.username}`).expect(200);
    expect(/name="request_key" value="([^"]+)"/.exec(next.text)?.[1]).not.toBe(key);
  });
});
