import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PHONE_390,
  shootAndCheck,
  PASSWORD,
  naturalWidth,
  newSession,
  screenshot,
  signUpThroughForm,
  submitLogin,
  tempFiles,
  uniqueName,
  useSiteAndBrowser,
} from '../support/browser';
import { makeJpeg } from '../support/images';

describe('settings in the browser', () => {
  const site = useSiteAndBrowser();

  it('changes the password and logs other devices out, without JavaScript', async () => {
    const base = site.lumina.url;
    const laptop = await newSession(site.browser, 'settings-laptop', { javaScriptEnabled: false });
    const phone = await newSession(site.browser, 'settings-phone', {
      javaScriptEnabled: false,
      viewport: PHONE_390,
    });
    const name = uniqueName('set');
    await signUpThroughForm(laptop.page, base, name);
    expect(await submitLogin(phone.page, base, name, PASSWORD)).toBe(303);

    // The settings page lists both devices, this one marked.
    await laptop.page.goto(`${base}/settings`);
    await expect(laptop.page.locator('#session-list .session').count()).resolves.toBe(2);
    await expect(laptop.page.locator('#session-list .is-current').count()).resolves.toBe(1);

    // axe needs scripts: a third device, with JavaScript, looks at the same page.
    const viewer = await newSession(site.browser, 'settings-axe');
    expect(await submitLogin(viewer.page, base, name, PASSWORD)).toBe(303);
    await viewer.page.goto(`${base}/settings`);
    await expect(viewer.page.locator('#session-list .session').count()).resolves.toBe(3);
    expect(await shootAndCheck(viewer.page, 'settings')).toEqual([]);

    // A wrong current password: the sentence beside the form, nothing changed.
    await laptop.page.locator('#current_password').fill('not my password');
    await laptop.page.locator('#new_password').fill('a brand new passphrase');
    await laptop.page.locator('#password-submit').click();
    await expect(laptop.page.locator('#password-error').textContent()).resolves.toContain(
      'That is not your current password.',
    );
    await screenshot(laptop.page, 'settings-wrong-password-desktop', { fullPage: true });

    // A common new password is refused with the reason.
    await laptop.page.locator('#current_password').fill(PASSWORD);
    await laptop.page.locator('#new_password').fill('iloveyou1');
    await laptop.page.locator('#password-submit').click();
    await expect(laptop.page.locator('#password-error').textContent()).resolves.toContain(
      'most common passwords',
    );

    // The right one: a notice, and the phone is logged out.
    await laptop.page.locator('#current_password').fill(PASSWORD);
    await laptop.page.locator('#new_password').fill('a brand new passphrase');
    await Promise.all([
      laptop.page.waitForURL(`${base}/settings`),
      laptop.page.locator('#password-submit').click(),
    ]);
    await expect(laptop.page.locator('#flash').textContent()).resolves.toContain('Your password is changed');
    await expect(laptop.page.locator('#session-list .session').count()).resolves.toBe(1);
    await phone.page.goto(`${base}/settings`);
    expect(new URL(phone.page.url()).pathname).toBe('/login');

    // Log in on the phone with the new password; log it out from the laptop's list.
    expect(await submitLogin(phone.page, base, name, 'a brand new passphrase')).toBe(303);
    await laptop.page.goto(`${base}/settings`);
    await Promise.all([
      laptop.page.waitForURL(/\/settings/),
      laptop.page.locator('#session-list .session:not(.is-current) .end-session-form button').click(),
    ]);
    await expect(laptop.page.locator('#flash').textContent()).resolves.toContain('That device is logged out');
    await phone.page.goto(`${base}/settings`);
    expect(new URL(phone.page.url()).pathname).toBe('/login');

    // Profile: a picture and a bio through the forms (no JavaScript); the profile header shows both.
    const files = tempFiles();
    try {
      const picture = join(files.dir, 'me.jpg');
      writeFileSync(picture, await makeJpeg(600, 400, { orientation: 6 }));
      await laptop.page.goto(`${base}/settings`);
      await laptop.page.locator('#avatar').setInputFiles(picture);
      await Promise.all([
        laptop.page.waitForURL(`${base}/settings`),
        laptop.page.locator('#avatar-submit').click(),
      ]);
      await expect(laptop.page.locator('#flash').textContent()).resolves.toContain('Your picture is changed');
      await laptop.page.locator('#bio').fill('Lakes, light and long walks.');
      await Promise.all([
        laptop.page.waitForURL(`${base}/settings`),
        laptop.page.locator('#profile-submit').click(),
      ]);
      await expect(laptop.page.locator('#flash').textContent()).resolves.toContain('Your bio is saved');
    } finally {
      files.cleanup();
    }
    // The password change logged this device out too.
    expect(await submitLogin(viewer.page, base, name, 'a brand new passphrase')).toBe(303);
    await viewer.page.goto(`${base}/users/${name}`);
    await expect(viewer.page.locator('#profile-bio').textContent()).resolves.toBe(
      'Lakes, light and long walks.',
    );
    await expect(viewer.page.locator('#profile-counts').textContent()).resolves.toMatch(
      /0\s*photos.*0\s*friends/,
    );
    expect(await naturalWidth(viewer.page, '.profile-avatar img.avatar')).toBe(320);
    expect(await naturalWidth(viewer.page, '#nav-user-link img.avatar, .nav-username img.avatar')).toBe(64);
    expect(await shootAndCheck(viewer.page, 'profile-with-avatar')).toEqual([]);
    await viewer.page.goto(`${base}/settings`);
    expect(await shootAndCheck(viewer.page, 'settings-with-avatar')).toEqual([]);

    for (const s of [laptop, phone, viewer]) {
      expect(s.problems).toEqual({ scriptErrors: [], offHost: [], dialogs: [] });
      await s.context.close();
    }
  });
});
