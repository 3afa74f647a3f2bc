import type { ErrorRequestHandler, Request } from 'express';
import { MulterError } from 'multer';
import { AppError, InvalidInput, PayloadTooLarge, RateLimited, UnsupportedMedia } from '../domain/errors';
import type { Logger } from '../lib/logger';

export interface HttpError {
  status: number;
  code: string;
  message: string;
}

const INTERNAL: HttpError = {
  status: 500,
  code: 'internal_error',
  message: 'Something went wrong on our side.',
};

const formatMb = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(bytes < 1024 * 1024 ? 2 : 0)} MB`;

/** One mapping from anything thrown to a status, a machine code and a sentence safe to show. */
export function toHttpError(err: unknown, context: { maxUploadBytes: number }): HttpError | undefined {
  if (err instanceof AppError) return { status: err.status, code: err.code, message: err.message };
  if (err instanceof MulterError) {
    if (err.code === 'LIMIT_FILE_SIZE') {
      const e = new PayloadTooLarge(
        `photo: the file is larger than the ${formatMb(context.maxUploadBytes)} limit`,
        'file_too_large',
      );
      return { status: e.status, code: e.code, message: e.message };
    }
    if (err.code === 'LIMIT_UNEXPECTED_FILE') {
      return {
        status: 400,
        code: 'invalid_input',
        message: `${err.field ?? 'file'}: unexpected file field; send the image as "photo"`,
      };
    }
    const e = new InvalidInput(`upload: ${err.message.toLowerCase()}`);
    return { status: e.status, code: e.code, message: e.message };
  }
  // body-parser marks its errors with `type` and `status`.
  const bodyError = err as { type?: string; status?: number } | undefined;
  if (bodyError?.type === 'entity.parse.failed') {
    return { status: 400, code: 'invalid_json', message: 'The request body is not valid JSON.' };
  }
  if (bodyError?.type === 'entity.too.large') {
    return { status: 413, code: 'payload_too_large', message: 'The request body is too large.' };
  }
  if (bodyError?.type === 'encoding.unsupported' || bodyError?.type === 'charset.unsupported') {
    const e = new UnsupportedMedia('The request body encoding is not supported.');
    return { status: e.status, code: e.code, message: e.message };
  }
  if (bodyError?.status && bodyError.status >= 400 && bodyError.status < 500) {
    return { status: bodyError.status, code: 'bad_request', message: 'The request could not be understood.' };
  }
  return undefined;
}

/** What to answer for anything thrown while serving the request with id `reqId`. */
export type ResolveError = (err: unknown, reqId: string) => HttpError & { retryAfterSeconds?: number };

/**
 * The one error mapping of the app: a known error as toHttpError maps it (a 5xx logged at warn),
 * anything else logged as a bug and answered as a plain 500.
 */
export function errorResolver(logger: Logger, maxUploadBytes: number): ResolveError {
  return (err, reqId) => {
    const known = toHttpError(err, { maxUploadBytes });
    if (known) {
      if (known.status >= 500) logger.warn({ reqId, code: known.code, err }, known.message);
      return err instanceof RateLimited ? { ...known, retryAfterSeconds: err.retryAfterSeconds } : known;
    }
    logger.error({ reqId, err }, 'unhandled error');
    return INTERNAL;
  };
}

/** JSON errors for /api (exactly `{message, code}`), the error page for everything else. */
export function renderError(resolve: ResolveError): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const e = resolve(err, req.id);
    if (e.retryAfterSeconds !== undefined) res.set('Retry-After', String(e.retryAfterSeconds));
    res.status(e.status);
    if (isApi(req)) {
      res.json({ message: e.message, code: e.code });
    } else {
      res.render('error', { title: e.status === 404 ? 'Not found' : 'Error', error: e });
    }
  };
}

const isApi = (req: Request) => req.originalUrl === '/api' || req.originalUrl.startsWith('/api/');
