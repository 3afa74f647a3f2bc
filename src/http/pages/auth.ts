import { Router, type Request, type Response } from 'express';
import type { Config } from '../../config';
import type { Services } from '../../container';
import { MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH } from '../../domain/limits';
import { credentials, loginInput, parse } from '../../domain/schemas';
import { formBody } from '../middleware/body';
import type { RateLimits } from '../middleware/rate-limit';
import { signIn, signOut, viewerOf } from '../middleware/session';
import { formRoute, localPath, typed } from './support';

const rules = { minPassword: MIN_PASSWORD_LENGTH, maxPasswordBytes: MAX_PASSWORD_BYTES };

function renderSignup(res: Response, username: string, error: string | null): void {
  res.render('signup', { title: 'Sign up', username, error, rules });
}

function renderLogin(res: Response, username: string, next: string, error: string | null): void {
  res.render('login', { title: 'Log in', username, next, error });
}

/** Where to go after logging in: `next` if it is a path on this site, else home. */
const nextOf = (value: unknown) => localPath(value, '/');
const typedNext = (req: Request) => nextOf(typed(req, 'next', 2000));

export function authPages(
  services: Pick<Services, 'auth'>,
  config: Pick<Config, 'session'>,
  limits: RateLimits,
): Router {
  const pages = Router();

  pages.get('/signup', (req, res) => {
    if (viewerOf(req)) return res.redirect(303, '/');
    renderSignup(res, '', null);
  });

  pages.post(
    '/signup',
    formBody,
    limits.signup,
    ...formRoute({
      act: async (req) => {
        const user = await services.auth.signup(parse(credentials, req.body));
        await signIn(req, user);
        return '/';
      },
      show: (req, res, e) => renderSignup(res, typed(req, 'username', 200), e.message),
    }),
  );

  pages.get('/login', (req, res) => {
    const next = nextOf(req.query.next);
    if (viewerOf(req)) return res.redirect(303, next);
    renderLogin(res, '', next, null);
  });

  // A failed attempt answers 401 (400 for an empty field), which the per-user limiter counts.
  pages.post(
    '/login',
    formBody,
    limits.loginByIp,
    limits.loginByUser,
    ...formRoute({
      act: async (req) => {
        const user = await services.auth.login(parse(loginInput, req.body));
        await signIn(req, user);
        return typedNext(req);
      },
      show: (req, res, e) => renderLogin(res, typed(req, 'username', 200), typedNext(req), e.message),
    }),
  );

  pages.post('/logout', async (req, res) => {
    await signOut(req);
    res.clearCookie(config.session.cookieName);
    res.redirect(303, '/');
  });

  return pages;
}
