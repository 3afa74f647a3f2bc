import { Router } from 'express';
import type { Container } from '../../container';
import { NotFound, UnsupportedMedia } from '../../domain/errors';
import { jsonBody } from '../middleware/body';
import type { RateLimits } from '../middleware/rate-limit';
import { hasBody } from '../node-http';
import { openApiDocument } from '../openapi';
import { accountApi } from './account';
import { authApi } from './auth';
import { friendsApi } from './friends';
import { messagesApi } from './messages';
import { photosApi } from './photos';
import { usersApi } from './users';

/** Everything under /api: JSON in, JSON out, JSON errors. */
export function apiRouter(c: Container, limits: RateLimits): Router {
  const api = Router();
  api.use(jsonBody(c.config.jsonBodyLimit));
  // Bodies are JSON, or multipart for uploads; anything else is refused rather than ignored.
  api.use((req, _res, next) => {
    const isRefused = hasBody(req) && req.is(['application/json', 'multipart/form-data']) === false;
    next(
      isRefused
        ? new UnsupportedMedia('Send the request body as application/json.', 'unsupported_body_type')
        : undefined,
    );
  });
  api.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument());
  });
  // The areas' paths do not overlap, so their order only decides how many route tables a request
  // walks before its own: the most frequent first (chat, then photos and images). The chat poll
  // itself, GET /api/messages, never gets here: see messages-poll.ts.
  api.use(messagesApi(c, limits));
  api.use(photosApi(c, limits));
  api.use(usersApi(c, limits));
  api.use(friendsApi(c, limits));
  api.use(authApi(c, limits));
  api.use(accountApi(c, limits));
  api.use((req, _res, next) =>
    next(new NotFound(`No API endpoint ${req.method} ${req.path}.`, 'no_such_endpoint')),
  );
  return api;
}
