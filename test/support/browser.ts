import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, onTestFailed } from 'vitest';
import { startServer, type ServerProcess } from './server-process';

/**
 * Shared pieces of the browser journeys (test/browser/): Debian's chromium launched the one
 * allowed way, the built server on loopback with a fresh data directory, contexts that may only
 * talk to 127.0.0.1 and that record script errors, and screenshots under test-results/.
 */

const ROOT = join(__dirname, '..', '..');
export const SCREENSHOTS = join(ROOT, 'test-results', 'screenshots');

export const PHONE = { width: 375, height: 812 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export interface Lumina {
  server: ServerProcess;
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

/**
 * dist/main.js on 127.0.0.1 (a port the OS picks) with an empty temp DATA_DIR. The sign-up and upload limits are
 * raised so a journey never meets them; the login limits keep their defaults.
 */
export function startLumina(env?: Record<string, string>): Promise<Lumina>;
/** @deprecated The OS picks the port (see lumina.url); the number is ignored. */
export function startLumina(port: number, env?: Record<string, string>): Promise<Lumina>;
export async function startLumina(
  first: Record<string, string> | number = {},
  second: Record<string, string> = {},
): Promise<Lumina> {
  const env = typeof first === 'number' ? second : first;
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-browser-'));
  let server: ServerProcess;
  try {
    server = await startServer({
      DATA_DIR: dataDir,
      RATE_LIMIT_SIGNUP_MAX: '1000',
      RATE_LIMIT_UPLOAD_MAX: '1000',
      ...env,
    });
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    server,
    url: server.url,
    dataDir,
    stop: async () => {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** What a context saw that no journey should produce; asserted empty at the end of each test. */
export interface Problems {
  /** Uncaught exceptions in page scripts and console errors (CSP violations among them). */
  scriptErrors: string[];
  /** Requests to anything but 127.0.0.1, which were aborted. */
  offHost: string[];
  /** alert/confirm/prompt dialogs (an XSS payload that ran would open one). */
  dialogs: string[];
}

export interface Session {
  context: BrowserContext;
  page: Page;
  problems: Problems;
}

/** The page reports into `problems`; dialogs are dismissed so nothing hangs. */
function watch(page: Page, problems: Problems): void {
  page.on('pageerror', (err) => problems.scriptErrors.push(`${page.url()}: ${err.message}`));
  page.on('console', (msg) => {
    // A 4xx answer (a refused upload, a wrong password) is logged by Chromium as a failed
    // resource; the journeys assert those statuses themselves.
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
      problems.scriptErrors.push(`${page.url()}: ${msg.text()}`);
    }
  });
  page.on('dialog', (dialog) => {
    problems.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss().catch(() => undefined);
  });
}

/**
 * A fresh context (own cookies) with one page, only allowed to reach 127.0.0.1. When the running
 * test fails, the page is saved as test-results/screenshots/FAILED-<name>.png.
 */
export async function newSession(
  browser: Browser,
  name: string,
  options: { javaScriptEnabled?: boolean; viewport?: { width: number; height: number } } = {},
): Promise<Session> {
  const context = await browser.newContext({
    javaScriptEnabled: options.javaScriptEnabled ?? true,
    viewport: options.viewport ?? DESKTOP,
  });
  const problems: Problems = { scriptErrors: [], offHost: [], dialogs: [] };
  await context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (/^(https?|wss?):$/.test(url.protocol) && url.hostname !== '127.0.0.1') {
      problems.offHost.push(url.href);
      return route.abort('blockedbyclient');
    }
    return route.fallback();
  });
  const page = await context.newPage();
  watch(page, problems);
  onTestFailed(async () => {
    await screenshot(page, `FAILED-${name}`).catch(() => undefined);
  });
  return { context, page, problems };
}

const scrollToTop = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0));

/**
 * Saves test-results/screenshots/<name>.png and returns its path. The page is scrolled to the top
 * first (fixed bars are drawn where the scroll left them), or to `focus` when given; by default the
 * whole page is saved, or only the viewport when a `focus` is given.
 */
export async function screenshot(
  page: Page,
  name: string,
  options: { focus?: string; fullPage?: boolean } = {},
): Promise<string> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  if (options.focus) await page.locator(options.focus).first().scrollIntoViewIfNeeded();
  else await scrollToTop(page);
  await page.screenshot({ path, fullPage: options.fullPage ?? !options.focus });
  return path;
}

/**
 * `<name>-phone.png`: what a 375×812 phone shows (the viewport, at the top or at `focus`), and
 * `<name>-desktop.png`: the whole page at 1280×800. The viewport is restored afterwards.
 */
export async function screenshotBoth(page: Page, name: string, focus?: string): Promise<void> {
  const before = page.viewportSize() ?? DESKTOP;
  await page.setViewportSize(PHONE);
  await screenshot(page, `${name}-phone`, { ...(focus ? { focus } : {}), fullPage: false });
  await page.setViewportSize(DESKTOP);
  await screenshot(page, `${name}-desktop`, { fullPage: true });
  await page.setViewportSize(before);
}

let counter = 0;
/** A valid username (3–30 of letters, digits, `_`, `.`) unique to this run. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}_${Date.now().toString(36)}${counter}`.slice(0, 30);
}

export const PASSWORD = 'correct horse battery';

/** Signs up through the /signup form and waits for the signed-in navigation. */
export async function signUpThroughForm(page: Page, base: string, username: string, password = PASSWORD) {
  await page.goto(`${base}/signup`);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/signup` && r.request().method() === 'POST'),
    page.locator('#signup-submit').click(),
  ]);
  if (response.status() !== 303) {
    await page.waitForLoadState();
    const said = await page.locator('#form-error, #error-message').allTextContents();
    throw new Error(
      `sign-up as ${username} answered ${response.status()}: ${said.join(' ') || '(no message)'}`,
    );
  }
  await page.waitForURL(`${base}/`);
  await page.locator('#nav-username').waitFor();
}

/**
 * Submits the /login form and returns the status of the POST (303 when it worked); the caller
 * waits for what the next page shows.
 */
export async function submitLogin(page: Page, base: string, username: string, password: string) {
  await page.goto(`${base}/login`);
  await page.locator('#username').fill(username);
  await page.locator('#password').fill(password);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/login` && r.request().method() === 'POST'),
    page.locator('#login-submit').click(),
  ]);
  return response.status();
}

/** `naturalWidth` of an <img> (0 until it has loaded, and for a broken image). */
export function naturalWidth(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth);
}

/**
 * The built site and a browser for one describe block: both started before its tests (read
 * `lumina` and `browser` inside them) and stopped after.
 */
export function useSiteAndBrowser(): { lumina: Lumina; browser: Browser } {
  const site = {} as { lumina: Lumina; browser: Browser };
  beforeAll(async () => {
    [site.lumina, site.browser] = await Promise.all([startLumina(), launchBrowser()]);
  });
  afterAll(async () => {
    await site.browser?.close();
    await site.lumina?.stop();
  });
  return site;
}

/** Temp files for setInputFiles, removed by `cleanup()`. */
export function tempFiles() {
  const dir = mkdtempSync(join(tmpdir(), 'lumina-files-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The phone width pages are checked at (an iPhone 12 to 15). */
export const PHONE_390 = { width: 390, height: 844 } as const;

/** Accessibility violations axe rates critical or serious, as "rule: selector" lines. */
export async function seriousViolations(page: Page): Promise<string[]> {
  const { violations } = await new AxeBuilder({ page }).analyze();
  return violations
    .filter((v) => v.impact === 'critical' || v.impact === 'serious')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}`));
}

/**
 * Screenshots at 390 px and desktop width, light and dark, each checked with axe: of the page
 * (whole, or the viewport when `fullPage` is false), or of one `section` of it (the element alone).
 */
export async function shootAndCheck(
  page: Page,
  name: string,
  fullPage = true,
  section?: string,
): Promise<string[]> {
  const problems: string[] = [];
  for (const colorScheme of ['light', 'dark'] as const) {
    // No transitions (the site honours reduced motion) and no pointer over the page, so axe
    // measures each colour at rest, never half-way into a hover.
    await page.emulateMedia({ colorScheme, reducedMotion: 'reduce' });
    await page.mouse.move(0, 0);
    for (const [label, viewport] of [
      ['phone', PHONE_390],
      ['desktop', DESKTOP],
    ] as const) {
      await page.setViewportSize(viewport);
      const file = `${name}-${label}-${colorScheme}`;
      if (section) {
        mkdirSync(SCREENSHOTS, { recursive: true });
        await page.locator(section).screenshot({ path: join(SCREENSHOTS, `${file}.png`) });
      } else {
        await screenshot(page, file, { fullPage });
      }
      problems.push(...(await seriousViolations(page)).map((p) => `${label} ${colorScheme} ${p}`));
    }
  }
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
  await page.setViewportSize(DESKTOP);
  return problems;
}
