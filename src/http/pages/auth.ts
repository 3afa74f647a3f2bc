import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Container } from '../../container';
import { RateLimited } from '../../domain/errors';
import { MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH } from '../../domain/limits';
import { credentials, loginInput, parse } from '../../domain/schemas';
import type { RateLimits } from '../middleware/rate-limit';
import { signIn, signOut, viewerOf } from '../middleware/session';
import { formBody, localPath, recoverable, typed } from './support';

const rules = { minPassword: MIN_PASSWORD_LENGTH, maxPasswordBytes: MAX_PASSWORD_BYTES };

function renderSignup(res: Response, username: string, error: string | null): void {
  res.render('signup', { title: 'Sign up', username, error, rules });
}

function renderLogin(res: Response, username: string, next: string, error: string | null): void {
  res.render('login', { title: 'Log in', username, next, error });
}

/** Where to go after logging in: `next` if it is a path on this site, else home. */
const nextOf = (value: unknown) => localPath(value, '/');

/**
 * Re-shows the form for errors raised before the handler ran (a rate limit, a body too large
 * for the form parser); anything else goes on to the error page.
 */
function formFailed(show: (req: Request, res: Response, message: string) => void): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    const e = recoverable(err);
    if (!e) return next(err);
    if (e instanceof RateLimited) res.set('Retry-After', String(e.retryAfterSeconds));
    res.status(e.status);
    show(req, res, e.message);
  };
}

export function authPages({ services, config }: Container, limits: RateLimits): Router {
  const pages = Router();

  pages.get('/signup', (req, res) => {
    if (viewerOf(req)) return res.redirect(303, '/');
    renderSignup(res, '', null);
  });

  const signup: RequestHandler = async (req, res) => {
    try {
      const user = await services.auth.signup(parse(credentials, req.body));
      await signIn(req, user);
    } catch (err) {
      const e = recoverable(err);
      if (!e) throw err;
      res.status(e.status);
      return renderSignup(res, typed(req, 'username', 200), e.message);
    }
    res.redirect(303, '/');
  };
  pages.post(
    '/signup',
    formBody,
    limits.signup,
    signup,
    formFailed((req, res, message) => renderSignup(res, typed(req, 'username', 200), message)),
  );

  pages.get('/login', (req, res) => {
    const next = nextOf(req.query.next);
    if (viewerOf(req)) return res.redirect(303, next);
    renderLogin(res, '', next, null);
  });

  // A failed attempt answers 401 (400 for an empty field), which the per-user limiter counts.
  const login: RequestHandler = async (req, res) => {
    const next = nextOf(typed(req, 'next', 2000));
    try {
      const user = await services.auth.login(parse(loginInput, req.body));
      await signIn(req, user);
    } catch (err) {
      const e = recoverable(err);
      if (!e) throw err;
      res.status(e.status);
      return renderLogin(res, typed(req, 'username', 200), next, e.message);
    }
    res.redirect(303, next);
  };
  pages.post(
    '/login',
    formBody,
    limits.loginByIp,
    limits.loginByUser,
    login,
    formFailed((req, res, message) =>
      renderLogin(res, typed(req, 'username', 200), nextOf(typed(req, 'next', 2000)), message),
    ),
  );

  pages.post('/logout', async (req, res) => {
    await signOut(req);
    res.clearCookie(config.session.cookieName);
    res.redirect(303, '/');
  });

  return pages;
}
