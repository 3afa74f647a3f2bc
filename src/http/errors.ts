import type { ErrorRequestHandler, Request, Response } from 'express';
import type { ServerResponse } from 'node:http';
import { AppError, type ErrorCode } from '../domain/errors';
import type { Logger } from '../lib/logger';

export interface HttpError {
  status: number;
  code: ErrorCode;
  message: string;
  /** Seconds until a refused request may be tried again (429): sent as Retry-After. */
  retryAfterSeconds?: number;
}

const INTERNAL: HttpError = {
  status: 500,
  code: 'internal_error',
  message: 'Something went wrong on our side.',
};

/**
 * One mapping from anything thrown to a status, a machine code and a sentence safe to show.
 * Libraries' refusals became AppErrors where they arose (middleware/upload.ts, middleware/body.ts),
 * so anything that is not an AppError is a bug: undefined.
 */
export function toHttpError(err: unknown): HttpError | undefined {
  if (!(err instanceof AppError)) return undefined;
  const e: HttpError = { status: err.status, code: err.code, message: err.message };
  if ('retryAfterSeconds' in err && typeof err.retryAfterSeconds === 'number') {
    e.retryAfterSeconds = err.retryAfterSeconds;
  }
  return e;
}

/** What to answer for anything thrown while serving the request with id `reqId`. */
export type ResolveError = (err: unknown, reqId: string) => HttpError;

/**
 * The one error mapping of the app: a known error as toHttpError maps it (a 5xx logged at warn;
 * a 4xx is the client's and shows only in the request's log line), anything else logged as a
 * bug and answered as a plain 500.
 */
export function errorResolver(logger: Logger): ResolveError {
  return (err, reqId) => {
    const known = toHttpError(err);
    if (known) {
      if (known.status >= 500) logger.warn({ reqId, code: known.code, err }, known.message);
      return known;
    }
    logger.error({ reqId, err }, 'unhandled error');
    return INTERNAL;
  };
}

/** The status line and headers of an error answer: the one place Retry-After is set. */
export function setErrorStatus(res: ServerResponse, e: HttpError): void {
  res.statusCode = e.status;
  if (e.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(e.retryAfterSeconds));
}

/** JSON errors for /api (exactly `{message, code}`), the error page for everything else. */
export function renderError(resolve: ResolveError): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (res.headersSent) {
      // Too late for an answer (a stream failed part-way): log it like any other, and cut the
      // connection so the client sees a broken answer, never a complete-looking one.
      resolve(err, req.id);
      res.destroy();
      return;
    }
    const e = resolve(err, req.id);
    setErrorStatus(res, e);
    if (isApi(req)) {
      res.json({ message: e.message, code: e.code });
    } else {
      renderErrorPage(res, e);
    }
  };
}

export function renderErrorPage(res: Response, e: HttpError): void {
  res.render('error', { title: e.status === 404 ? 'Not found' : 'Error', error: e });
}

const isApi = (req: Request) => req.originalUrl === '/api' || req.originalUrl.startsWith('/api/');
