import type { SessionData } from 'express-session';
import { describe, expect, it } from 'vitest';
import { sign } from 'cookie-signature';
import {
  PortSessionStore,
  signedValueReader,
  TOUCH_STEP_MS,
  VERIFIED_VALUES_MAX,
} from '../../src/http/middleware/session';
import type { SessionOwner, SessionRecord, SessionStore } from '../../src/ports';

/** Serves one stored record and records what PortSessionStore asks the backend to write. */
class RecordingSessions implements SessionStore {
  stored: SessionRecord | null = null;
  lastExpiry: Date | undefined;
  lastData: string | undefined;
  touches = 0;
  failTouch = false;
  ping = () => Promise.resolve();
  get = () => Promise.resolve(this.stored);
  lastOwner: SessionOwner | null | undefined;
  set(_sid: string, data: string, expiresAt: Date, owner?: SessionOwner | null) {
    this.lastData = data;
    this.lastExpiry = expiresAt;
    this.lastOwner = owner;
    return Promise.resolve();
  }
  touch(_sid: string, expiresAt: Date) {
    this.touches++;
    this.lastExpiry = expiresAt;
    return this.failTouch ? Promise.reject(new Error('store down')) : Promise.resolve();
  }
  destroy = () => Promise.resolve();
  prune = () => Promise.resolve(0);
  listByUser = () => Promise.resolve([]);
  destroyByUser = () => Promise.resolve(0);
}

const HOUR = 3_600_000;
const lifetimes = { idleMs: 2 * HOUR, absoluteMs: 24 * HOUR };
const session = (signedInAt: number) =>
  ({ cookie: { originalMaxAge: null }, userId: 1, username: 'ana', signedInAt }) as unknown as SessionData;
/** A stored record of a person who signed in at `signedInAt`, expiring at `expiresAt`. */
const record = (signedInAt: number, expiresAt: number): SessionRecord => ({
  data: JSON.stringify(session(signedInAt)),
  expiresAt: new Date(expiresAt),
});

const save = (store: PortSessionStore, data: SessionData) =>
  new Promise<void>((resolve, reject) =>
    store.set('sid', data, (err) =>
      err ? reject(err instanceof Error ? err : new Error('set failed')) : resolve(),
    ),
  );

/** Reads the record through the adapter, as express-session does at the start of a request. */
const read = (store: PortSessionStore) =>
  new Promise<SessionData | null>((resolve, reject) =>
    store.get('sid', (err, data) =>
      err ? reject(err instanceof Error ? err : new Error('get failed')) : resolve(data ?? null),
    ),
  );

describe('PortSessionStore lifetimes', () => {
  it('a fresh session expires one idle period after its last use', async () => {
    const sessions = new RecordingSessions();
    await save(new PortSessionStore(sessions, lifetimes), session(Date.now()));
    expect(sessions.lastExpiry!.getTime()).toBeGreaterThan(Date.now() + 2 * HOUR - 5_000);
    expect(sessions.lastExpiry!.getTime()).toBeLessThanOrEqual(Date.now() + 2 * HOUR);
  });

  it('an active session still ends at the absolute lifetime after sign-in', async () => {
    const sessions = new RecordingSessions();
    const signedInAt = Date.now() - 23 * HOUR;
    sessions.stored = record(signedInAt, Date.now() + 30 * 60_000);
    await read(new PortSessionStore(sessions, lifetimes));
    expect(sessions.lastExpiry!.getTime()).toBe(signedInAt + 24 * HOUR);
  });

  it('saving a session stores its data as given', async () => {
    const sessions = new RecordingSessions();
    const data = session(Date.now());
    await save(new PortSessionStore(sessions, lifetimes), data);
    expect(JSON.parse(sessions.lastData!)).toEqual(JSON.parse(JSON.stringify(data)));
  });

  it('saving a signed-in session names its owner and device for the indexed columns', async () => {
    const sessions = new RecordingSessions();
    await save(new PortSessionStore(sessions, lifetimes), {
      ...session(Date.now()),
      device: 'Firefox on Linux',
    });
    expect(sessions.lastOwner).toEqual({ userId: 1, device: 'Firefox on Linux' });
  });

  it('saving an anonymous session records no owner', async () => {
    const sessions = new RecordingSessions();
    await save(new PortSessionStore(sessions, lifetimes), { cookie: {} } as unknown as SessionData);
    expect(sessions.lastOwner).toBeNull();
  });
});

describe('PortSessionStore.get keeps a session alive', () => {
  it('a session read within a minute of its last write returns its data and writes nothing', async () => {
    const sessions = new RecordingSessions();
    sessions.stored = record(Date.now() - HOUR, Date.now() + 2 * HOUR - 30_000);
    const data = await read(new PortSessionStore(sessions, lifetimes));
    expect(data).toMatchObject({ userId: 1, username: 'ana' });
    expect(sessions.touches).toBe(0);
  });

  it('a session whose expiry would move by a minute or more gets a full idle period again', async () => {
    const sessions = new RecordingSessions();
    sessions.stored = record(Date.now() - HOUR, Date.now() + 2 * HOUR - TOUCH_STEP_MS - 1_000);
    await read(new PortSessionStore(sessions, lifetimes));
    expect(sessions.touches).toBe(1);
    expect(sessions.lastExpiry!.getTime()).toBeGreaterThan(Date.now() + 2 * HOUR - 5_000);
  });

  it('a session already at its absolute end is not written again', async () => {
    const sessions = new RecordingSessions();
    const signedInAt = Date.now() - 23 * HOUR - 30 * 60_000;
    sessions.stored = record(signedInAt, signedInAt + 24 * HOUR);
    await read(new PortSessionStore(sessions, lifetimes));
    expect(sessions.touches).toBe(0);
  });

  it('with a one-minute idle time a record lagging by a tenth of it is written', async () => {
    const sessions = new RecordingSessions();
    sessions.stored = record(Date.now() - HOUR, Date.now() + 60_000 - 7_000);
    await read(new PortSessionStore(sessions, { idleMs: 60_000, absoluteMs: 24 * HOUR }));
    expect(sessions.touches).toBe(1);
    expect(sessions.lastExpiry!.getTime()).toBeGreaterThan(Date.now() + 55_000);
  });

  it('a touch that fails still answers the session', async () => {
    const sessions = new RecordingSessions();
    sessions.failTouch = true;
    sessions.stored = record(Date.now() - HOUR, Date.now() + HOUR);
    const data = await read(new PortSessionStore(sessions, lifetimes));
    expect(sessions.touches).toBe(1);
    expect(data).toMatchObject({ userId: 1 });
  });

  it('a missing record reads as no session', async () => {
    expect(await read(new PortSessionStore(new RecordingSessions(), lifetimes))).toBeNull();
  });

  it('the store has no touch, so express-session does no work for an unchanged session', () => {
    const store = new PortSessionStore(new RecordingSessions(), lifetimes) as unknown as { touch?: unknown };
    expect(store.touch).toBeUndefined();
  });
});

describe('signedValueReader', () => {
  const secret = 'a-test-secret-long-enough-for-config';

  it('answers the value of a genuine cookie, again and again, and false for every forgery', () => {
    const read = signedValueReader(secret);
    const genuine = `s:${sign('sid-1', secret)}`;
    for (let i = 0; i < 3; i++) expect(read(genuine)).toBe('sid-1');
    // After the genuine one was remembered: a changed signature, another secret's, the value
    // alone, the genuine signature on another value.
    expect(read(`${genuine.slice(0, -2)}xx`)).toBe(false);
    expect(read(`s:${sign('sid-1', 'another-secret-long-enough-too')}`)).toBe(false);
    expect(read('s:sid-1')).toBe(false);
    expect(read('sid-1')).toBe(false);
    expect(read(`s:sid-2.${genuine.split('.')[1]!}`)).toBe(false);
  });

  it('stays bounded: past its size it starts afresh and still reads every cookie right', () => {
    const read = signedValueReader(secret);
    const cookies = Array.from(
      { length: VERIFIED_VALUES_MAX + 5 },
      (_, i) => `s:${sign(`sid-${i}`, secret)}`,
    );
    cookies.forEach((cookie, i) => expect(read(cookie)).toBe(`sid-${i}`));
    cookies.slice(0, 10).forEach((cookie, i) => expect(read(cookie)).toBe(`sid-${i}`));
  });
});
