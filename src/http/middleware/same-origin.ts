import type { NextFunction, Request, Response } from 'express';
import { Forbidden } from '../../domain/errors';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses unsafe methods sent from another site. Browsers say where a request comes from in
 * Sec-Fetch-Site, or at least Origin; clients that send neither (curl, scripts) are not browsers
 * and carry no ambient cookie risk, so they pass.
 */
export function sameOrigin(req: Request, _res: Response, next: NextFunction): void {
  if (SAFE.has(req.method)) return next();
  // Sec-Fetch-Site is set by the browser itself and cannot be forged by a page; when present it decides.
  const site = req.get('sec-fetch-site');
  const isAllowed =
    site !== undefined
      ? site === 'same-origin' || site === 'none'
      : (() => {
          const origin = req.get('origin');
          return origin === undefined || isSameHost(origin, req.get('host'));
        })();
  next(isAllowed ? undefined : new Forbidden('Cross-site requests are not allowed.', 'cross_site'));
}

function isSameHost(origin: string, host: string | undefined): boolean {
  if (!host || origin === 'null') return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
