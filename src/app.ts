import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import express from 'express';
import type { Container } from './container';
import { NotFound } from './domain/errors';
import { apiRouter } from './http/api';
import { messagesPoll } from './http/api/messages-poll';
import { errorResolver, renderError, type ResolveError } from './http/errors';
import { noStoreWhenSignedIn } from './http/middleware/no-store';
import { createRateLimits } from './http/middleware/rate-limit';
import { requestLog } from './http/middleware/request-log';
import { sameOrigin } from './http/middleware/same-origin';
import { securityHeaders } from './http/middleware/security-headers';
import { PortSessionStore, sessionMiddleware, viewerReader } from './http/middleware/session';
import { pageRouter } from './http/pages';

/** Project root: views/ and public/ sit beside src/ and dist/. */
const ROOT = join(__dirname, '..');
/** What public/ serves: its two folders and the icon. */
const ASSET_PATH = /^\/(?:css\/|js\/|favicon\.svg$)/;

/** What node:http calls for each request. */
export type App = (req: IncomingMessage, res: ServerResponse) => void;

/**
 * The whole HTTP surface. No I/O and no listen here: main.ts does that.
 *
 * Every request gets a request id and log line, then the security headers; then the chat poll
 * (GET /api/messages, see http/api/messages-poll.ts) is answered at once, and everything else
 * goes through the Express application.
 */
export function createApp(c: Container): App {
  const { config, logger, services, storage } = c;
  const log = requestLog(logger);
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
        upgradeInsecureRequests: config.isProduction ? [] : null,
      },
    },
    strictTransportSecurity: config.isProduction,
    // Same-site navigations keep their Referer (pages use it to return after a form post);
    // other sites learn nothing. With no-referrer, browsers send "Origin: null" on form posts.
    referrerPolicy: { policy: 'same-origin' },
  });
  const sessions = new PortSessionStore(storage.sessions, config.session);
  const resolveError = errorResolver(logger);
  const poll = messagesPoll({
    messages: services.messages,
    readViewer: viewerReader(config, sessions),
    resolveError,
  });
  const app = expressApp(c, sessions, resolveError);
  return (req, res) => {
    log(req, res);
    for (const [name, value] of headers) res.setHeader(name, value);
    if (!poll(req, res)) app(req, res);
  };
}

function expressApp(c: Container, sessions: PortSessionStore, resolveError: ResolveError): express.Express {
  const { config, logger, services, storage } = c;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('view engine', 'ejs');
  app.set('views', join(ROOT, 'views'));
  if (config.isProduction) app.set('view cache', true);

  // Probes and static files come before the session: they never touch a store. Static files
  // live under their own prefixes, so no other request looks for a file on the disk.
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
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
  const assets = express.static(join(ROOT, 'public'), {
    maxAge: config.isProduction ? '1d' : 0,
    index: false,
  });
  app.use((req, res, next) => (ASSET_PATH.test(req.path) ? assets(req, res, next) : next()));

  app.use(sessionMiddleware(config, sessions));
  app.use(sameOrigin);
  app.use(noStoreWhenSignedIn);

  const limits = createRateLimits(storage.rateLimits, config.rateLimits);
  app.use('/api', apiRouter(c, limits));
  app.use(pageRouter(c, limits));
  app.use((_req, _res, next) => next(new NotFound('There is nothing at this address.', 'page_not_found')));
  // One handler for every error, wherever it was thrown (session store, sameOrigin, a route).
  app.use(renderError(resolveError));
  return app;
}
