import Database from 'better-sqlite3';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  newSession,
  shootAndCheck,
  signUpThroughForm,
  uniqueName,
  useSiteAndBrowser,
} from '../support/browser';
import { makeJpeg } from '../support/images';

/** A JSON call from inside the page (its session cookie, same origin); the answer's body. */
async function call(page: Page, method: string, path: string, body?: unknown): Promise<unknown> {
  return page.evaluate(
    async ({ method, path, body }) => {
      const res = await fetch(path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!res.ok) throw new Error(`${method} ${path}: ${res.status}`);
      return res.status === 204 ? null : res.json();
    },
    { method, path, body },
  );
}

/** Uploads a JPEG from inside the page; the new photo's id. */
async function upload(page: Page, jpeg: Buffer, caption: string): Promise<string> {
  return page.evaluate(
    async ({ base64, caption }) => {
      const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
      const form = new FormData();
      form.set('caption', caption);
      form.set('photo', new Blob([bytes], { type: 'image/jpeg' }), 'p.jpg');
      const res = await fetch('/api/photos', { method: 'POST', body: form });
      if (res.status !== 201) throw new Error(`upload: ${res.status}`);
      return ((await res.json()) as { id: string }).id;
    },
    { base64: jpeg.toString('base64'), caption },
  );
}

/**
 * axe on every page of the site, at 390 px and desktop width, in light and dark mode: no
 * critical or serious violation anywhere. Screenshots of each go to test-results/screenshots/a11y-*.
 */
describe('accessibility of every page', () => {
  const site = useSiteAndBrowser();

  it('axe finds no critical or serious violation on any page, light or dark, phone or desktop', async () => {
    const base = site.lumina.url;
    const found: string[] = [];
    const check = async (page: Page, name: string, wait: string) => {
      await page.locator(wait).first().waitFor();
      // Every page names itself with one h1 (axe rates a missing one only moderate).
      const headings = await page.locator('h1').count();
      if (headings !== 1) found.push(`${name}: ${headings} h1 elements`);
      found.push(...(await shootAndCheck(page, `a11y-${name}`)).map((p) => `${name} ${p}`));
    };

    // A visitor: landing, sign-up and log-in, with and without an error notice, and a 404.
    const visitor = await newSession(site.browser, 'a11y-visitor');
    await visitor.page.goto(`${base}/`);
    await check(visitor.page, 'landing', 'h1');
    await visitor.page.goto(`${base}/signup`);
    await check(visitor.page, 'signup', '#signup-submit');
    await visitor.page.locator('#username').fill('a b');
    await visitor.page.locator('#password').fill('x');
    await visitor.page.locator('#signup-submit').click();
    await check(visitor.page, 'signup-error', '#form-error');
    await visitor.page.goto(`${base}/login`);
    await check(visitor.page, 'login', '#login-submit');
    await visitor.page.locator('#username').fill('nobody_here');
    await visitor.page.locator('#password').fill('not the password');
    await visitor.page.locator('#login-submit').click();
    await check(visitor.page, 'login-error', '#form-error');
    await visitor.page.goto(`${base}/no/such/page`);
    await check(visitor.page, 'not-found', '#error-message');

    // Two friends with a photo, a comment, a like, a mention and a chat; a third person asks.
    const ada = await newSession(site.browser, 'a11y-ada');
    const ben = await newSession(site.browser, 'a11y-ben');
    const cyd = await newSession(site.browser, 'a11y-cyd');
    const [adaName, benName, cydName] = [uniqueName('ada'), uniqueName('ben'), uniqueName('cyd')];
    await signUpThroughForm(ada.page, base, adaName);
    await signUpThroughForm(ben.page, base, benName);
    await signUpThroughForm(cyd.page, base, cydName);
    const benUser = (await call(ben.page, 'GET', '/api/auth/me')) as { id: number };
    const adaUser = (await call(ada.page, 'GET', '/api/auth/me')) as { id: number };
    const request = (await call(ada.page, 'POST', '/api/friends/request', { user_id: benUser.id })) as {
      id: number;
    };
    await call(ben.page, 'POST', '/api/friends/respond', { request_id: request.id, action: 'accept' });
    await call(cyd.page, 'POST', '/api/friends/request', { user_id: adaUser.id });
    const jpeg = await makeJpeg(1200, 800);
    const photoId = await upload(ada.page, jpeg, `Low tide with @${benName} #sea`);
    await upload(ben.page, jpeg, 'Harbour at dusk #sea');
    await call(ben.page, 'POST', `/api/photos/${photoId}/like`);
    await call(ben.page, 'POST', `/api/photos/${photoId}/comments`, { text: `Lovely, @${adaName}!` });
    await call(ben.page, 'POST', '/api/messages', { to_user_id: adaUser.id, text: 'Hello there' });
    await call(ada.page, 'POST', '/api/messages', { to_user_id: benUser.id, text: 'Hi! Lovely day.' });

    const page = ada.page;
    const pages: [string, string, string][] = [
      ['home', '/', '#post-list'],
      ['all', '/feed?scope=all', '#photo-grid'],
      ['search', '/feed?scope=all&q=sea&topic=', '#photo-grid'],
      ['search-error', '/feed?scope=all&q=%21%21', '#feed-error'],
      ['own-profile', `/users/${adaName}`, 'h1'],
      ['other-profile', `/users/${benName}`, 'h1'],
      ['photo', `/photos/${photoId}`, '#photo-full'],
      ['photo-view', `/photos/${photoId}/view`, 'img'],
      ['likes', `/photos/${photoId}/likes`, 'h1'],
      ['upload', '/upload', 'h1'],
      ['friends', '/friends', 'h1'],
      ['chat-list', '/chat', 'h1'],
      ['chat', `/chat/${benName}`, '#message-list'],
      ['activity', '/activity', 'h1'],
      ['settings', '/settings', 'h1'],
    ];
    for (const [name, path, wait] of pages) {
      await page.goto(`${base}${path}`);
      await check(page, name, wait);
    }

    // The edit form open on the photo page, a success notice, and moderation for a moderator.
    await page.goto(`${base}/photos/${photoId}`);
    await page.locator('#edit-photo summary').click();
    await check(page, 'photo-edit-form', '#edit-photo-form');
    await page.locator('#edit-photo-form button[type="submit"]').click();
    await check(page, 'photo-edited', '#photo-edited');
    await page.goto(`${base}/settings`);
    await page.locator('#bio').fill('Tides and harbours.');
    await page.locator('#profile-submit').click();
    await check(page, 'settings-saved', '#flash');
    const db = new Database(join(site.lumina.dataDir, 'lumina.sqlite'));
    try {
      db.prepare('UPDATE users SET is_moderator = 1 WHERE username = ?').run(adaName);
    } finally {
      db.close();
    }
    await call(ben.page, 'POST', '/api/reports', {
      target_type: 'photo',
      target_id: photoId,
      reason: 'spam',
    });
    await page.goto(`${base}/moderation`);
    await check(page, 'moderation', 'h1');

    expect(found).toEqual([]);
    for (const s of [visitor, ada, ben, cyd]) await s.context.close();
  }, 300_000);
});
