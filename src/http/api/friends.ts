import { Router } from 'express';
import type { Services } from '../../container';
import { friendRequestInput, parse, requestDirection, respondInput } from '../../domain/schemas';
import { requireUser, viewer } from '../middleware/auth';
import type { RateLimits } from '../middleware/rate-limit';
import { toFriendJson, toFriendRequestJson } from '../serializers';
import { friendRequestIdOf, userIdOf } from '../path-ids';

export function friendsApi(services: Pick<Services, 'friends'>, limits: RateLimits): Router {
  const api = Router();
  const { friends } = services;
  api.use('/friends', requireUser);

  api.post('/friends/request', limits.friendRequest, async (req, res) => {
    const input = parse(friendRequestInput, req.body);
    const target = 'username' in input ? { username: input.username } : { userId: input.user_id };
    const request = await friends.request(viewer(req), target);
    res.status(201).json({ id: request.id, status: request.status });
  });

  api.get('/friends/requests', async (req, res) => {
    const direction = parse(requestDirection, req.query.direction);
    res.json((await friends.listRequests(viewer(req), direction)).map(toFriendRequestJson));
  });

  api.post('/friends/respond', async (req, res) => {
    const { request_id, action } = parse(respondInput, req.body);
    const result = await friends.respond(viewer(req), request_id, action);
    res.json({ id: result.id, status: action === 'accept' ? result.status : 'declined' });
  });

  api.delete('/friends/requests/:id', async (req, res) => {
    await friends.cancel(viewer(req), friendRequestIdOf(req));
    res.status(204).end();
  });

  api.get(['/friends/list', '/friends'], async (req, res) => {
    res.json((await friends.list(viewer(req))).map(toFriendJson));
  });

  api.delete('/friends/:userId', async (req, res) => {
    await friends.unfriend(viewer(req), userIdOf(req, 'userId'));
    res.status(204).end();
  });

  return api;
}
