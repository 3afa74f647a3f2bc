import type { NextFunction, Request, Response } from 'express';
import { Unauthenticated } from '../../domain/errors';
import type { Viewer } from '../../domain/types';
import { viewerOf } from './session';

/** API guard: 401 JSON for anonymous calls. */
export function requireUser(req: Request, _res: Response, next: NextFunction): void {
  next(viewerOf(req) ? undefined : new Unauthenticated());
}

/** Page guard: anonymous visitors are sent to the login page and brought back afterwards. */
export function requirePageUser(req: Request, res: Response, next: NextFunction): void {
  if (viewerOf(req)) return next();
  res.redirect(303, `/login?next=${encodeURIComponent(req.originalUrl)}`);
}

/** The viewer of a request that passed requireUser/requirePageUser. */
export function viewer(req: Request): Viewer {
  const v = viewerOf(req);
  if (!v) throw new Unauthenticated();
  return v;
}
