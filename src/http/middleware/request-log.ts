import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../lib/logger';

declare module 'node:http' {
  interface IncomingMessage {
    /** The request id (see requestLog); error logs carry it as `reqId`. */
    id: string;
  }
}

const REQUEST_ID = /^[\w.-]{1,64}$/;

/**
 * Gives every request an id, the caller's X-Request-Id when it is well-formed or else a new
 * UUID, and answers it in X-Request-Id. When the response is over it writes one line: request
 * id, method, URL, status and time, at `error` for a 5xx, or "request aborted" if the client left
 * first. No headers are logged, so no cookie can leak.
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
        },
        res.writableFinished ? 'request completed' : 'request aborted',
      );
    });
  };
}
