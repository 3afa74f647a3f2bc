import { describe, expect, it } from 'vitest';
import { messages as authMessages } from '../../src/services/auth.service';
import {
  PASSWORD,
  newSession,
  screenshot,
  screenshotBoth,
  signUpThroughForm,
  submitLogin,
  uniqueName,
  useSiteAndBrowser,
} from '../support/browser';

describe('accounts in the browser', () => {
  const site = useSiteAndBrowser();

  for (const js of [true, false]) {
    const tag = js ? 'js' : 'nojs';

    it(`signs up, logs out, refuses a wrong password and logs back in (${js ? 'with' : 'without'} JavaScript)`, async () => {
      const base = site.lumina.url;
      const { context, page, problems } = await newSession(site.browser, `accounts-${tag}`, {
        javaScriptEnabled: js,
      });
      const name = uniqueName(js ? 'ada' : 'nojs');

      // Logged out: the landing page offers both doors and a private page sends you to log in.
      await page.goto(`${base}/`);
      await page.locator('#landing-signup').waitFor();
      expect(await page.locator('#nav-login').isVisible()).toBe(true);
      expect(await page.locator('#nav-username').count()).toBe(0);
      if (js) await screenshotBoth(page, 'accounts-landing');
      await page.goto(`${base}/feed`);
      expect(new URL(page.url()).pathname).toBe('/login');

      // Sign up: land on / signed in, the name in the navigation, a HttpOnly Lax session cookie.
      await signUpThroughForm(page, base, name);
      expect(await page.locator('#nav-username').textContent()).toBe(name);
      expect(await page.locator('#nav-login').count()).toBe(0);
      const [cookie] = (await context.cookies(base)).filter((c) => c.name === 'lumina.sid');
      expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax' });
      await screenshotBoth(page, `accounts-${tag}-signed-up`);

      // Log out: the session is gone, the navigation offers Log in again.
      await Promise.all([page.waitForURL(`${base}/`), page.locator('#logout-button').click()]);
      await page.locator('#landing-signup').waitFor();
      expect(await page.locator('#nav-login').isVisible()).toBe(true);
      expect(await page.locator('#nav-username').count()).toBe(0);
      expect((await context.cookies(base)).some((c) => c.name === 'lumina.sid')).toBe(false);

      // The same name in other letters is taken: the form says so and keeps what was typed.
      await page.goto(`${base}/signup`);
      await page.locator('#username').fill(name.toUpperCase());
      await page.locator('#password').fill(PASSWORD);
      await page.locator('#signup-submit').click();
      await page.locator('#form-error').waitFor();
      expect(await page.locator('#form-error').textContent()).toBe(authMessages.usernameTaken);
      expect(await page.locator('#username').inputValue()).toBe(name.toUpperCase());
      expect(await page.locator('#nav-username').count()).toBe(0);

      // A wrong password: 401, the error sentence, the name kept, still logged out.
      expect(await submitLogin(page, base, name, `${PASSWORD}!`)).toBe(401);
      await page.locator('#form-error').waitFor();
      expect(await page.locator('#form-error').textContent()).toBe(authMessages.badCredentials);
      expect(await page.locator('#username').inputValue()).toBe(name);
      expect(await page.locator('#password').inputValue()).toBe('');
      expect(await page.locator('#nav-login').isVisible()).toBe(true);
      expect(await page.locator('#nav-username').count()).toBe(0);
      await screenshotBoth(page, `accounts-${tag}-wrong-password`);
      await page.goto(`${base}/upload`);
      expect(new URL(page.url()).pathname).toBe('/login');

      // An unknown user gets the very same sentence.
      expect(await submitLogin(page, base, `${name}x`, PASSWORD)).toBe(401);
      await page.locator('#form-error').waitFor();
      expect(await page.locator('#form-error').textContent()).toBe(authMessages.badCredentials);

      // The right password: the name is back in the navigation.
      expect(await submitLogin(page, base, name, PASSWORD)).toBe(303);
      await page.waitForURL(`${base}/`);
      await page.locator('#nav-username').waitFor();
      expect(await page.locator('#nav-username').textContent()).toBe(name);
      await screenshot(page, `accounts-${tag}-logged-in`);

      // Logged out again, a private page comes back after logging in (?next=).
      await Promise.all([page.waitForURL(`${base}/`), page.locator('#logout-button').click()]);
      await page.locator('#nav-login').waitFor();
      await page.goto(`${base}/upload`);
      expect(page.url()).toBe(`${base}/login?next=${encodeURIComponent('/upload')}`);
      await page.locator('#username').fill(name);
      await page.locator('#password').fill(PASSWORD);
      await Promise.all([page.waitForURL(`${base}/upload`), page.locator('#login-submit').click()]);
      await page.locator('#upload-form').waitFor();
      expect(await page.locator('#nav-username').textContent()).toBe(name);

      expect(problems).toEqual({ scriptErrors: [], offHost: [], dialogs: [] });
      await context.close();
    });
  }
});
