import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { messages as imageMessages } from '../../src/adapters/sharp-images';
import {
  launchBrowser,
  naturalWidth,
  newSession,
  screenshot,
  screenshotBoth,
  signUpThroughForm,
  startLumina,
  tempFiles,
  uniqueName,
  type Lumina,
  type Problems,
} from '../support/browser';
import { makeJpeg } from '../support/images';

const PHOTO_PATH = /\/photos\/([0-9A-HJKMNP-TV-Z]{26})$/;
const XSS = '<script>alert(1)</script>';

const noProblems: Problems = { scriptErrors: [], offHost: [], dialogs: [] };

/** The photo id of the page the browser is on. */
function photoIdOf(page: Page): string {
  const id = PHOTO_PATH.exec(new URL(page.url()).pathname)?.[1];
  if (!id) throw new Error(`not on a photo page: ${page.url()}`);
  return id;
}

const card = (id: string) => `li.photo-card[data-photo-id="${id}"]`;

/**
 * Waits until the <img> has really loaded (a broken or pending image has naturalWidth 0); `width`
 * is the pixel width of the file it chose (with srcset, naturalWidth is scaled by the chosen
 * candidate's density, so the file is measured on its own).
 */
async function expectLoaded(page: Page, selector: string, width?: number) {
  await page.locator(selector).first().scrollIntoViewIfNeeded();
  await expect.poll(() => naturalWidth(page, selector), { timeout: 10_000 }).toBeGreaterThan(0);
  if (width === undefined) return;
  const fileWidth = await page
    .locator(selector)
    .first()
    .evaluate(async (img) => {
      const G = globalThis as unknown as {
        Image: new () => { src: string; naturalWidth: number; decode(): Promise<void> };
      };
      const probe = new G.Image();
      probe.src = (img as unknown as { currentSrc: string }).currentSrc;
      await probe.decode();
      return probe.naturalWidth;
    });
  expect(fileWidth).toBe(width);
}

/**
 * The photo is a post in the Home feed (caption as text after the author's name, the medium
 * image loaded) and a card in the All grid (caption as text, a loaded 400 px thumbnail).
 */
async function expectInFeeds(page: Page, base: string, id: string, caption: string, shotName?: string) {
  await page.goto(`${base}/feed?scope=home`);
  const post = `li.post[data-photo-id="${id}"]`;
  await page.locator(post).waitFor();
  // The author's name, then the caption as literal text.
  expect(await page.locator(`${post} .post-caption`).textContent()).toMatch(/^\S+ /);
  expect((await page.locator(`${post} .post-caption`).textContent())?.endsWith(` ${caption}`)).toBe(true);
  expect(await page.locator(`${post} script`).count()).toBe(0);
  await expectLoaded(page, `${post} img.post-image`, 800);
  if (shotName) await screenshotBoth(page, shotName, post);
  await page.goto(`${base}/feed?scope=all`);
  await page.locator(card(id)).waitFor();
  expect(await page.locator(`${card(id)} .photo-card-caption`).textContent()).toBe(caption);
  expect(await page.locator(`${card(id)} script`).count()).toBe(0);
  await expectLoaded(page, `${card(id)} img.thumb`, 400);
}

interface ReloadHooks {
  /** Runs once the page is (re)loaded, before a like or comment is sent. */
  afterLoad(): Promise<void>;
  /** Runs when the like and then the comment showed, before the test reloads the page. */
  beforeReload(): Promise<void>;
}

const noHooks: ReloadHooks = { afterLoad: () => Promise.resolve(), beforeReload: () => Promise.resolve() };

/** Like, unlike (count 1 then 0, kept across a reload), then a comment shown as literal text. */
async function likeAndComment(page: Page, id: string, comment: string, hooks = noHooks) {
  const count = () => page.locator('#like-count').textContent();
  await hooks.afterLoad();
  expect(await count()).toBe('0');
  await page.locator('#like-button').click();
  await expect.poll(count).toBe('1');
  expect(await page.locator('#like-noun').textContent()).toBe('like');
  expect(await page.locator('#like-button').getAttribute('aria-pressed')).toBe('true');
  expect(await page.locator('#like-button .like-label').textContent()).toBe('Unlike');
  await hooks.beforeReload();
  await page.reload();
  await hooks.afterLoad();
  expect(await count()).toBe('1');
  expect(await page.locator('#like-button').getAttribute('aria-pressed')).toBe('true');
  await page.locator('#like-button').click();
  await expect.poll(count).toBe('0');
  expect(await page.locator('#like-button .like-label').textContent()).toBe('Like');
  expect(await page.locator('#like-noun').textContent()).toBe('likes');

  expect(await page.locator('#comment-count').textContent()).toBe('0');
  await page.locator('#comment-text').fill(comment);
  await page.locator('#comment-submit').click();
  const text = page.locator('#comment-list .comment-text');
  await text.first().waitFor();
  expect(await text.allTextContents()).toEqual([comment]);
  expect(await page.locator('#comment-list script').count()).toBe(0);
  expect(await page.locator('#comment-count').textContent()).toBe('1');
  expect(await page.locator('#comments-empty').isHidden()).toBe(true);
  await hooks.beforeReload();
  // As the server renders it after a reload, too.
  await page.goto(page.url().replace(/#.*$/, ''));
  expect(await page.locator('#comment-list .comment-text').allTextContents()).toEqual([comment]);
  expect(await page.locator('#comment-list script').count()).toBe(0);
  expect(photoIdOf(page)).toBe(id);
}

/** Deletes the photo through the confirm step and checks it is gone everywhere. */
async function deleteAsOwner(page: Page, base: string, id: string, owner: string, shotName: string) {
  expect(await page.locator('#delete-photo-confirm').isVisible()).toBe(false);
  await page.locator('#delete-photo summary').click();
  await page.locator('#delete-photo-confirm').waitFor({ state: 'visible' });
  await screenshot(page, shotName);
  await Promise.all([
    page.waitForURL(`${base}/users/${owner}`),
    page.locator('#delete-photo-confirm').click(),
  ]);
  expect(await page.locator('#flash').textContent()).toBe('Photo deleted.');
  await page.locator('#profile-empty').waitFor();
  // The owner has no other photos and no friends: Home is empty. All may hold other tests' photos.
  await page.goto(`${base}/feed?scope=home`);
  await page.locator('#feed-empty').waitFor();
  expect(await page.locator(card(id)).count()).toBe(0);
  await page.goto(`${base}/feed?scope=all`);
  await page.locator('#feed-about').waitFor();
  expect(await page.locator(card(id)).count()).toBe(0);
  const gone = await page.goto(`${base}/photos/${id}`);
  expect(gone?.status()).toBe(404);
  await page.locator('#error-message').waitFor();
}

describe('photos in the browser', () => {
  let lumina: Lumina;
  let browser: Browser;
  const files = tempFiles();
  const jpegPath = join(files.dir, 'harbour.jpg');
  const fakePath = join(files.dir, 'photo.jpg');

  beforeAll(async () => {
    const [server, chromium, jpeg] = await Promise.all([
      startLumina(),
      launchBrowser(),
      makeJpeg(800, 600, { gps: true }),
    ]);
    [lumina, browser] = [server, chromium];
    writeFileSync(jpegPath, jpeg);
    writeFileSync(fakePath, 'This is a text file, not a JPEG.\n'.repeat(20));
  });
  afterAll(async () => {
    await browser?.close();
    await lumina?.stop();
    files.cleanup();
  });

  it('uploads with a preview, shows it in the feeds, likes, comments and deletes it (with JavaScript)', async () => {
    const base = lumina.url;
    const { context, page, problems } = await newSession(browser, 'photos-js');
    const owner = uniqueName('pho');
    const caption = `Harbour at dawn ${XSS}`;
    await signUpThroughForm(page, base, owner);

    await page.goto(`${base}/upload`);
    await page.locator('#photo').setInputFiles(jpegPath);
    await page.locator('#upload-preview').waitFor({ state: 'visible' });
    await expectLoaded(page, '#upload-preview-image', 800);
    expect(await page.locator('#upload-preview-info').textContent()).toContain('harbour.jpg');
    await page.locator('#caption').fill(caption);
    await page.locator('#topic').fill('harbour');
    await screenshotBoth(page, 'photos-js-upload-preview', '#upload-preview');
    // The script sends it to the API (with a progress bar), then opens the new photo.
    const [sent] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.waitForURL(PHOTO_PATH),
      page.locator('#upload-submit').click(),
    ]);
    expect([sent.url(), sent.status()]).toEqual([`${base}/api/photos`, 201]);
    const id = photoIdOf(page);

    // The photo page: caption as text (no script element), topic, author, the full image.
    expect(await page.locator('#photo-caption').textContent()).toBe(caption);
    expect(await page.locator('#photo script').count()).toBe(0);
    expect(await page.locator('#photo-topic').textContent()).toBe('harbour');
    expect(await page.locator('#photo-author').textContent()).toBe(owner);
    await expectLoaded(page, '#photo-full', 800);
    await screenshotBoth(page, 'photos-js-photo-page');

    await expectInFeeds(page, base, id, caption, 'photos-js-feed');
    await page.goto(`${base}/feed?scope=all&topic=harbour`);
    await page.locator(card(id)).waitFor();
    await page.goto(`${base}/feed?scope=all&topic=mountains`);
    await page.locator('#feed-empty').waitFor();
    expect(await page.locator(card(id)).count()).toBe(0);

    // Open it from the feed.
    await page.goto(`${base}/feed?scope=all`);
    await Promise.all([
      page.waitForURL(`${base}/photos/${id}`),
      page.locator(`${card(id)} a.photo-card-link`).click(),
    ]);

    // Likes and comments go through the API: no reload between loading the page and the test's
    // own reloads (a navigation would be counted and would drop the marker variable).
    let navigations = 0;
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigations += 1;
    });
    let armedAt = -1;
    await likeAndComment(page, id, `${XSS} lovely light`, {
      afterLoad: async () => {
        await page.evaluate(() => {
          (globalThis as unknown as { luminaMarker: string }).luminaMarker = 'still here';
        });
        armedAt = navigations;
      },
      beforeReload: async () => {
        expect(navigations).toBe(armedAt);
        const marker = await page.evaluate(
          () => (globalThis as unknown as { luminaMarker?: string }).luminaMarker,
        );
        expect(marker).toBe('still here');
      },
    });
    await screenshotBoth(page, 'photos-js-commented', '#comments');

    // The feed card counts the comment.
    await page.goto(`${base}/feed?scope=all`);
    expect(await page.locator(`${card(id)} .comments .count`).textContent()).toBe('1');
    expect(await page.locator(`${card(id)} .likes .count`).textContent()).toBe('0');

    await page.goto(`${base}/photos/${id}`);
    await deleteAsOwner(page, base, id, owner, 'photos-js-delete-confirm');

    expect(problems).toEqual(noProblems);
    await context.close();
  });

  it('uploads through the plain form, likes, comments and deletes it (without JavaScript)', async () => {
    const base = lumina.url;
    const { context, page, problems } = await newSession(browser, 'photos-nojs', {
      javaScriptEnabled: false,
    });
    const owner = uniqueName('nojs');
    const caption = `No script here ${XSS}`;
    await signUpThroughForm(page, base, owner);

    await page.goto(`${base}/upload`);
    await page.locator('#photo').setInputFiles(jpegPath);
    await page.locator('#caption').fill(caption);
    await page.locator('#topic').fill('plainform');
    const [sent] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'),
      page.waitForURL(PHOTO_PATH),
      page.locator('#upload-submit').click(),
    ]);
    // The page route took the multipart form and redirected to the photo.
    expect([sent.url(), sent.status()]).toEqual([`${base}/upload`, 303]);
    const id = photoIdOf(page);
    expect(await page.locator('#photo-caption').textContent()).toBe(caption);
    expect(await page.locator('#photo-topic').textContent()).toBe('plainform');
    await expectLoaded(page, '#photo-full', 800);

    await expectInFeeds(page, base, id, caption);
    await page.goto(`${base}/photos/${id}`);
    await likeAndComment(page, id, `${XSS} from a form`);
    await screenshotBoth(page, 'photos-nojs-commented', '#comments');
    await deleteAsOwner(page, base, id, owner, 'photos-nojs-delete-confirm');

    expect(problems).toEqual(noProblems);
    await context.close();
  });

  for (const js of [true, false]) {
    it(`shows the server's reason for a text file named photo.jpg on the upload page (${js ? 'with' : 'without'} JavaScript)`, async () => {
      const base = lumina.url;
      const { context, page, problems } = await newSession(browser, `photos-${js ? 'js' : 'nojs'}-refused`, {
        javaScriptEnabled: js,
      });
      await signUpThroughForm(page, base, uniqueName('bad'));

      await page.goto(`${base}/upload`);
      await page.locator('#photo').setInputFiles(fakePath);
      await page.locator('#caption').fill('Not really a photo');
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.request().method() === 'POST'),
        page.locator('#upload-submit').click(),
      ]);
      expect([response.url(), response.status()]).toEqual([`${base}${js ? '/api/photos' : '/upload'}`, 415]);
      if (js) {
        // The script posted to the API and shows its sentence, naming the chosen file.
        const error = page.locator('#upload-client-error');
        await error.waitFor({ state: 'visible' });
        expect(await error.textContent()).toBe(
          `${imageMessages.unsupported} You chose photo.jpg (1 KB, image/jpeg).`,
        );
        expect(await page.locator('#upload-submit').isEnabled()).toBe(true);
      } else {
        // The page route answers with the form again, the reason, what was sent and the caption.
        await page.locator('#upload-error').waitFor();
        expect(await page.locator('#upload-error .alert-text').textContent()).toBe(imageMessages.unsupported);
        expect(await page.locator('#upload-file-note').textContent()).toContain('photo.jpg');
        expect(await page.locator('#caption').inputValue()).toBe('Not really a photo');
      }
      expect(new URL(page.url()).pathname).toBe('/upload');
      await screenshotBoth(
        page,
        `photos-${js ? 'js' : 'nojs'}-refused`,
        js ? '#upload-client-error' : '#upload-error',
      );

      await page.goto(`${base}/feed?scope=profile`);
      await page.locator('#feed-empty').waitFor();
      expect(problems).toEqual(noProblems);
      await context.close();
    });
  }
});
