import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import compression from 'compression';
import express from 'express';
import type { Container } from './container';
import type { Viewer } from './domain/types';
import type { StoreCallListener } from './ports';
import { NotFound } from './domain/errors';
import { apiRouter } from './http/api';
import { createAssets } from './http/assets';
import { messagesPoll } from './http/api/messages-poll';
import { errorResolver, renderError, type ResolveError } from './http/errors';
import { noStoreWhenSignedIn } from './http/middleware/no-store';
import { createRateLimits } from './http/middleware/rate-limit';
import { identifyRequest, requestLine, tallyStoreCall } from './http/middleware/request-log';
import { Metrics, metricsRoute } from './http/metrics';
import { sameOrigin } from './http/middleware/same-origin';
import { routerErrors, typedErrors } from './http/middleware/typed-errors';
import { securityHeaders } from './http/middleware/security-headers';
import { PortSessionStore, sessionMiddleware, viewerReader } from './http/middleware/session';
import { hasBody } from './http/node-http';
import { pageRouter } from './http/pages';
import { earlyRoutes, earlyRouteViewer, type EarlyRoute } from './http/pipeline';
import { deadlineIn } from './lib/deadline';
import { withWork } from './lib/work-context';

/** Project root: views/ and public/ sit beside src/ and dist/. */
const ROOT = join(__dirname, '..');

/** What node:http calls for each request. */
export type App = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The routes answered before Express (http/pipeline.ts says why and what they share with the
 * rest). Keep it short: a route belongs here only when `npm run bench` shows Express's fixed cost
 * dominates a request that is far more frequent than the others.
 */
export function earlyRouteTable(c: Container): EarlyRoute[] {
  return [messagesPoll(c.services.messages)];
}

export interface AppOptions {
  /** The process's metrics (main.ts makes them before the container, for its store calls). */
  metrics?: Metrics;
  /**
   * Serve the early routes as the first Express routes instead (ahead of the session middleware,
   * with the same shared code around them): the other design, which `npm run bench` measures
   * against this one (bench/app-server.ts). Not for production.
   */
  earlyRoutesInExpress?: boolean;
}

/**
 * The whole HTTP surface. No I/O and no listen here: main.ts does that.
 *
 * Every request, in this order: a request id, the security headers, one listener for the end of
 * its answer (the log line and the metrics), a work context (its store-call tally and deadline)
 * and compression; then a route of the early table (earlyRouteTable) answers it, or the Express
 * application does.
 */
export function createApp(c: Container, options: AppOptions = {}): App {
  const { config, logger, storage } = c;
  const logLine = requestLine(logger);
  const isBehindTlsProxy = config.isProduction && config.trustProxy !== false;
  const headers = securityHeaders({
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:', 'blob:'],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        // Only behind a proxy (which terminates TLS in a production set-up): a site served over
        // plain HTTP, as `npm start` on a fresh clone is, would have its own assets upgraded to
        // an https:// that nothing answers.
        upgradeInsecureRequests: isBehindTlsProxy ? [] : null,
      },
    },
    strictTransportSecurity: isBehindTlsProxy,
    // Same-site navigations keep their Referer (pages use it to return after a form post);
    // other sites learn nothing. With no-referrer, browsers send "Origin: null" on form posts.
    referrerPolicy: { policy: 'same-origin' },
  });
  // HTML, CSS, JS, JSON and SVG above 1 KB, as brotli (quality 4) or gzip, whichever the client
  // prefers; images are already compressed and are left alone by the package's filter.
  // The package is connect middleware: it uses node's own request and response only.
  const compress = compression() as unknown as (
    req: IncomingMessage,
    res: ServerResponse,
    next: () => void,
  ) => void;
  const sessions = new PortSessionStore(storage.sessions, config.session);
  const resolveError = errorResolver(logger);
  const readViewer = viewerReader(config, sessions);
  const table = earlyRouteTable(c);
  const metrics = options.metrics ?? new Metrics();
  if (c.images.queueDepth) metrics.watchImageQueue(c.images.queueDepth.bind(c.images));
  const app = expressApp(
    c,
    sessions,
    resolveError,
    metrics,
    options.earlyRoutesInExpress ? expressRoutes(table, readViewer) : undefined,
  );
  const early = earlyRoutes(options.earlyRoutesInExpress ? [] : table, {
    readViewer,
    parseQuery: (app.settings as Record<string, unknown>)['query parser fn'] as (query: string) => unknown,
    resolveError,
  });
  return (req, res) => {
    const startedAt = performance.now();
    identifyRequest(req, res);
    for (const [name, value] of headers) res.setHeader(name, value);
    // One listener tells the end of every response to the log and the metrics: 'close' follows
    // every response, after 'finish' when it was sent, alone when the client left first.
    res.once('close', () => {
      const ms = performance.now() - startedAt;
      logLine(req, res, ms);
      metrics.record(req, res, ms);
    });
    // The request's work context: the tally of its backend calls (its log line) and one deadline
    // every store call it makes shares (lib/deadline.ts), so it waits about the store timeout at
    // most in all, not once per call.
    const storeCalls: Record<string, number> = {};
    req.storeCalls = storeCalls;
    withWork({ storeCalls, deadline: deadlineIn(config.storeTimeoutMs) }, () =>
      compress(req, res, () => {
        if (!early(req, res)) app(req, res);
      }),
    );
  };
}

/** What the container tells of each backend call: the request's tally (its log line) and the metrics. */
export function storeCallListener(metrics: Metrics): StoreCallListener {
  return (call) => {
    tallyStoreCall(call);
    metrics.onStoreCall(call);
  };
}

/** The early routes as Express routes (AppOptions.earlyRoutesInExpress), with the same shared steps. */
function expressRoutes(
  table: readonly EarlyRoute[],
  readViewer: (cookieHeader: string | undefined) => Promise<Viewer | undefined>,
): express.Router {
  const router = express.Router();
  for (const route of table) {
    router.get(route.path, async (req, res, next) => {
      if (hasBody(req)) return next();
      // Its metrics label, as the node:http dispatch sets it: routeOf would put the /api prefix of
      // an API request before this route's path, which already holds it.
      req.routeLabel = route.path;
      const viewer = await earlyRouteViewer(req, res, readViewer);
      res.json(await route.handle({ viewer, query: req.query }));
    });
  }
  return router;
}

function expressApp(
  c: Container,
  sessions: PortSessionStore,
  resolveError: ResolveError,
  metrics: Metrics,
  firstRoutes: express.Router | undefined,
): express.Express {
  const { config, logger, services, storage } = c;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', join(ROOT, 'views'));
  if (config.isProduction) app.set('view cache', true);
  if (firstRoutes) app.use(firstRoutes);

  // Probes and static files come before the session: they never touch a store. Static files
  // live under their own prefixes, so no other request looks for a file on the disk.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  // Not public: only with METRICS_TOKEN set, and then only for its bearer (404 without it).
  if (config.metricsToken) app.get('/metrics', metricsRoute(metrics, config.metricsToken));
  app.get('/readyz', async (_req, res) => {
    const { ready, checks, failures } = await services.health.readiness();
    for (const { name, error } of failures)
      logger.warn({ store: name, err: error }, 'readiness check failed');
    const failing = failures.map((f) => f.name);
    res.status(ready ? 200 : 503).json({
      status: ready ? 'ready' : 'unavailable',
      ...(failing.length > 0 ? { message: `${failing.join(', ')} not answering`, unavailable: failing } : {}),
      checks,
    });
  });
  const assets = createAssets(join(ROOT, 'public'), {
    isHashed: config.env !== 'development',
    oldNameMaxAge: config.isProduction ? '5m' : 0,
  });
  app.locals.asset = assets.url;
  app.use(typedErrors(assets.serve));

  app.use(sessionMiddleware(config, sessions));
  app.use(sameOrigin);
  app.use(noStoreWhenSignedIn);

  const limits = createRateLimits(storage.rateLimits, config.rateLimits);
  app.use('/api', apiRouter(services, config, limits));
  app.use(pageRouter(services, config, limits));
  app.use(routerErrors);
  app.use((_req, _res, next) => next(new NotFound('There is nothing at this address.', 'page_not_found')));
  // One handler for every error, wherever it was thrown (session store, sameOrigin, a route).
  app.use(renderError(resolveError));
  return app;
}
