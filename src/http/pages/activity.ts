import { Router } from 'express';
import type { Services } from '../../container';
import { activityQuery, parse } from '../../domain/schemas';
import type { ActivityFilter } from '../../services/activity.service';
import { requirePageUser, viewer } from '../middleware/auth';
import { activityMarkedRead } from './support';

/** The filters above the list: each a link, so they work without JavaScript. */
const TABS: { id: string; label: string; kinds: ActivityFilter[] }[] = [
  { id: 'all', label: 'All', kinds: [] },
  { id: 'likes', label: 'Likes', kinds: ['like'] },
  { id: 'comments', label: 'Comments', kinds: ['comment'] },
  { id: 'mentions', label: 'Mentions', kinds: ['mention'] },
  { id: 'friends', label: 'Friends', kinds: ['friend_request', 'friend_accept'] },
];

const urlOf = (kinds: ActivityFilter[], before?: string): string => {
  const params = new URLSearchParams();
  if (kinds.length > 0) params.set('kind', kinds.join(','));
  if (before) params.set('before', before);
  const query = params.toString();
  return query ? `/activity?${query}` : '/activity';
};

export function activityPages(services: Pick<Services, 'activity'>): Router {
  const pages = Router();
  const { activity } = services;

  // Opening the page marks everything read; what was new is still marked on this showing.
  pages.get('/activity', requirePageUser, async (req, res) => {
    const me = viewer(req);
    const q = parse(activityQuery, req.query);
    const kinds = q.kind ?? [];
    const page = await activity.list(me, {
      limit: q.limit,
      kinds,
      ...(q.before !== undefined ? { before: q.before } : {}),
    });
    await activity.markAllRead(me);
    activityMarkedRead(res);
    const current = TABS.find((t) => t.kinds.join(',') === kinds.join(',')) ?? TABS[0]!;
    res.render('activity', {
      title: 'Activity',
      items: page.items,
      tabs: TABS.map((t) => ({ ...t, url: urlOf(t.kinds), isActive: t.id === current.id })),
      isFirstPage: q.before === undefined,
      nextUrl: page.next ? urlOf(kinds, page.next) : null,
    });
  });

  return pages;
}
