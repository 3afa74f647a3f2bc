import express, { type NextFunction, type Request, type Response } from 'express';
import { AppError } from '../../domain/errors';
import { viewerOf } from '../middleware/session';

/**
 * Small helpers shared by the page routers: form bodies, local redirects, flash notices and
 * which errors a page may recover from by showing the message on the form again.
 */

declare module 'express-session' {
  interface SessionData {
    /** One notice shown on the next page a signed-in person sees, then forgotten. */
    flash: Flash;
  }
}

export interface Flash {
  kind: 'ok' | 'error';
  text: string;
}

/**
 * Parses `application/x-www-form-urlencoded` bodies; used only on the routes that take a form.
 * 64 kB fits the longest message (2,000 characters of 4-byte UTF-8, percent-encoded) with room.
 */
export const formBody = express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 20 });

/**
 * `value` when it is a path on this site (one leading slash, not `//host` nor `/\host`, which
 * browsers treat as another host), otherwise `fallback`. Guards `?next=` and `return_to`.
 */
export function localPath(value: unknown, fallback: string): string {
  if (typeof value !== 'string' || value.length > 2000) return fallback;
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return fallback;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f\\]/.test(value)) return fallback;
  return value;
}

/** A string field of a form body as the person typed it (for re-showing), or ''. */
export function typed(req: Request, field: string, max = 5000): string {
  const body = req.body as Record<string, unknown> | undefined;
  const value = body?.[field];
  return typeof value === 'string' ? value.slice(0, max) : '';
}

export function setFlash(req: Request, kind: Flash['kind'], text: string): void {
  if (req.session) req.session.flash = { kind, text };
}

/** Reads and forgets the pending notice. */
export function takeFlash(req: Request): Flash | null {
  const flash = req.session?.flash;
  if (!flash) return null;
  delete req.session.flash;
  return flash;
}

/**
 * The error when a page can recover from it by showing its sentence to the person (a 4xx:
 * bad input, not allowed, gone, taken, too many); undefined for anything else, which the
 * error page handles.
 */
export function recoverable(err: unknown): AppError | undefined {
  return err instanceof AppError && err.status >= 400 && err.status < 500 ? err : undefined;
}

/**
 * For one-click actions (accept, cancel, unfriend, delete…): a 4xx becomes a notice on the
 * page the button sits on; anything else is rethrown to the error page.
 */
export function flashFailure(req: Request, res: Response, err: unknown, back: string): void {
  const e = recoverable(err);
  if (!e) throw err;
  setFlash(req, 'error', e.message);
  res.redirect(303, back);
}

/**
 * Guard for form posts. An anonymous visitor (say, whose session ran out) is sent to log in and
 * then back to the page the form was on (its same-site Referer), not to the action's address,
 * which has no page to show.
 */
export function requireFormUser(req: Request, res: Response, next: NextFunction): void {
  if (viewerOf(req)) return next();
  let back = '/';
  const referer = req.get('referer');
  if (referer) {
    try {
      const url = new URL(referer);
      if (url.host === req.get('host')) back = localPath(url.pathname + url.search, '/');
    } catch {
      // Not a URL: go home after logging in.
    }
  }
  res.redirect(303, `/login?next=${encodeURIComponent(back)}`);
}
