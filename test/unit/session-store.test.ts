import type { SessionData } from 'express-session';
import { describe, expect, it } from 'vitest';
import { PortSessionStore } from '../../src/http/middleware/session';
import type { SessionStore } from '../../src/ports';

/** Records the expiry PortSessionStore asks the backend for. */
class RecordingSessions implements SessionStore {
  lastExpiry: Date | undefined;
  ping = () => Promise.resolve();
  get = () => Promise.resolve(null);
  set(_sid: string, _data: string, expiresAt: Date) {
    this.lastExpiry = expiresAt;
    return Promise.resolve();
  }
  touch(_sid: string, expiresAt: Date) {
    this.lastExpiry = expiresAt;
    return Promise.resolve();
  }
  destroy = () => Promise.resolve();
  prune = () => Promise.resolve(0);
}

const HOUR = 3_600_000;
const session = (signedInAt: number) =>
  ({ cookie: { originalMaxAge: null }, userId: 1, username: 'ana', signedInAt }) as unknown as SessionData;

const save = (store: PortSessionStore, data: SessionData) =>
  new Promise<void>((resolve, reject) =>
    store.set('sid', data, (err) => (err ? reject(err instanceof Error ? err : new Error('set failed')) : resolve())),
  );

describe('PortSessionStore lifetimes', () => {
  it('a fresh session expires one idle period after its last use', async () => {
    const sessions = new RecordingSessions();
    const store = new PortSessionStore(sessions, { idleMs: 2 * HOUR, absoluteMs: 24 * HOUR });
    await save(store, session(Date.now()));
    expect(sessions.lastExpiry!.getTime()).toBeGreaterThan(Date.now() + 2 * HOUR - 5_000);
    expect(sessions.lastExpiry!.getTime()).toBeLessThanOrEqual(Date.now() + 2 * HOUR);
  });

  it('an active session still ends at the absolute lifetime after sign-in', async () => {
    const sessions = new RecordingSessions();
    const store = new PortSessionStore(sessions, { idleMs: 2 * HOUR, absoluteMs: 24 * HOUR });
    const signedInAt = Date.now() - 23 * HOUR;
    await new Promise<void>((resolve) => store.touch('sid', session(signedInAt), resolve));
    expect(sessions.lastExpiry!.getTime()).toBe(signedInAt + 24 * HOUR);
  });
});
