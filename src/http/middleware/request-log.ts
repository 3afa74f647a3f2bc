import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/logger';
import { currentWork, withWork } from '../../lib/work-context';
import type { StoreCall } from '../../ports';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (see requestLog); error logs carry it as `reqId`. */
    id: string;
    /** Backend calls made for this request, by `store.operation` (see withStoreCallTally). */
    storeCalls?: Record<string, number>;
    /** The metrics' route label when no Express route answers: an early route, or static files. */
    routeLabel?: string;
  }
}

/**
 * Runs `serve` (the whole handling of `req`) with a fresh tally of its backend calls, which the
 * request's log line reports as `store_calls` (`{"dynamodb.Query": 1}`). Calls are told to the
 * tally by tallyStoreCall through the async context, so nothing between the route and the store
 * has to pass the request along.
 */
export function withStoreCallTally(req: IncomingMessage, serve: () => void): void {
  const tally: Record<string, number> = {};
  req.storeCalls = tally;
  withWork({ storeCalls: tally }, serve);
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
 * Gives every request an id, the caller's X-Request-Id when it is well-formed or else a new
 * UUID, and answers it in X-Request-Id. When the response is over it writes one line: request
 * id, method, URL, status, time and the backend calls it made (`store_calls`, when it made any),
 * at `error` for a 5xx, or "request aborted" if the client left first. No headers are logged, so
 * no cookie can leak.
 *
 * This replaces pino-http, which built two child loggers per request and serialized the request
 * into them up front, even when the level then dropped the line.
 */
export function requestLog(logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.id = id;
    res.setHeader('X-Request-Id', id);
    const startedAt = Date.now();
    // Express rewrites req.url inside mounted routers; the line names what the client asked for.
    const url = req.url;
    // 'close' follows every response: after 'finish' when it was sent, alone when the client left.
    res.once('close', () => {
      const level = res.statusCode >= 500 ? 'error' : 'info';
      if (!logger.isLevelEnabled(level)) return;
      logger[level](
        {
          reqId: id,
          req: { method: req.method, url },
          res: { statusCode: res.statusCode },
          responseTime: Date.now() - startedAt,
          ...(req.storeCalls && Object.keys(req.storeCalls).length > 0
            ? { store_calls: req.storeCalls }
            : {}),
        },
        res.writableFinished ? 'request completed' : 'request aborted',
      );
    });
  };
}
