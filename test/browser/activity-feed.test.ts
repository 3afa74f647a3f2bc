import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DESKTOP,
  PHONE_390,
  shootAndCheck,
  launchBrowser,
  newSession,
  screenshot,
  signUpThroughForm,
  startLumina,
  uniqueName,
  type Lumina,
  type Session,
} from '../support/browser';
import { makeJpeg } from '../support/images';

const PORT = 18446;
const VIEWPORTS = [
  ['phone', PHONE_390],
  ['desktop', DESKTOP],
] as const;

/**
 * Cumulative Layout Shift of loading `url` at `viewport` (the sum of layout-shift entries not
 * caused by input, recorded from the first paint by a PerformanceObserver), once every image of
 * the page has loaded and the page was scrolled to the end and back.
 */
async function layoutShiftOf(page: Page, url: string, viewport: { width: number; height: number }) {
  await page.setViewportSize(viewport);
  await page.goto(url);
  await page.waitForLoadState('load');
  await page.evaluate(async () => {
    const w = globalThis as unknown as {
      document: {
        images: ArrayLike<{ complete: boolean; decode(): Promise<void> }>;
        body: { scrollHeight: number };
      };
      scrollTo(x: number, y: number): void;
    };
    for (const img of Array.from(w.document.images))
      if (!img.complete) await img.decode().catch(() => undefined);
    w.scrollTo(0, w.document.body.scrollHeight);
    await new Promise((r) => setTimeout(r, 300));
    for (const img of Array.from(w.document.images)) await img.decode().catch(() => undefined);
    w.scrollTo(0, 0);
    await new Promise((r) => setTimeout(r, 300));
  });
  return page.evaluate(() => (globalThis as unknown as { __cls: number }).__cls);
}

const CLS_SCRIPT = `
  window.__cls = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__cls += entry.value;
  }).observe({ type: 'layout-shift', buffered: true });
`;

async function upload(s: Session, base: string, caption: string, width: number, height: number) {
  const res = await s.page.request.post(`${base}/api/photos`, {
    multipart: {
      caption,
      photo: { name: 'p.jpg', mimeType: 'image/jpeg', buffer: await makeJpeg(width, height) },
    },
  });
  expect(res.status()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe('Home feed, photo viewer, activity and editing in the browser', () => {
  let lumina: Lumina;
  let browser: Browser;
  let ada: Session;
  let ben: Session;
  const names = { ada: uniqueName('ada'), ben: uniqueName('ben') };
  const photos: string[] = [];

  let isReady = false;
  beforeAll(async () => {
    [lumina, browser] = await Promise.all([startLumina(PORT), launchBrowser()]);
  });
  /** Two people, friends, and ben's three photos; made by the first test that runs. */
  async function ready(): Promise<void> {
    if (isReady) return;
    isReady = true;
    ada = await newSession(browser, 'feed-ada');
    ben = await newSession(browser, 'feed-ben');
    await ada.context.addInitScript(CLS_SCRIPT);
    await signUpThroughForm(ada.page, lumina.url, names.ada);
    await signUpThroughForm(ben.page, lumina.url, names.ben);
    const sent = await ada.page.request.post(`${lumina.url}/api/friends/request`, {
      data: { username: names.ben },
    });
    const request = (await sent.json()) as { id: number };
    await ben.page.request.post(`${lumina.url}/api/friends/respond`, {
      data: { request_id: request.id, action: 'accept' },
    });
    // Three shapes: landscape, portrait and square; each box must keep its shape before loading.
    photos.push(await upload(ben, lumina.url, 'Square one', 900, 900));
    photos.push(await upload(ben, lumina.url, `Tall dunes #desert with @${names.ada}`, 1200, 1800));
    photos.push(await upload(ben, lumina.url, 'Low tide at dawn #sea', 2400, 1600));
  }
  afterAll(async () => {
    await browser?.close();
    await lumina?.stop();
  });

  it('Home is one column of posts that likes in place and by double click, with no layout shift and no serious axe violation', async () => {
    await ready();
    const { page, problems } = ada;
    await page.goto(`${lumina.url}/`);
    const newest = `li.post[data-photo-id="${photos[2]}"]`;
    await page.locator(newest).waitFor();
    expect(await page.locator('li.post').count()).toBe(3);
    // Like in place: no navigation, the count and the button follow.
    await page.locator(`${newest} .post-like button`).click();
    await expect.poll(() => page.locator(`${newest} .like-count`).textContent()).toBe('1');
    expect(await page.locator(`${newest} .post-like button`).getAttribute('aria-pressed')).toBe('true');
    // Double click on another post's image likes it, and does not open the viewer.
    const tall = `li.post[data-photo-id="${photos[1]}"]`;
    await page.locator(`${tall} img.post-image`).dblclick();
    await expect.poll(() => page.locator(`${tall} .like-count`).textContent()).toBe('1');
    expect(await page.locator('dialog.lightbox[open]').count()).toBe(0);
    // A comment in place.
    await page.locator(`${tall} .post-comment-form input[name="text"]`).fill('So tall!');
    await page.locator(`${tall} .post-comment-form button`).click();
    await expect
      .poll(() => page.locator(`${tall} .post-comments li`).allTextContents())
      .toEqual([`${names.ada} So tall!`]);
    await page.reload();
    expect(await page.locator(`${tall} .like-count`).textContent()).toBe('1');
    expect(await page.locator(`${tall} .post-caption .mention`).textContent()).toBe(`@${names.ada}`);

    expect(await shootAndCheck(page, 'feed-home')).toEqual([]);
    for (const [label, viewport] of VIEWPORTS) {
      const cls = await layoutShiftOf(page, `${lumina.url}/`, viewport);
      expect(cls, `CLS of Home on ${label}`).toBeLessThan(0.02);
      // A phone never downloads the full image for a feed card.
      const sources = await page
        .locator('img.post-image')
        .evaluateAll((imgs) => imgs.map((img) => (img as unknown as { currentSrc: string }).currentSrc));
      for (const src of sources) expect(src).toContain('/image/medium');
    }
    expect(problems.scriptErrors).toEqual([]);
  });

  it('the photo page does not move when its image loads, and tapping the photo opens it large with close and arrows', async () => {
    await ready();
    const { page, problems } = ada;
    for (const [label, viewport] of VIEWPORTS) {
      const cls = await layoutShiftOf(page, `${lumina.url}/photos/${photos[2]}`, viewport);
      expect(cls, `CLS of the photo page on ${label}`).toBeLessThan(0.02);
    }
    expect(await shootAndCheck(page, 'feed-photo-page')).toEqual([]);
    await page.goto(`${lumina.url}/`);
    await page.locator(`li.post[data-photo-id="${photos[2]}"] img.post-image`).click();
    const dialog = page.locator('dialog.lightbox[open]');
    await dialog.waitFor();
    expect(await dialog.locator('img').getAttribute('src')).toContain(photos[2]);
    await page.setViewportSize(PHONE_390);
    await screenshot(page, 'feed-viewer-phone', { fullPage: false });
    await page.setViewportSize(DESKTOP);
    await screenshot(page, 'feed-viewer-desktop', { fullPage: false });
    await page.keyboard.press('ArrowRight');
    await expect.poll(() => dialog.locator('img').getAttribute('src')).toContain(photos[1]);
    await dialog.locator('.lightbox-close').click();
    expect(await page.locator('dialog.lightbox[open]').count()).toBe(0);
    expect(problems.scriptErrors).toEqual([]);
  });

  it('the activity page groups what happened, clears the nav count when opened, and passes axe', async () => {
    await ready();
    const { page } = ben;
    await page.goto(`${lumina.url}/upload`);
    await page.locator('#nav-activity-badge').waitFor();
    await page.goto(`${lumina.url}/activity`);
    const lines = await page.locator('#activity-list .activity-text').allTextContents();
    // Unread lines start with "New: " for screen readers (visually hidden).
    expect(lines).toEqual([
      `New: ${names.ada} commented on your photo.`,
      `New: ${names.ada} liked your photo.`,
      `New: ${names.ada} liked your photo.`,
      `New: ${names.ada} sent you a friend request.`,
    ]);
    expect(await page.locator('#nav-activity-badge').count()).toBe(0);
    expect(await shootAndCheck(page, 'feed-activity')).toEqual([]);
    await ada.page.goto(`${lumina.url}/activity`);
    expect(await ada.page.locator('#activity-list .activity-text').allTextContents()).toEqual([
      `New: ${names.ben} mentioned you.`,
      `New: ${names.ben} accepted your friend request.`,
    ]);
  });

  it('the owner edits a caption on the photo page; "edited" shows; the form passes axe', async () => {
    await ready();
    const { page } = ben;
    await page.goto(`${lumina.url}/photos/${photos[0]}`);
    await page.locator('#edit-photo summary').click();
    await page.locator('#edit-caption').fill('Square two, fixed #grid');
    await page.locator('#edit-alt').fill('A soft gradient from green to red');
    expect(await shootAndCheck(page, 'feed-edit-form', false)).toEqual([]);
    await Promise.all([
      page.waitForURL(`${lumina.url}/photos/${photos[0]}`),
      page.locator('#edit-photo-save').click(),
    ]);
    await page.locator('#photo-edited').waitFor();
    expect(await page.locator('#photo-caption').textContent()).toBe('Square two, fixed #grid');
    expect(await page.locator('#photo-full').getAttribute('alt')).toBe('A soft gradient from green to red');
  });
});
