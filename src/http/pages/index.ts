import { Router, type RequestHandler, type Response } from 'express';
import type { Config } from '../../config';
import type { Services } from '../../container';
import type { RateLimits } from '../middleware/rate-limit';
import { viewerOf } from '../middleware/session';
import { imageUrl } from '../serializers';
import { activityPages } from './activity';
import { authPages } from './auth';
import { blocksPages } from './blocks';
import { exportsPages } from './exports';
import { moderationPages } from './moderation';
import { chatPage, chatPages } from './chat';
import { friendsPages } from './friends';
import { homePages } from './home';
import { altOf, imageAttrs } from './images';
import { photoPage, photosPages } from './photos';
import { settingsPages } from './settings';
import { showBadges, takeFlash } from './support';
import { usersPages } from './users';

/** The settings the pages' routers read. */
export type PagesConfig = Pick<Config, 'images' | 'session'>;

/**
 * Server-rendered pages (EJS). Work without JavaScript; public/js only enhances. Each area's
 * router receives the services it uses (and the settings it reads), nothing else.
 */
export function pageRouter(services: Services, config: PagesConfig, limits: RateLimits): Router {
  const pages = Router();
  pages.use(pageLocals());
  // These read the viewer's badges themselves: the photo page in the same store call as the
  // photo, a conversation after marking it read.
  pages.use(photoPage(services));
  pages.use(chatPage(services));
  pages.use(navBadges(services));
  pages.use(authPages(services, config, limits));
  pages.use(homePages(services));
  pages.use(photosPages(services, config, limits));
  pages.use(usersPages(services));
  pages.use(friendsPages(services, limits));
  pages.use(chatPages(services, limits));
  pages.use(activityPages(services));
  pages.use(settingsPages(services, config, limits));
  pages.use(exportsPages(services, limits));
  pages.use(blocksPages(services));
  pages.use(moderationPages(services, limits));
  return pages;
}

/**
 * What every template may use: the viewer (or null), the current path, a pending notice, and the
 * view helpers. The error page renders with whatever was set before a failure, so templates read
 * these (and the badges, `nav`) through `locals`.
 */
function pageLocals(): RequestHandler {
  return (req, res, next) => {
    const viewer = viewerOf(req) ?? null;
    res.locals.viewer = viewer;
    res.locals.path = req.path;
    res.locals.imageUrl = imageUrl;
    res.locals.imageAttrs = imageAttrs;
    res.locals.altOf = altOf;
    res.locals.when = describeTime;
    if (viewer) res.locals.flash = takeFlash(req);
    next();
  };
}

/**
 * The navigation badges of a signed-in person, for every page whose own reads do not bring them
 * (on DynamoDB one GetItem of their counters, beside MySQL's count of friend requests).
 *
 * They are read beside the page's own reads, not before them: a GET starts reading them at once,
 * and the page's `res.render` waits for them. A form post (which mostly redirects) reads them
 * only if it renders. When they cannot be read, the page fails as its own failed read would
 * (Express's error handling, as for a failed render), and an error page renders without them.
 */
function navBadges(services: Pick<Services, 'badges'>): RequestHandler {
  return (req, res, next) => {
    const viewer = viewerOf(req);
    if (!viewer) return next();
    let read = req.method === 'GET' || req.method === 'HEAD' ? services.badges.of(viewer) : undefined;
    // A page that fails before it renders never asks for them.
    read?.catch(() => undefined);
    const render = res.render.bind(res);
    res.render = (...args: Parameters<Response['render']>) => {
      res.render = render;
      void (async () => {
        try {
          showBadges(res, await (read ??= services.badges.of(viewer)));
        } catch (err) {
          if (res.statusCode < 400 && req.next) return req.next(err);
        }
        render(...args);
      })().catch((err: unknown) => req.next?.(err));
    };
    next();
  };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const dateFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  timeZone: 'UTC',
});

/** "just now", "5 min ago", "3 h ago", "2 d ago", then the date (UTC). */
function describeTime(date: Date, now = Date.now()): string {
  const age = now - date.getTime();
  if (age < MINUTE) return 'just now';
  if (age < HOUR) return `${Math.floor(age / MINUTE)} min ago`;
  if (age < DAY) return `${Math.floor(age / HOUR)} h ago`;
  if (age < 7 * DAY) return `${Math.floor(age / DAY)} d ago`;
  return dateFormat.format(date);
}
