import { Router } from 'express';
import type { Config } from '../../config';
import type { Services } from '../../container';
import { NotFound, UnsupportedMedia } from '../../domain/errors';
import { jsonBody } from '../middleware/body';
import type { RateLimits } from '../middleware/rate-limit';
import { hasBody } from '../node-http';
import { openApiDocument } from '../openapi';
import { accountApi } from './account';
import { activityApi } from './activity';
import { authApi } from './auth';
import { blocksApi } from './blocks';
import { exportsApi } from './exports';
import { moderationApi } from './moderation';
import { friendsApi } from './friends';
import { messagesApi } from './messages';
import { photosApi } from './photos';
import { usersApi } from './users';

/** The settings the API's routers read. */
export type ApiConfig = Pick<Config, 'jsonBodyLimit' | 'images' | 'session'>;

/**
 * Everything under /api: JSON in, JSON out, JSON errors. Each area's router receives the
 * services it uses (and the settings it reads), nothing else.
 */
export function apiRouter(services: Services, config: ApiConfig, limits: RateLimits): Router {
  const api = Router();
  api.use(jsonBody(config.jsonBodyLimit));
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
  api.use(messagesApi(services, limits));
  api.use(activityApi(services));
  api.use(photosApi(services, config, limits));
  api.use(usersApi(services, config, limits));
  api.use(friendsApi(services, limits));
  api.use(authApi(services, config, limits));
  api.use(accountApi(services, limits));
  api.use(blocksApi(services));
  api.use(moderationApi(services, limits));
  api.use(exportsApi(services, limits));
  api.use((req, _res, next) =>
    next(new NotFound(`No API endpoint ${req.method} ${req.path}.`, 'no_such_endpoint')),
  );
  return api;
}
