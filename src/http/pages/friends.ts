import { Router, type Request } from 'express';
import { z } from 'zod';
import type { Services } from '../../container';
import type { FriendRequest, User, Viewer } from '../../domain/types';
import { parse, respondInput, username } from '../../domain/schemas';
import { requirePageUser, viewer } from '../middleware/auth';
import { formBody } from '../middleware/body';
import type { RateLimits } from '../middleware/rate-limit';
import { formRoute, localPath, requireFormUser, setFlash, typed } from './support';
import type { FriendState } from './users';
import { friendRequestIdOf, userIdOf } from '../path-ids';

/** A numeric row id as a form field or path segment sends it: text. */
const rowId = (field: string) => {
  const error = `${field} must be a positive integer`;
  return z.coerce
    .number({ error })
    .int({ error })
    .positive({ error })
    .max(Number.MAX_SAFE_INTEGER, { error });
};

const requestForm = z.object({ username });
const respondForm = z.object({ request_id: rowId('request_id'), action: respondInput.shape.action });
const searchQuery = z.object({
  q: z
    .string({ error: 'Search must be text.' })
    .trim()
    .max(100, { error: 'Search for a name of at most 100 characters.' })
    .default(''),
});

const otherName = (me: Viewer, r: FriendRequest) =>
  r.requesterId === me.id ? r.receiverUsername : r.requesterUsername;

export function friendsPages(services: Pick<Services, 'friends' | 'users'>, limits: RateLimits): Router {
  const pages = Router();
  const { friends, users } = services;
  /** Buttons on profiles and search results send `return_to`, so the person lands where they clicked. */
  const back = (value: unknown) => localPath(value, '/friends');

  pages.get('/friends', requirePageUser, async (req, res) => {
    const me = viewer(req);
    const { q } = parse(searchQuery, req.query);
    const [incoming, outgoing, list, found] = await Promise.all([
      friends.listRequests(me, 'incoming'),
      friends.listRequests(me, 'outgoing'),
      friends.list(me),
      q ? users.search(me, q) : Promise.resolve<User[]>([]),
    ]);
    const state = new Map<number, FriendState>([
      ...list.map((f) => [f.id, 'friends'] as const),
      ...incoming.map((r) => [r.requesterId, 'incoming'] as const),
      ...outgoing.map((r) => [r.receiverId, 'outgoing'] as const),
      [me.id, 'self'],
    ]);
    res.render('friends', {
      title: 'Friends',
      incoming,
      outgoing,
      friends: list,
      q,
      results: found.map((user) => ({ user, state: state.get(user.id) ?? 'none' })),
      returnTo: q ? `/friends?${new URLSearchParams({ q }).toString()}` : '/friends',
    });
  });

  const returnTo = (req: Request) => back(typed(req, 'return_to', 2000));

  pages.post(
    '/friends/request',
    requireFormUser,
    formBody,
    limits.friendRequest,
    ...formRoute({
      act: async (req) => {
        const me = viewer(req);
        const input = parse(requestForm, req.body);
        const request = await friends.request(me, { username: input.username });
        const name = otherName(me, request);
        setFlash(
          req,
          'ok',
          request.status === 'accepted'
            ? `You and ${name} are now friends.`
            : `Friend request sent to ${name}.`,
        );
        return returnTo(req);
      },
      back: returnTo,
    }),
  );

  pages.post(
    '/friends/respond',
    requireFormUser,
    formBody,
    ...formRoute({
      act: async (req) => {
        const me = viewer(req);
        const { request_id, action } = parse(respondForm, req.body);
        const request = await friends.respond(me, request_id, action);
        const name = otherName(me, request);
        setFlash(
          req,
          'ok',
          action === 'accept' ? `You and ${name} are now friends.` : `Declined the request from ${name}.`,
        );
        return returnTo(req);
      },
      back: returnTo,
    }),
  );

  pages.post(
    '/friends/requests/:id/cancel',
    requireFormUser,
    formBody,
    ...formRoute({
      act: async (req) => {
        await friends.cancel(viewer(req), friendRequestIdOf(req));
        setFlash(req, 'ok', 'Friend request cancelled.');
        return returnTo(req);
      },
      back: returnTo,
    }),
  );

  pages.post(
    '/friends/:userId/unfriend',
    requireFormUser,
    formBody,
    ...formRoute({
      act: async (req) => {
        await friends.unfriend(viewer(req), userIdOf(req, 'userId'));
        setFlash(req, 'ok', 'Removed from your friends.');
        return returnTo(req);
      },
      back: returnTo,
    }),
  );

  return pages;
}
