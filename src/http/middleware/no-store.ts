import type { ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Viewer } from '../../domain/types';
import { viewerOf } from './session';

/** Pages and API answers for a signed-in person must not sit in shared or back-button caches. */
export function noStoreFor(res: ServerResponse, viewer: Viewer | undefined): void {
  if (viewer) res.setHeader('Cache-Control', 'no-store');
}

/** noStoreFor as Express middleware, after the session middleware. */
export function noStoreWhenSignedIn(req: Request, res: Response, next: NextFunction): void {
  noStoreFor(res, viewerOf(req));
  next();
}
