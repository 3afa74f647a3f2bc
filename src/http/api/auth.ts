import { Router } from 'express';
import type { Config } from '../../config';
import type { Services } from '../../container';
import { credentials, loginInput, parse } from '../../domain/schemas';
import { requireUser, viewer } from '../middleware/auth';
import type { RateLimits } from '../middleware/rate-limit';
import { signIn, signOut } from '../middleware/session';
import { toMeJson, toUserJson } from '../serializers';

export function authApi(
  services: Pick<Services, 'auth' | 'users'>,
  config: Pick<Config, 'session'>,
  limits: RateLimits,
): Router {
  const api = Router();

  api.post('/auth/signup', limits.signup, async (req, res) => {
    const user = await services.auth.signup(parse(credentials, req.body));
    await signIn(req, user);
    res.status(201).json(toUserJson(user));
  });

  api.post('/auth/login', limits.loginByIp, limits.loginByUser, async (req, res) => {
    const user = await services.auth.login(parse(loginInput, req.body));
    await signIn(req, user);
    res.json(toUserJson(user));
  });

  api.post('/auth/logout', async (req, res) => {
    await signOut(req);
    res.clearCookie(config.session.cookieName);
    res.status(204).end();
  });

  api.get('/auth/me', requireUser, async (req, res) => {
    res.json(toMeJson(await services.users.get(viewer(req).id)));
  });

  return api;
}
