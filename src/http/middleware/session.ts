import { parse as parseCookies } from 'cookie';
import { unsign } from 'cookie-signature';
import session, { Store, type SessionData } from 'express-session';
import type { Request, RequestHandler } from 'express';
import type { Config } from '../../config';
import type { Viewer } from '../../domain/types';
import { describeDevice } from '../../lib/device';
import type { SessionStore } from '../../ports';

declare module 'express-session' {
  interface SessionData {
    userId: number;
    username: string;
    /** When the person signed in (ms); bounds the absolute lifetime. */
    signedInAt: number;
    /** The device named at sign-in ("Firefox on Android"), for the person's list of sessions. */
    device: string;
  }
}

type Callback = (err?: unknown, value?: SessionData | null) => void;

/** The longest a record's expiry may lag its last use before reading it writes the new expiry. */
export const TOUCH_STEP_MS = 60_000;

/**
 * express-session's Store on our SessionStore port. A record lives `idleMs` past its last use,
 * and never longer than `absoluteMs` after sign-in, whichever comes first.
 *
 * Reading a record is what keeps it alive: `get` moves its expiry when it would move by at least
 * a step (a minute, or a tenth of the idle time if that is shorter). So a busy session costs one
 * write a minute rather than one per request, and a record may expire at most one step before a
 * full idle period after its last use. There is no `touch`: express-session then does nothing
 * more at the end of a request that left the session unchanged.
 */
export class PortSessionStore extends Store {
  private readonly touchStepMs: number;

  constructor(
    private readonly sessions: SessionStore,
    private readonly lifetimes: { idleMs: number; absoluteMs: number },
  ) {
    super();
    this.touchStepMs = Math.min(TOUCH_STEP_MS, Math.floor(lifetimes.idleMs / 10));
  }

  private expiry(data: SessionData): Date {
    const idle = Date.now() + this.lifetimes.idleMs;
    const absolute = data.signedInAt ? data.signedInAt + this.lifetimes.absoluteMs : idle;
    return new Date(Math.min(idle, absolute));
  }

  override get(sid: string, callback: Callback): void {
    this.read(sid).then(
      (data) => callback(undefined, data),
      (err: unknown) => callback(err),
    );
  }

  override set(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    const owner = data.userId ? { userId: data.userId, device: data.device ?? '' } : null;
    this.sessions.set(sid, JSON.stringify(data), this.expiry(data), owner).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.sessions.destroy(sid).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  /** The record's data, or null when there is none or it expired; moves the expiry as `get` does. */
  async read(sid: string): Promise<SessionData | null> {
    const record = await this.sessions.get(sid);
    if (!record) return null;
    const data = JSON.parse(record.data) as SessionData;
    const expiresAt = this.expiry(data);
    if (Math.abs(expiresAt.getTime() - record.expiresAt.getTime()) >= this.touchStepMs) {
      // A failed touch costs nothing now (the record lives until its old expiry) and the next
      // request tries again, so it does not fail this one.
      await this.sessions.touch(sid, expiresAt).catch(() => undefined);
    }
    return data;
  }
}

/**
 * Not rolling: the cookie is sent at sign-in (and when the session changes), not on every
 * answer. It lasts the absolute lifetime; the idle lifetime is the server record's, kept alive
 * by PortSessionStore.get, so an active person stays signed in and an idle one is signed out.
 */
export function sessionMiddleware(config: Config, store: PortSessionStore): RequestHandler {
  return session({
    name: config.session.cookieName,
    secret: config.session.secret,
    store,
    resave: false,
    saveUninitialized: false,
    rolling: false,
    proxy: undefined,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      // Secure whenever the request arrived over TLS, as `trust proxy` reports it.
      secure: 'auto',
      maxAge: config.session.absoluteMs,
    },
  });
}

/**
 * Who a Cookie header signs in, as sessionMiddleware would find it, for a handler that runs
 * before Express (http/api/messages-poll.ts). The same packages parse the header and check the
 * signature (`s:<id>.<HMAC>`) as in express-session, so a cookie is valid for both or for
 * neither, and the same PortSessionStore.read keeps the session alive. It never writes a cookie.
 */
export function viewerReader(
  config: Config,
  store: PortSessionStore,
): (cookieHeader: string | undefined) => Promise<Viewer | undefined> {
  const { cookieName, secret } = config.session;
  const sessionIdOf = signedValueReader(secret);
  return async (cookieHeader) => {
    const raw = cookieHeader ? parseCookies(cookieHeader)[cookieName] : undefined;
    const sid = raw === undefined ? false : sessionIdOf(raw);
    return sid === false ? undefined : viewerOf({ session: (await store.read(sid)) ?? undefined });
  };
}

/** How many genuine signed values a worker remembers (about 150 bytes each). */
export const VERIFIED_VALUES_MAX = 10_000;

/**
 * The value inside a signed cookie (`s:<value>.<HMAC>`), or false when the signature is not
 * ours. A browser sends the same cookie with every request, and checking it is an HMAC each
 * time, so the signed strings already found genuine are remembered. Only genuine ones: a forger
 * cannot fill the memo, and a forged string is never in it. Whether the session still exists is
 * the store's to say on every read, so a remembered cookie of a signed-out session signs nobody
 * in. Bounded: the memo starts afresh when full.
 */
export function signedValueReader(secret: string): (raw: string) => string | false {
  const verified = new Map<string, string>();
  return (raw) => {
    const known = verified.get(raw);
    if (known !== undefined) return known;
    const value = raw.startsWith('s:') ? unsign(raw.slice(2), secret) : false;
    if (value !== false) {
      if (verified.size >= VERIFIED_VALUES_MAX) verified.clear();
      verified.set(raw, value);
    }
    return value;
  };
}

/** The signed-in person, or undefined. */
export function viewerOf(req: { session?: Partial<SessionData> }): Viewer | undefined {
  const s = req.session;
  return s?.userId && s.username ? { id: s.userId, username: s.username } : undefined;
}

/** Starts a fresh session for the user: a new id, so a session fixed before login is worthless. */
export function signIn(req: Request, viewer: Viewer): Promise<void> {
  const device = describeDevice(req.get('user-agent'));
  return new Promise((resolve, reject) => {
    req.session.regenerate((err) => {
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      req.session.userId = viewer.id;
      req.session.username = viewer.username;
      req.session.signedInAt = Date.now();
      req.session.device = device;
      req.session.save((saveErr) =>
        saveErr ? reject(saveErr instanceof Error ? saveErr : new Error(String(saveErr))) : resolve(),
      );
    });
  });
}

/** Deletes the session record on the server, so a replayed cookie is worthless. */
export function signOut(req: Express.Request): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.destroy((err) =>
      err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
    );
  });
}
