import type { IncomingMessage, ServerResponse } from 'node:http';
import { match } from 'path-to-regexp';
import type { Viewer } from '../domain/types';
import { setErrorStatus, type ResolveError } from './errors';
import { forbiddenCrossSite } from './middleware/same-origin';
import { noStoreFor } from './middleware/no-store';
import { hasBody, sendJson } from './node-http';

/**
 * A route answered before Express, from the table createApp passes to `earlyRoutes`.
 *
 * Express costs every request a price, which `npm run bench` measures in every run: the chat poll
 * as the first Express route serves 0.71-0.82 of the requests per CPU second it serves here on
 * Node.js 24, where the router and `res.json` remain (0.18-0.65 of the requests/s on Node.js 20),
 * and then 0.30-0.32 of a bare node:http server's requests/s, under the 0.33 it must keep
 * (README). So the few requests that are far more frequent than the rest are answered from this
 * table. Everything around them is the app's shared code: the request id, security headers, log
 * line and metrics, work context and compression (app.ts, before this table), then here the
 * same-origin guard, the viewer from the shared session reader, no-store for a signed-in person,
 * and the shared error mapping. Only the route's own work is in `handle`.
 */
export interface EarlyRoute {
  /** GET routes also answer HEAD, as Express's do. */
  method: 'GET';
  /** Matched as an Express route with the default options would be: any case, optional trailing slash. */
  path: string;
  /** The route's answer, sent as JSON with status 200; a thrown error is answered as Express would. */
  handle(input: { viewer: Viewer | undefined; query: unknown }): Promise<unknown>;
}

export interface EarlyRouteDeps {
  /** Who a Cookie header signs in (middleware/session.ts viewerReader). */
  readViewer: (cookieHeader: string | undefined) => Promise<Viewer | undefined>;
  /** Express's own query parser (the app's `query parser fn` setting), so queries parse alike. */
  parseQuery: (query: string) => unknown;
  resolveError: ResolveError;
}

/** The request's label as an early route: `GET /api/messages`. */
export const earlyRouteName = (route: EarlyRoute) => `${route.method} ${route.path}`;

/**
 * The shared steps before an early route's own work: the same-origin guard, the viewer from the
 * shared session reader, and no-store for a signed-in person. (Also used when the bench serves
 * the table as Express routes, so both designs take the same steps.)
 */
export async function earlyRouteViewer(
  req: IncomingMessage,
  res: ServerResponse,
  readViewer: EarlyRouteDeps['readViewer'],
): Promise<Viewer | undefined> {
  const refused = forbiddenCrossSite(req);
  if (refused) throw refused;
  const viewer = await readViewer(req.headers.cookie);
  noStoreFor(res, viewer);
  return viewer;
}

/**
 * Answers a request from the table, or leaves it (false) for Express: another method or path, or
 * a request with a body (the API refuses a GET with a body with 415, through Express).
 */
export function earlyRoutes(
  routes: readonly EarlyRoute[],
  { readViewer, parseQuery, resolveError }: EarlyRouteDeps,
): (req: IncomingMessage, res: ServerResponse) => boolean {
  // Options as Express's router gives its routes: case-insensitive, trailing slash allowed.
  const table = routes.map((route) => ({
    route,
    matches: match(route.path, { sensitive: false, trailing: true, end: true }),
  }));

  const answer = async (
    req: IncomingMessage,
    res: ServerResponse,
    route: EarlyRoute,
    query: string,
  ): Promise<void> => {
    try {
      const viewer = await earlyRouteViewer(req, res, readViewer);
      sendJson(res, 200, await route.handle({ viewer, query: parseQuery(query) }));
    } catch (err) {
      const e = resolveError(err, req.id);
      setErrorStatus(res, e);
      sendJson(res, e.status, { message: e.message, code: e.code });
    }
  };

  return (req, res) => {
    if (table.length === 0 || hasBody(req)) return false;
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    const url = req.url ?? '';
    const mark = url.indexOf('?');
    const path = mark === -1 ? url : url.slice(0, mark);
    const found = table.find((t) => t.route.method === method && t.matches(path) !== false);
    if (!found) return false;
    req.routeLabel = found.route.path;
    void answer(req, res, found.route, mark === -1 ? '' : url.slice(mark + 1));
    return true;
  };
}
