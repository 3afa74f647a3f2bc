import { Router, type Request, type Response } from 'express';
import type { Container } from '../../container';
import { InvalidInput } from '../../domain/errors';
import { feedQuery, parse, toFeedInput, type FeedQuery } from '../../domain/schemas';
import type { PhotoView } from '../../domain/types';
import { requirePageUser, viewer } from '../middleware/auth';
import { viewerOf } from '../middleware/session';

const SCOPES = [
  { scope: 'home', label: 'Home', hint: 'You and your friends' },
  { scope: 'all', label: 'All', hint: 'Everyone on Lumina' },
  { scope: 'profile', label: 'Profile', hint: 'Only your photos' },
] as const;

/** The feed's address for the given filters (and cursor), with empty ones left out. */
export function feedUrl(
  filters: { scope: string; topic?: string | undefined; q?: string | undefined },
  before?: string,
): string {
  const params = new URLSearchParams({ scope: filters.scope });
  if (filters.topic) params.set('topic', filters.topic);
  if (filters.q) params.set('q', filters.q);
  if (before) params.set('before', before);
  return `/feed?${params.toString()}`;
}

export function homePages({ services }: Container): Router {
  const pages = Router();
  const { photos } = services;

  /** Home, All or the viewer's own photos, newest first, narrowed by topic and search words. */
  async function renderFeed(req: Request, res: Response): Promise<void> {
    const raw = req.query as Record<string, unknown>;
    // Query values as typed, for the form; only validated values reach the service.
    const shown = {
      scope: typeof raw.scope === 'string' && SCOPES.some((s) => s.scope === raw.scope) ? raw.scope : 'home',
      topic: typeof raw.topic === 'string' ? raw.topic.slice(0, 200) : '',
      q: typeof raw.q === 'string' ? raw.q.slice(0, 200) : '',
    };
    let items: PhotoView[] = [];
    let nextUrl: string | null = null;
    let error: string | null = null;
    let q: FeedQuery | undefined;
    try {
      q = parse(feedQuery, req.query);
      const page = await photos.list(viewer(req), toFeedInput(q));
      items = page.items;
      if (page.next) nextUrl = feedUrl({ scope: q.scope, topic: q.topic, q: q.q }, page.next);
    } catch (err) {
      // A bad filter or search is shown above an empty grid; the boxes keep what was typed.
      if (!(err instanceof InvalidInput)) throw err;
      error = err.message;
      res.status(400);
    }
    const scope = q?.scope ?? shown.scope;
    res.render('feed', {
      title: SCOPES.find((s) => s.scope === scope)?.label ?? 'Feed',
      scope,
      scopes: SCOPES.map((s) => ({ ...s, url: feedUrl({ scope: s.scope, topic: shown.topic, q: shown.q }) })),
      topic: shown.topic,
      q: shown.q,
      isFiltered: Boolean(shown.topic || shown.q),
      isFirstPage: !q?.before,
      clearUrl: feedUrl({ scope }),
      photos: items,
      nextUrl,
      error,
    });
  }

  pages.get('/', async (req, res) => {
    if (!viewerOf(req)) return res.render('index', { title: 'Share your photos with friends' });
    await renderFeed(req, res);
  });

  pages.get('/feed', requirePageUser, renderFeed);

  return pages;
}
