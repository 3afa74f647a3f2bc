import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { Forbidden } from '../../domain/errors';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The refusal for an unsafe method sent from another site, or undefined when the request may go
 * on. Browsers say where a request comes from in Sec-Fetch-Site, or at least Origin; clients that
 * send neither (curl, scripts) are not browsers and carry no ambient cookie risk, so they pass.
 */
export function forbiddenCrossSite(req: IncomingMessage): Forbidden | undefined {
  if (SAFE.has(req.method ?? '')) return undefined;
  // Sec-Fetch-Site is set by the browser itself and cannot be forged by a page; when present it decides.
  const site = header(req, 'sec-fetch-site');
  const isAllowed =
    site !== undefined
      ? site === 'same-origin' || site === 'none'
      : (() => {
          const origin = header(req, 'origin');
          return origin === undefined || isSameHost(origin, header(req, 'host'));
        })();
  return isAllowed ? undefined : new Forbidden('Cross-site requests are not allowed.', 'cross_site');
}

/** forbiddenCrossSite as Express middleware. */
export function sameOrigin(req: Request, _res: Response, next: NextFunction): void {
  next(forbiddenCrossSite(req));
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function isSameHost(origin: string, host: string | undefined): boolean {
  if (!host || origin === 'null') return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
