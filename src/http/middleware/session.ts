import session, { Store, type SessionData } from 'express-session';
import type { RequestHandler } from 'express';
import type { Config } from '../../config';
import type { Viewer } from '../../domain/types';
import type { SessionStore } from '../../ports';

declare module 'express-session' {
  interface SessionData {
    userId: number;
    username: string;
    /** When the person signed in (ms); bounds the absolute lifetime. */
    signedInAt: number;
  }
}

type Callback = (err?: unknown, value?: SessionData | null) => void;

/**
 * express-session's Store on our SessionStore port. A record lives `idleMs` past its last use,
 * and never longer than `absoluteMs` after sign-in, whichever comes first.
 */
export class PortSessionStore extends Store {
  constructor(
    private readonly sessions: SessionStore,
    private readonly lifetimes: { idleMs: number; absoluteMs: number },
  ) {
    super();
  }

  private expiry(data: SessionData): Date {
    const idle = Date.now() + this.lifetimes.idleMs;
    const absolute = data.signedInAt ? data.signedInAt + this.lifetimes.absoluteMs : idle;
    return new Date(Math.min(idle, absolute));
  }

  override get(sid: string, callback: Callback): void {
    this.sessions.get(sid).then(
      (raw) => callback(undefined, raw ? (JSON.parse(raw) as SessionData) : null),
      (err: unknown) => callback(err),
    );
  }

  override set(sid: string, data: SessionData, callback?: (err?: unknown) => void): void {
    this.sessions.set(sid, JSON.stringify(data), this.expiry(data)).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }

  override touch(sid: string, data: SessionData, callback?: () => void): void {
    this.sessions.touch(sid, this.expiry(data)).then(
      () => callback?.(),
      // express-session ignores touch errors; the next request reads the record again anyway.
      () => callback?.(),
    );
  }

  override destroy(sid: string, callback?: (err?: unknown) => void): void {
    this.sessions.destroy(sid).then(
      () => callback?.(),
      (err: unknown) => callback?.(err),
    );
  }
}

export function sessionMiddleware(config: Config, sessions: SessionStore): RequestHandler {
  return session({
    name: config.session.cookieName,
    secret: config.session.secret,
    store: new PortSessionStore(sessions, config.session),
    resave: false,
    saveUninitialized: false,
    rolling: true,
    proxy: undefined,
    cookie: {
      httpOnly: true,
      sameSite: 'lax',
      // Secure whenever the request arrived over TLS, as `trust proxy` reports it.
      secure: 'auto',
      maxAge: config.session.idleMs,
    },
  });
}

/** The signed-in person, or undefined. */
export function viewerOf(req: { session?: Partial<SessionData> }): Viewer | undefined {
  const s = req.session;
  return s?.userId && s.username ? { id: s.userId, username: s.username } : undefined;
}

/** Starts a fresh session for the user: a new id, so a session fixed before login is worthless. */
export function signIn(req: Express.Request, viewer: Viewer): Promise<void> {
  return new Promise((resolve, reject) => {
    req.session.regenerate((err) => {
      if (err) return reject(err instanceof Error ? err : new Error(String(err)));
      req.session.userId = viewer.id;
      req.session.username = viewer.username;
      req.session.signedInAt = Date.now();
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
