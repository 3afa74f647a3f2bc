import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, NotFound, RequestRefused } from '../../domain/errors';

export const messages = {
  noAddress: 'There is nothing at this address.',
  range: 'The requested range is not inside the file.',
  precondition: 'The file is not in the state the request expects.',
  unreadable: 'The request could not be understood.',
};

/**
 * `handler` with what the libraries under it refuse turned into AppErrors on the way out, so the
 * error mapping sees only typed errors. Wraps the middleware where such errors arise: static
 * files (send's ranges and preconditions) and body parsers, whose `translate` knows their errors
 * better (middleware/body.ts).
 */
export function typedErrors(
  handler: RequestHandler,
  translate: (err: unknown) => unknown = libraryError,
): RequestHandler {
  return (req, res, next) => {
    // Routers and express.static return nothing; body parsers neither.
    void handler(req, res, (err?: unknown) => {
      if (err === undefined || err === 'route' || err === 'router') return next(err as undefined);
      next(translate(err));
    });
  };
}

/**
 * Errors in the http-errors style (a `status` or `statusCode` of 4xx) as AppErrors; anything else
 * (an AppError already, or a 5xx, which is a bug) unchanged.
 */
export function libraryError(err: unknown): unknown {
  if (err instanceof AppError) return err;
  const { status, statusCode } = (err ?? {}) as { status?: unknown; statusCode?: unknown };
  const code = typeof status === 'number' ? status : statusCode;
  if (typeof code !== 'number' || code < 400 || code >= 500) return err;
  // The router could not decode a path segment: an address that names nothing.
  if (err instanceof URIError) return new NotFound(messages.noAddress, 'page_not_found');
  if (code === 416) return new RequestRefused(416, messages.range, 'range_not_satisfiable');
  if (code === 412) return new RequestRefused(412, messages.precondition, 'precondition_failed');
  if (code === 404) return new NotFound(messages.noAddress, 'page_not_found');
  return new RequestRefused(code, messages.unreadable);
}

/**
 * The routers' own refusals as AppErrors, as they leave the routers (registered right after
 * them): a path segment whose percent-encoding does not decode is an address that names nothing.
 * An error handler, not a wrapper, so the routers stay visible to the route listing of the
 * OpenAPI test.
 */
export const routerErrors: ErrorRequestHandler = (err: unknown, _req, _res, next) => {
  next(libraryError(err));
};
