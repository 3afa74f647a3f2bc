import { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Services } from '../../container';
import { feedQuery, parse, toFeedInput, type FeedQuery } from '../../domain/schemas';
import { mentionsOf, textParts } from '../../domain/text';
import type { Page, PhotoView } from '../../domain/types';
import type { Post } from '../../services/photo.service';
import { requirePageUser, viewer } from '../middleware/auth';
import { viewerOf } from '../middleware/session';
import { formRoute } from './support';

/** Home and All are the navigation's links; `profile` (your own grid, searchable) is "Your photos", not a profile. */
const SCOPES = [
  { scope: 'home', label: 'Home' },
  { scope: 'all', label: 'All' },
  { scope: 'profile', label: 'Your photos' },
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

/** People a Home page looks up to link their @mentions; names past this stay text. */
const MAX_LINKED_NAMES = 40;

export function homePages(services: Pick<Services, 'photos' | 'users'>): Router {
  const pages = Router();
  const { photos, users } = services;

  /**
   * Home, All or the viewer's own photos, newest first, narrowed by topic and search words. A bad
   * filter or search is shown above an empty grid, the boxes keeping what was typed; only
   * validated values reach the service.
   */
  function renderFeed(
    req: Request,
    res: Response,
    found: { q: FeedQuery; page: Page<PhotoView | Post> } | { error: string },
    linkable: ReadonlySet<string> = new Set(),
  ): void {
    const raw = req.query as Record<string, unknown>;
    const shown = {
      scope: typeof raw.scope === 'string' && SCOPES.some((s) => s.scope === raw.scope) ? raw.scope : 'home',
      topic: typeof raw.topic === 'string' ? raw.topic.slice(0, 200) : '',
      q: typeof raw.q === 'string' ? raw.q.slice(0, 200) : '',
    };
    const q = 'q' in found ? found.q : undefined;
    const page = 'page' in found ? found.page : { items: [], next: null };
    const scope = q?.scope ?? shown.scope;
    res.render('feed', {
      title: SCOPES.find((s) => s.scope === scope)?.label ?? 'Feed',
      scope,
      topic: shown.topic,
      q: shown.q,
      isFiltered: Boolean(shown.topic || shown.q),
      isFirstPage: !q?.before,
      clearUrl: feedUrl({ scope }),
      photos: page.items,
      parts: (text: string) => textParts(text, (name) => linkable.has(name)),
      isPosts: scope === 'home',
      nextUrl: q && page.next ? feedUrl({ scope: q.scope, topic: q.topic, q: q.q }, page.next) : null,
      error: 'error' in found ? found.error : null,
    });
  }

  const [feed, feedRefused] = formRoute({
    act: async (req, res) => {
      const q = parse(feedQuery, req.query);
      if (q.scope !== 'home') {
        return renderFeed(req, res, { q, page: await photos.list(viewer(req), toFeedInput(q)) });
      }
      // Home is one column of posts, with captions and the newest comments linked.
      const page = await photos.listPosts(viewer(req), toFeedInput(q));
      const texts = page.items.flatMap((p) => [p.caption, ...p.latestComments.map((c) => c.text)]);
      const known = await users.existing(viewer(req), texts.flatMap(mentionsOf), MAX_LINKED_NAMES);
      renderFeed(req, res, { q, page }, new Set(known.keys()));
    },
    show: (req, res, e) => renderFeed(req, res, { error: e.message }),
  });

  /** A visitor sees the landing page; a signed-in person, the Home feed. */
  const landing: RequestHandler = (req, res, next) => {
    if (viewerOf(req)) return next();
    res.render('index', { title: 'Share your photos with friends' });
  };

  pages.get('/', landing, feed, feedRefused);

  pages.get('/feed', requirePageUser, feed, feedRefused);

  return pages;
}
