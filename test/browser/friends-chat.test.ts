import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  newSession,
  screenshotBoth,
  signUpThroughForm,
  uniqueName,
  useSiteAndBrowser,
  type Problems,
} from '../support/browser';

/** The chat page polls every 3 s; a new message must show on the other side within this. */
const LIVE_MS = 4_000;

const noProblems: Problems = { scriptErrors: [], offHost: [], dialogs: [] };

/**
 * Watches a page for reloads: sets a marker variable in the page and counts main-frame
 * navigations from now on. `check()` fails if the page navigated or lost the marker.
 */
async function noReloadGuard(page: Page) {
  let navigations = 0;
  page.on('framenavigated', (frame) => {
    if (frame === page.mainFrame()) navigations += 1;
  });
  await page.evaluate(() => {
    (globalThis as unknown as { luminaMarker: string }).luminaMarker = 'not reloaded';
  });
  const url = page.url();
  return {
    check: async () => {
      expect(navigations).toBe(0);
      expect(page.url()).toBe(url);
      const marker = await page.evaluate(
        () => (globalThis as unknown as { luminaMarker?: string }).luminaMarker,
      );
      expect(marker).toBe('not reloaded');
    },
  };
}

/** The text of each message in the open conversation, oldest first. */
const messageTexts = (page: Page) => page.locator('#message-list .message-text').allTextContents();

/** The message with exactly this text, on the given side ('mine' or 'theirs'). */
const messageItem = (page: Page, side: 'mine' | 'theirs', text: string) =>
  page.locator(`#message-list li.message.${side}`).filter({ hasText: text });

/** Sends through the chat form and waits for the message to show on the sender's page. */
async function send(page: Page, text: string) {
  await page.locator('#message-text').fill(text);
  const [response] = await Promise.all([
    page.waitForResponse((r) => r.url().endsWith('/api/messages') && r.request().method() === 'POST'),
    page.locator('#chat-send').click(),
  ]);
  expect(response.status()).toBe(201);
  await messageItem(page, 'mine', text).waitFor();
  expect(await page.locator('#message-text').inputValue()).toBe('');
}

describe('friends and chat in the browser', () => {
  const site = useSiteAndBrowser();

  it('A befriends B, then their open chat pages exchange messages live, without reloads', async () => {
    const base = site.lumina.url;
    const a = await newSession(site.browser, 'chat-a');
    const b = await newSession(site.browser, 'chat-b');
    const nameA = uniqueName('alice');
    const nameB = uniqueName('bob');
    await signUpThroughForm(a.page, base, nameA);
    await signUpThroughForm(b.page, base, nameB);

    // A finds B on /friends and sends a request.
    await a.page.goto(`${base}/friends`);
    await a.page.locator('#people-q').fill(nameB);
    await Promise.all([a.page.waitForURL(/\/friends\?q=/), a.page.locator('#people-search-submit').click()]);
    const result = a.page.locator(`#people-results li.result[data-username="${nameB}"]`);
    await result.waitFor();
    expect(await result.getAttribute('data-state')).toBe('none');
    await result.locator('.add-friend-form button').click();
    await a.page.locator('#flash').waitFor();
    expect(await a.page.locator('#flash').textContent()).toBe(`Friend request sent to ${nameB}.`);
    expect(await result.getAttribute('data-state')).toBe('outgoing');
    await a.page.locator(`#outgoing-requests li[data-username="${nameB}"]`).waitFor();
    await screenshotBoth(a.page, 'friends-a-request-sent', '#find-people');

    // B sees the request in the navigation badge and on /friends, and accepts it.
    await b.page.goto(`${base}/`);
    const requestsBadge = b.page.locator('#nav-requests-badge');
    await requestsBadge.waitFor();
    expect(await requestsBadge.textContent()).toBe('1 pending friend request');
    expect(await requestsBadge.getAttribute('title')).toBe('1 pending friend request');
    await b.page.goto(`${base}/friends`);
    const incoming = b.page.locator(`#incoming-requests li.request[data-username="${nameA}"]`);
    await incoming.waitFor();
    await screenshotBoth(b.page, 'friends-b-incoming', '#incoming-requests');
    await incoming.locator('.accept-form button').click();
    await b.page.locator('#flash').waitFor();
    expect(await b.page.locator('#flash').textContent()).toBe(`You and ${nameA} are now friends.`);
    await b.page.locator(`#friend-list li.friend[data-username="${nameA}"]`).waitFor();
    expect(await b.page.locator('#incoming-requests li.request').count()).toBe(0);
    expect(await requestsBadge.count()).toBe(0);

    // B already has the conversation open when A opens it from the friend list.
    await b.page.goto(`${base}/chat/${nameA}`);
    await b.page.locator('#chat-empty').waitFor();
    expect(await b.page.locator('#chat-partner-name').textContent()).toBe(nameA);
    const bGuard = await noReloadGuard(b.page);

    await a.page.goto(`${base}/friends`);
    await Promise.all([
      a.page.waitForURL(`${base}/chat/${nameB}`),
      a.page.locator(`#friend-list li.friend[data-username="${nameB}"] .chat-link`).click(),
    ]);
    await a.page.locator('#chat-form').waitFor();
    const aGuard = await noReloadGuard(a.page);

    // A sends; B's open page shows it within LIVE_MS by polling, as text (no <b> element).
    const first = `Hello ${nameB}, <b>x</b> is not bold`;
    const bSees = messageItem(b.page, 'theirs', first).waitFor({ timeout: LIVE_MS });
    await Promise.all([send(a.page, first), bSees]);
    await aGuard.check();
    await bGuard.check();
    expect(await messageTexts(a.page)).toEqual([first]);
    expect(await messageTexts(b.page)).toEqual([first]);
    for (const page of [a.page, b.page]) {
      expect(await page.locator('#message-list b').count()).toBe(0);
      expect(await page.locator('#chat-empty').isHidden()).toBe(true);
    }
    await screenshotBoth(a.page, 'chat-a-sent', '#chat-form');
    await screenshotBoth(b.page, 'chat-b-received', '#chat-form');

    // B answers the same way and A's page, still open, shows it live.
    const reply = `Hi ${nameA}! <i>y</i> & more`;
    const aSees = messageItem(a.page, 'theirs', reply).waitFor({ timeout: LIVE_MS });
    await Promise.all([send(b.page, reply), aSees]);
    await aGuard.check();
    await bGuard.check();
    expect(await messageTexts(a.page)).toEqual([first, reply]);
    expect(await messageTexts(b.page)).toEqual([first, reply]);
    expect(await a.page.locator('#message-list i').count()).toBe(0);

    // B has read everything (the page was open); away from the chat, A's next message is unread.
    await b.page.goto(`${base}/feed?scope=home`);
    await b.page.locator('#feed-about').waitFor();
    expect(await b.page.locator('#nav-unread-badge').count()).toBe(0);
    const second = `Are you there? <b>x</b>`;
    await send(a.page, second);
    await aGuard.check();

    await b.page.reload();
    const unreadBadge = b.page.locator('#nav-unread-badge');
    await unreadBadge.waitFor();
    expect(await unreadBadge.textContent()).toBe('1 unread message');
    await b.page.goto(`${base}/chat`);
    const conversation = b.page.locator(`#conversation-list li.conversation[data-username="${nameA}"]`);
    await conversation.waitFor();
    expect(await conversation.getAttribute('class')).toContain('is-unread');
    expect(await conversation.locator('.badge.unread').textContent()).toBe('1 unread');
    expect(await conversation.locator('.conversation-last').textContent()).toBe(second);
    expect(await conversation.locator('b').count()).toBe(0);
    await screenshotBoth(b.page, 'chat-b-conversations');

    // Opening the conversation reads it: the badges go, the server-rendered history is text.
    await Promise.all([
      b.page.waitForURL(`${base}/chat/${nameA}`),
      conversation.locator('a.conversation-link').click(),
    ]);
    await messageItem(b.page, 'theirs', second).waitFor();
    expect(await messageTexts(b.page)).toEqual([first, reply, second]);
    expect(await b.page.locator('#message-list b, #message-list i').count()).toBe(0);
    expect(await unreadBadge.count()).toBe(0);
    await b.page.goto(`${base}/chat`);
    await conversation.waitFor();
    expect(await conversation.getAttribute('class')).not.toContain('is-unread');
    expect(await conversation.locator('.badge').count()).toBe(0);

    // A's list shows the last message as theirs ("You: ") with nothing unread.
    await a.page.goto(`${base}/chat`);
    const aConversation = a.page.locator(`#conversation-list li.conversation[data-username="${nameB}"]`);
    await aConversation.waitFor();
    expect(await aConversation.locator('.conversation-last').textContent()).toBe(`You: ${second}`);
    expect(await a.page.locator('#nav-unread-badge').count()).toBe(0);

    expect(a.problems).toEqual(noProblems);
    expect(b.problems).toEqual(noProblems);
    await a.context.close();
    await b.context.close();
  });
});
