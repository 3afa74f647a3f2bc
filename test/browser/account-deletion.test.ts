import { describe, expect, it } from 'vitest';
import {
  PASSWORD,
  newSession,
  shootAndCheck,
  signUpThroughForm,
  submitLogin,
  uniqueName,
  useSiteAndBrowser,
} from '../support/browser';

describe('deleting an account in the browser', () => {
  const site = useSiteAndBrowser();

  it('the settings form deletes the account without JavaScript, confirmed by the password', async () => {
    const base = site.lumina.url;
    const name = uniqueName('del');
    const laptop = await newSession(site.browser, 'delete-laptop', { javaScriptEnabled: false });
    await signUpThroughForm(laptop.page, base, name);
    // axe needs scripts: a second device, with JavaScript, looks at the same pages.
    const viewer = await newSession(site.browser, 'delete-axe');
    expect(await submitLogin(viewer.page, base, name, PASSWORD)).toBe(303);

    await viewer.page.goto(`${base}/settings`);
    await expect(viewer.page.locator('#delete-submit').textContent()).resolves.toBe('Delete my account');
    expect(await shootAndCheck(viewer.page, 'settings-delete', false, '#delete')).toEqual([]);

    // A wrong password: the sentence beside the form, nothing changed.
    await viewer.page.locator('#delete_password').fill('not my password');
    await viewer.page.locator('#delete-submit').click();
    await expect(viewer.page.locator('#delete-error').textContent()).resolves.toContain(
      'That is not your password: the account was not deleted.',
    );
    expect(await shootAndCheck(viewer.page, 'settings-delete-wrong-password', false, '#delete')).toEqual([]);
    await laptop.page.goto(`${base}/settings`);
    expect(new URL(laptop.page.url()).pathname).toBe('/settings');

    // The right password, without JavaScript: goodbye, and every device is logged out.
    await laptop.page.locator('#delete_password').fill(PASSWORD);
    await Promise.all([
      laptop.page.waitForURL(`${base}/goodbye`),
      laptop.page.locator('#delete-submit').click(),
    ]);
    await expect(laptop.page.locator('h1').textContent()).resolves.toBe('Your account is deleted');
    await viewer.page.goto(`${base}/goodbye`);
    expect(await shootAndCheck(viewer.page, 'goodbye')).toEqual([]);
    await viewer.page.goto(`${base}/settings`);
    expect(new URL(viewer.page.url()).pathname).toBe('/login');
    expect(await submitLogin(viewer.page, base, name, PASSWORD)).toBe(401);

    for (const s of [laptop, viewer]) {
      expect(s.problems).toEqual({ scriptErrors: [], offHost: [], dialogs: [] });
      await s.context.close();
    }
  });
});
