import { Router } from 'express';
import type { Container } from '../../container';
import type { FriendRequest, Viewer } from '../../domain/types';
import { feedQuery, parse, parsePathId, username } from '../../domain/schemas';
import { requirePageUser, viewer } from '../middleware/auth';

const profileQuery = feedQuery.pick({ before: true, limit: true });

/** How the viewer stands with the person whose profile they see; picks the buttons shown. */
export type FriendState = 'self' | 'none' | 'outgoing' | 'incoming' | 'friends';

export function friendStateOf(me: Viewer, otherId: number, relation: FriendRequest | null): FriendState {
  if (otherId === me.id) return 'self';
  if (!relation) return 'none';
  if (relation.status === 'accepted') return 'friends';
  return relation.requesterId === me.id ? 'outgoing' : 'incoming';
}

export function usersPages({ services }: Container): Router {
  const pages = Router();

  pages.get('/users/:username', requirePageUser, async (req, res) => {
    const name = parsePathId(username, req.params.username, 'user');
    const q = parse(profileQuery, req.query);
    const me = viewer(req);
    const user = await services.users.lookup(name);
    const [page, relation] = await Promise.all([
      services.photos.list(me, {
        scope: 'profile',
        userId: user.id,
        limit: q.limit,
        ...(q.before ? { before: q.before } : {}),
      }),
      services.friends.relationship(me, user.id),
    ]);
    const base = `/users/${encodeURIComponent(user.username)}`;
    res.render('profile', {
      title: user.username,
      user,
      state: friendStateOf(me, user.id, relation),
      request: relation,
      photos: page.items,
      isFirstPage: !q.before,
      nextUrl: page.next ? `${base}?before=${page.next}` : null,
      returnTo: base,
    });
  });

  return pages;
}
