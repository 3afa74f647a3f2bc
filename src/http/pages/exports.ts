import { Router } from 'express';
import type { Services } from '../../container';
import { sendAccountArchive } from '../account-archive';
import { requirePageUser, viewer } from '../middleware/auth';
import type { RateLimits } from '../middleware/rate-limit';

/** The download link of /settings: the same zip as `GET /api/users/me/export`, with page errors. */
export function exportsPages(services: Pick<Services, 'exports'>, limits: RateLimits): Router {
  const pages = Router();

  pages.get('/settings/export', requirePageUser, limits.export, async (req, res) => {
    await sendAccountArchive(services.exports, viewer(req), res);
  });

  return pages;
}
