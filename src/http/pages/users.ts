import { Router } from 'express';
import type { Services } from '../../container';
import type { FriendRequest, User, Viewer } from '../../domain/types';
import { NotFound, noSuch } from '../../domain/errors';
import { avatarSize, feedQuery, parse, parsePathId } from '../../domain/schemas';
import { requirePageUser, viewer } from '../middleware/auth';
import { viewerOf } from '../middleware/session';
import { sendBlob } from '../send-blob';
import { userIdOf, usernameOf } from '../path-ids';

const profileQuery = feedQuery.pick({ before: true, limit: true });

/** How the viewer stands with the person whose profile they see; picks the buttons shown. */
export type FriendState = 'self' | 'none' | 'outgoing' | 'incoming' | 'friends';

export function friendStateOf(me: Viewer, otherId: number, relation: FriendRequest | null): FriendState {
  if (otherId === me.id) return 'self';
  if (!relation) return 'none';
  if (relation.status === 'accepted') return 'friends';
  return relation.requesterId === me.id ? 'outgoing' : 'incoming';
}

export function usersPages(services: Pick<Services, 'blocks' | 'photos' | 'profiles' | 'users'>): Router {
  const pages = Router();

  pages.get('/users/:username', requirePageUser, async (req, res) => {
    const name = usernameOf(req);
    const q = parse(profileQuery, req.query);
    const me = viewer(req);
    let found: User;
    try {
      found = await services.users.lookup(me, name);
    } catch (err) {
      // Someone the viewer blocks: still "no such user", with the way back (unblock) offered.
      const mine = err instanceof NotFound ? await services.blocks.list(me) : [];
      const block = mine.find((b) => b.username.toLowerCase() === name.toLowerCase());
      if (!block) throw err;
      return res.status(404).render('blocked-profile', { title: block.username, block });
    }
    const [page, profile] = await Promise.all([
      services.photos.list(me, {
        scope: 'profile',
        userId: found.id,
        limit: q.limit,
        ...(q.before ? { before: q.before } : {}),
      }),
      services.profiles.get(me, found.id),
    ]);
    const { user, request: relation } = profile;
    const base = `/users/${encodeURIComponent(user.username)}`;
    res.render('profile', {
      title: user.username,
      user,
      profile,
      state: friendStateOf(me, user.id, relation),
      request: relation,
      photos: page.items,
      isFirstPage: !q.before,
      nextUrl: page.next ? `${base}?before=${page.next}` : null,
      returnTo: base,
    });
  });

  // The picture of a person wherever a page names them (views/partials/avatar.ejs): theirs, or
  // their initial drawn here, so a page never needs to know which. Only for signed-in people.
  pages.get('/users/:id/avatar/:size', async (req, res) => {
    const me = viewerOf(req);
    if (!me) throw noSuch('user');
    const id = userIdOf(req);
    const size = parsePathId(avatarSize, req.params.size, 'user');
    const { user, blob } = await services.profiles.openAvatar(me, id, size);
    const isCurrent = user.avatarId !== null && req.query.v === user.avatarId;
    const cacheControl = isCurrent ? undefined : 'private, max-age=300';
    if (blob) return sendBlob(req, res, blob, cacheControl);
    res.set({
      'Content-Type': 'image/svg+xml',
      'Cache-Control': cacheControl ?? 'private, max-age=300',
      'X-Content-Type-Options': 'nosniff',
    });
    res.send(initialSvg(user.id, user.username));
  });

  return pages;
}

/** A round badge with the person's initial, its colour picked by their id (a name is [A-Za-z0-9_.]). */
function initialSvg(id: number, name: string): string {
  const letter = name
    .charAt(0)
    .toUpperCase()
    .replace(/[^A-Z0-9_.]/g, '?');
  const hue = (id * 47) % 360;
  return (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64" width="64" height="64">' +
    `<circle cx="32" cy="32" r="32" fill="hsl(${hue} 45% 38%)"/>` +
    '<text x="32" y="32" dy="0.35em" text-anchor="middle" font-family="system-ui, sans-serif" ' +
    `font-size="30" font-weight="700" fill="#ffffff">${letter}</text></svg>`
  );
}
