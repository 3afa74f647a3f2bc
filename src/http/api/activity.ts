import { Router, type Request } from 'express';
import type { Services } from '../../container';
import { activityQuery, parse } from '../../domain/schemas';
import { requireUser, viewer } from '../middleware/auth';
import { toActivityJson, toBadgesJson } from '../serializers';

/** `Link: <...>; rel="next"` keeping the caller's filters, with the new cursor. */
function nextLink(req: Request, next: string): string {
  const url = new URL(req.originalUrl, 'http://lumina.invalid');
  url.searchParams.set('before', next);
  return `<${url.pathname}${url.search}>; rel="next"`;
}

export function activityApi(services: Pick<Services, 'activity' | 'badges'>): Router {
  const api = Router();
  const { activity, badges } = services;
  api.use(['/activity', '/badges'], requireUser);

  api.get('/activity', async (req, res) => {
    const q = parse(activityQuery, req.query);
    const page = await activity.list(viewer(req), {
      limit: q.limit,
      ...(q.kind ? { kinds: q.kind } : {}),
      ...(q.before !== undefined ? { before: q.before } : {}),
    });
    if (page.next) res.set('Link', nextLink(req, page.next));
    res.json(page.items.map(toActivityJson));
  });

  api.post('/activity/read', async (req, res) => {
    await activity.markAllRead(viewer(req));
    res.status(204).end();
  });

  // What the nav badges show; asked by open pages about every 30 seconds.
  api.get('/badges', async (req, res) => {
    res.json(toBadgesJson(await badges.of(viewer(req))));
  });

  return api;
}
