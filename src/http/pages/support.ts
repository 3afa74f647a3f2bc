import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { setErrorStatus, toHttpError, type HttpError } from '../errors';
import type { Viewer } from '../../domain/types';
import type { BadgeService, Badges } from '../../services/badge.service';
import { viewerOf } from '../middleware/session';

/**
 * Small helpers shared by the page routers: the one shape of a form (formRoute), local
 * redirects, flash notices and the navigation's badges.
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

/**
 * Shows the viewer's badges in the navigation (views/partials/nav.ejs reads `nav`); on a page
 * that marked the activity read (activityMarkedRead), without an activity count.
 */
export function showBadges(res: Response, badges: Badges): void {
  const activity = res.locals.activityMarkedRead === true ? 0 : badges.activity;
  res.locals.nav = { pendingRequests: badges.requests, unread: badges.messages, activity };
}

/**
 * For a page that has just marked all activity read: its navigation (shown when it renders, by
 * showBadges) has no activity count.
 */
export function activityMarkedRead(res: Response): void {
  res.locals.activityMarkedRead = true;
}

/**
 * Runs a page that shows the viewer's badges from its own reads (mounted before navBadges). When
 * it fails before showing them (a missing photo or person), they are read on their own, so the
 * error page shows them as every other page does.
 */
export async function withOwnBadges(
  res: Response,
  badges: Pick<BadgeService, 'of'>,
  viewer: Viewer,
  page: () => Promise<void>,
): Promise<void> {
  try {
    await page();
  } catch (err) {
    if (res.locals.nav === undefined) {
      const shown = await badges.of(viewer).catch(() => null);
      if (shown) showBadges(res, shown);
    }
    throw err;
  }
}

/** Reads and forgets the pending notice. */
export function takeFlash(req: Request): Flash | null {
  const flash = req.session?.flash;
  if (!flash) return null;
  delete req.session.flash;
  return flash;
}

export type FormRoute = {
  /**
   * Parses the input and acts: answers the path to go to next (a 303), or renders itself and
   * answers nothing (a search form's results).
   */
  act: (req: Request, res: Response) => Promise<string | void>;
} & (
  | {
      /** Shows the form again with the error's sentence; answered with the error's status. */
      show: (req: Request, res: Response, error: HttpError) => Promise<void> | void;
    }
  | {
      /** For one-click buttons: the page to go back to, where the sentence shows as a notice. */
      back: (req: Request) => string;
    }
);

/**
 * The one shape of a page that takes a form: parse, act, then redirect or re-show the form
 * with the error. An error the person can do something about (a 4xx: bad input, not allowed,
 * gone, taken, too many) is shown, whether `act` threw it or a middleware before it did (a rate
 * limit, a body too large, a refused upload), so put these handlers last. Anything else, and
 * anything `show` throws (the page it shows is gone), goes to the app's error handler.
 */
export function formRoute(route: FormRoute): [RequestHandler, ErrorRequestHandler] {
  const run: RequestHandler = async (req, res) => {
    const next = await route.act(req, res);
    if (typeof next === 'string') res.redirect(303, next);
  };
  const failed: ErrorRequestHandler = async (err: unknown, req, res, next: NextFunction) => {
    const e = toHttpError(err);
    if (!e || e.status < 400 || e.status >= 500 || res.headersSent) return next(err);
    if ('show' in route) {
      setErrorStatus(res, e);
      await route.show(req, res, e);
    } else {
      setFlash(req, 'error', e.message);
      res.redirect(303, route.back(req));
    }
  };
  return [run, failed];
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
