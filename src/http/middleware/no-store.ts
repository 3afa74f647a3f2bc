import type { NextFunction, Request, Response } from 'express';
import { viewerOf } from './session';

/** Pages and API answers for a signed-in person must not sit in shared or back-button caches. */
export function noStoreWhenSignedIn(req: Request, res: Response, next: NextFunction): void {
  if (viewerOf(req)) res.setHeader('Cache-Control', 'no-store');
  next();
}
