import { Router } from 'express';
import type { Services } from '../../container';
import { sendAccountArchive } from '../account-archive';
import { requireUser, viewer } from '../middleware/auth';
import type { RateLimits } from '../middleware/rate-limit';

/** "Download my data" (API.md `GET /api/users/me/export`): the person's zip, streamed. */
export function exportsApi(services: Pick<Services, 'exports'>, limits: RateLimits): Router {
  const api = Router();

  api.get('/users/me/export', requireUser, limits.export, async (req, res) => {
    await sendAccountArchive(services.exports, viewer(req), res);
  });

  return api;
}
