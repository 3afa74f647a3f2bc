import { Router } from 'express';
import type { Config } from '../../config';
import type { Services } from '../../container';
import { InvalidInput, NotFound } from '../../domain/errors';
import { avatarSize, lookupQuery, parse, parsePathId, profileInput, searchQuery } from '../../domain/schemas';
import { requireUser, viewer } from '../middleware/auth';
import type { RateLimits } from '../middleware/rate-limit';
import { photoUpload } from '../middleware/upload';
import { messages as profileMessages } from '../../services/profile.service';
import { sendBlob } from '../send-blob';
import { toProfileJson, toUserJson } from '../serializers';
import { userIdOf } from '../path-ids';

export function usersApi(
  services: Pick<Services, 'users' | 'profiles'>,
  config: Pick<Config, 'images'>,
  limits: RateLimits,
): Router {
  const api = Router();
  const { profiles } = services;
  api.use('/users', requireUser);

  api.patch('/users/me', async (req, res) => {
    res.json(toUserJson(await profiles.setBio(viewer(req), parse(profileInput, req.body).bio)));
  });

  api.put(
    '/users/me/avatar',
    limits.upload,
    photoUpload(config.images.maxUploadBytes, 'avatar'),
    async (req, res) => {
      if (!req.file) throw new InvalidInput(profileMessages.noFile, 'missing_file');
      res.json(toUserJson(await profiles.setAvatar(viewer(req), req.file.buffer)));
    },
  );

  api.delete('/users/me/avatar', async (req, res) => {
    await profiles.removeAvatar(viewer(req));
    res.status(204).end();
  });

  api.get('/users/lookup', async (req, res) => {
    res.json(toUserJson(await services.users.lookup(viewer(req), parse(lookupQuery, req.query).username)));
  });

  api.get('/users/search', async (req, res) => {
    res.json((await services.users.search(viewer(req), parse(searchQuery, req.query).q)).map(toUserJson));
  });

  api.get('/users/:id', async (req, res) => {
    res.json(toProfileJson(await profiles.get(viewer(req), userIdOf(req))));
  });

  api.get('/users/:id/avatar/:size', async (req, res) => {
    const size = parsePathId(avatarSize, req.params.size, 'user');
    const { user, blob } = await profiles.openAvatar(viewer(req), userIdOf(req), size);
    if (!blob) throw new NotFound('This person has no picture.', 'avatar_not_found');
    // The URL the API hands out carries the avatar's id: that one never changes, any other may.
    sendBlob(req, res, blob, req.query.v === user.avatarId ? undefined : 'private, max-age=60');
  });

  return api;
}
