import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/logger';
import { currentWork } from '../../lib/work-context';
import type { StoreCall } from '../../ports';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (identifyRequest); error logs carry it as `reqId`. */
    id: string;
    /**
     * Backend calls made for this request, by `store.operation` (`{"dynamodb.Query": 1}`): the
     * tally of its work context (lib/work-context.ts), which tallyStoreCall counts into, so
     * nothing between the route and the store has to pass the request along.
     */
    storeCalls?: Record<string, number>;
    /** The metrics' route label when no Express route answers: an early route, or static files. */
    routeLabel?: string;
  }
}

/** Counts a backend call into the tally of the request it was made for (StoreCallListener). */
export function tallyStoreCall(call: StoreCall): void {
  const tally = currentWork()?.storeCalls;
  if (!tally) return;
  const key = `${call.store}.${call.operation}`;
  tally[key] = (tally[key] ?? 0) + 1;
}

const REQUEST_ID = /^[\w.-]{1,64}$/;

/**
 * Gives the request its id, the caller's X-Request-Id when it is well-formed or else a new UUID,
 * and answers it in X-Request-Id.
 */
export function identifyRequest(req: IncomingMessage, res: ServerResponse): void {
  const incoming = req.headers['x-request-id'];
  req.id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', req.id);
}

/**
 * The line written when a response is over: request id, method, URL, status, time and the
 * backend calls it made (`store_calls`, when it made any), at `error` for a 5xx, or "request
 * aborted" if the client left first. No headers are logged, so no cookie can leak. createApp
 * calls it from the one 'close' listener it gives every response.
 *
 * This replaces pino-http, which built two child loggers per request and serialized the request
 * into them up front, even when the level then dropped the line.
 */
export function requestLine(logger: Logger): (req: IncomingMessage, res: ServerResponse, ms: number) => void {
  return (req, res, ms) => {
    const level = res.statusCode >= 500 ? 'error' : 'info';
    if (!logger.isLevelEnabled(level)) return;
    logger[level](
      {
        reqId: req.id,
        // Express rewrites req.url inside mounted routers and keeps what the client asked for
        // in originalUrl; a request answered before Express has only req.url.
        req: { method: req.method, url: (req as { originalUrl?: string }).originalUrl ?? req.url },
        res: { statusCode: res.statusCode },
        responseTime: Math.round(ms),
        ...(req.storeCalls && Object.keys(req.storeCalls).length > 0 ? { store_calls: req.storeCalls } : {}),
      },
      res.writableFinished ? 'request completed' : 'request aborted',
    );
  };
}
