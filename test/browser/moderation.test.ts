import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedStorage } from '../../src/storage/embedded';
import {
  launchBrowser,
  newSession,
  shootAndCheck,
  signUpThroughForm,
  startLumina,
  uniqueName,
  type Lumina,
  type Session,
} from '../support/browser';
import { makeJpeg } from '../support/images';

/** Grants the moderator role through the stores, as `npm run admin -- grant <username>` does. */
async function grantModerator(dataDir: string, username: string): Promise<void> {
  const storage = createEmbeddedStorage({ dataDir, timeoutMs: 5000 });
  try {
    const user = await storage.users.findByUsername(username);
    if (!user) throw new Error(`no user ${username}`);
    await storage.users.setModerator(user.id, true);
  } finally {
    await storage.close();
  }
}

/** Posts a photo as the session's person (the API, from the page's own cookies); its id. */
async function postPhoto(session: Session, base: string, caption: string): Promise<string> {
  const res = await session.page.request.post(`${base}/api/photos`, {
    headers: { origin: base },
    multipart: {
      caption,
      photo: { name: 'p.jpg', mimeType: 'image/jpeg', buffer: await makeJpeg(900, 600) },
    },
  });
  expect(res.status()).toBe(201);
  return ((await res.json()) as { id: string }).id;
}

describe('block, report and moderation in the browser', () => {
  let lumina: Lumina;
  let browser: Browser;

  beforeAll(async () => {
    [lumina, browser] = await Promise.all([startLumina(), launchBrowser()]);
  });
  afterAll(async () => {
    await browser?.close();
    await lumina?.stop();
  });

  it('the block and report forms and /moderation, at 390 px and desktop, light and dark, pass axe', async () => {
    const base = lumina.url;
    const [ann, bob, mod] = await Promise.all(
      ['mod-ann', 'mod-bob', 'mod-mod'].map((name) => newSession(browser, name)),
    );
    const names = { ann: uniqueName('ann'), bob: uniqueName('bob'), mod: uniqueName('mod') };
    await signUpThroughForm(ann!.page, base, names.ann);
    await signUpThroughForm(bob!.page, base, names.bob);
    await signUpThroughForm(mod!.page, base, names.mod);
    const photoId = await postPhoto(bob!, base, 'A harbour at dusk, boats asleep');

    // Bob's profile, "More" open: the block form and the report disclosure, then the report form.
    const page = ann!.page;
    await page.goto(`${base}/users/${names.bob}`);
    await page.locator('.profile-more > summary').click();
    await expect(page.locator('#block-button').isVisible()).resolves.toBe(true);
    expect(await shootAndCheck(page, 'profile-more-block')).toEqual([]);
    await page.locator('.profile-more details.report > summary').click();
    await expect(page.locator('.profile-more .report-form').isVisible()).resolves.toBe(true);
    expect(await shootAndCheck(page, 'profile-report-form')).toEqual([]);
    await page.locator('.profile-more .report-form input[value="harassment"]').check();
    await page.locator('.profile-more .report-form textarea').fill('Keeps sending me the same message.');
    await Promise.all([
      page.waitForURL(/\/users\//),
      page.locator('.profile-more .report-form button[type="submit"]').click(),
    ]);
    await expect(page.locator('#flash').textContent()).resolves.toContain('The moderators will look at it');

    // The photo's report form, then a report on the photo.
    await page.goto(`${base}/photos/${photoId}`);
    await page.locator('details.report > summary').first().click();
    expect(await shootAndCheck(page, 'photo-report-form')).toEqual([]);
    await page.locator('details.report .report-form input[value="spam"]').first().check();
    await Promise.all([
      page.waitForURL(/\/photos\//),
      page.locator('details.report .report-form button[type="submit"]').first().click(),
    ]);

    // Everyone else: /moderation is a 404.
    expect((await page.goto(`${base}/moderation`))?.status()).toBe(404);

    // The moderator's queue, and after an action, the log.
    await grantModerator(lumina.dataDir, names.mod);
    await mod!.page.goto(`${base}/moderation`);
    await expect(mod!.page.locator('#report-list .report-group').count()).resolves.toBe(2);
    expect(await shootAndCheck(mod!.page, 'moderation')).toEqual([]);
    await Promise.all([
      mod!.page.waitForURL(`${base}/moderation`),
      mod!.page
        .locator('.report-group[data-target-type="user"] form:has(input[value="dismiss"]) button')
        .click(),
    ]);
    await expect(mod!.page.locator('#moderation-log .log-entry').count()).resolves.toBe(1);
    expect(await shootAndCheck(mod!.page, 'moderation-after-dismiss')).toEqual([]);

    // Ann blocks Bob: the settings list shows him, with Unblock.
    await page.goto(`${base}/users/${names.bob}`);
    await page.locator('.profile-more > summary').click();
    await Promise.all([page.waitForURL(/./), page.locator('#block-button').click()]);
    await page.goto(`${base}/settings`);
    await expect(page.locator('#blocked-list .blocked').count()).resolves.toBe(1);
    expect(await shootAndCheck(page, 'settings-blocked')).toEqual([]);

    for (const s of [ann!, bob!, mod!]) {
      expect(s.problems).toEqual({ scriptErrors: [], offHost: [], dialogs: [] });
      await s.context.close();
    }
  }, 120_000);
});
