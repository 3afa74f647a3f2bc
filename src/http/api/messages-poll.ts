import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { Unauthenticated } from '../../domain/errors';
import { messagesQuery, parse } from '../../domain/schemas';
import type { Viewer } from '../../domain/types';
import type { MessageService } from '../../services/message.service';
import type { ResolveError } from '../errors';
import { hasBody, sendJson } from '../node-http';
import { toMessageJson } from '../serializers';

/** The route this handler answers, GET (and so HEAD) only; docs/openapi.json documents it. */
export const MESSAGES_POLL_PATH = '/api/messages';
/** As Express would match the route: any case, with or without a trailing slash. */
const PATH = /^\/api\/messages\/?$/i;

export interface MessagesPollDeps {
  messages: MessageService;
  /** Who a Cookie header signs in (middleware/session.ts viewerReader). */
  readViewer: (cookieHeader: string | undefined) => Promise<Viewer | undefined>;
  resolveError: ResolveError;
}

/**
 * `GET /api/messages`, answered by node:http before Express sees the request.
 *
 * Every open chat page asks for it every 3 seconds and nearly always hears "nothing new", which
 * makes it our most frequent request by far. Through Express most of its time went to the router
 * and the middleware stack, not to the three indexed reads it needs: Express 5 sending a fixed
 * answer from a single middleware reaches only 30–40% of a bare node:http server's requests/s on
 * a 2-core machine (`npm run bench` measures both), so the poll reached 14% that way, below the
 * third it is asked to reach.
 *
 * It takes the steps the Express route took, with the same parts, in the same order:
 * app.ts has already given it a request id, a log line and the security headers; then the session
 * from the cookie (an unreadable store answers 503), 401 without a signed-in person,
 * `Cache-Control: no-store`, the query checked by the route's schema (parsed as Express 5 parses
 * queries), MessageService.list, and the serializer; any error answers `{message, code}` through
 * http/errors.ts. Requests it does not take (another method or path, or a GET with a body, which
 * the API refuses with 415) go on to Express unchanged.
 */
export function messagesPoll({
  messages,
  readViewer,
  resolveError,
}: MessagesPollDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const answer = async (req: IncomingMessage, res: ServerResponse, query: string) => {
    try {
      const viewer = await readViewer(req.headers.cookie);
      if (!viewer) throw new Unauthenticated();
      res.setHeader('Cache-Control', 'no-store');
      const { user_id, after } = parse(messagesQuery, parseQuery(query));
      sendJson(res, 200, (await messages.list(viewer, user_id, after)).map(toMessageJson));
    } catch (err) {
      const e = resolveError(err, req.id);
      sendJson(res, e.status, { message: e.message, code: e.code });
    }
  };

  /** Takes the request (true) or leaves it to Express (false). */
  return (req, res) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || hasBody(req)) return false;
    const url = req.url ?? '';
    const mark = url.indexOf('?');
    if (!PATH.test(mark === -1 ? url : url.slice(0, mark))) return false;
    void answer(req, res, mark === -1 ? '' : url.slice(mark + 1));
    return true;
  };
}
