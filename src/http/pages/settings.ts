import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { Container } from '../../container';
import { RateLimited } from '../../domain/errors';
import { MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH } from '../../domain/limits';
import { parse, passwordChange } from '../../domain/schemas';
import { requirePageUser, viewer } from '../middleware/auth';
import type { RateLimits } from '../middleware/rate-limit';
import { signIn, signOut } from '../middleware/session';
import { sessionHandleOf } from '../../services/account.service';
import { flashFailure, formBody, recoverable, requireFormUser, setFlash } from './support';

const rules = { minPassword: MIN_PASSWORD_LENGTH, maxPasswordBytes: MAX_PASSWORD_BYTES };

export const messages = {
  passwordChanged: 'Your password is changed. Every other device is logged out.',
  sessionEnded: 'That device is logged out.',
  othersEnded: (n: number) =>
    n === 1 ? 'One other device is logged out.' : `${n} other devices are logged out.`,
};

/** Which form of the page a failure belongs to, so its sentence shows beside that form. */
type FormName = 'password';

/** /settings: the person's own account (password and sessions). Works without JavaScript. */
export function settingsPages({ services }: Container, limits: RateLimits): Router {
  const pages = Router();
  const { account } = services;

  const render = async (req: Request, res: Response, errors: Partial<Record<FormName, string>> = {}) => {
    const me = viewer(req);
    const sessions = await account.listSessions(me, req.sessionID);
    res.render('settings', { title: 'Settings', sessions, errors, rules });
  };

  /** A 4xx raised before or in a form's handler shows beside that form, with its status. */
  const formFailed =
    (form: FormName): ErrorRequestHandler =>
    async (err: unknown, req, res, next) => {
      const e = recoverable(err);
      if (!e) return next(err);
      if (e instanceof RateLimited) res.set('Retry-After', String(e.retryAfterSeconds));
      res.status(e.status);
      await render(req, res, { [form]: e.message });
    };

  pages.get('/settings', requirePageUser, async (req, res) => {
    await render(req, res);
  });

  const changePassword: RequestHandler = async (req, res) => {
    const me = viewer(req);
    const input = parse(passwordChange, req.body);
    await account.changePassword(me, {
      currentPassword: input.current_password,
      newPassword: input.new_password,
    });
    await signIn(req, me);
    setFlash(req, 'ok', messages.passwordChanged);
    res.redirect(303, '/settings');
  };
  pages.post(
    '/settings/password',
    requireFormUser,
    formBody,
    limits.passwordByUser,
    changePassword,
    formFailed('password'),
  );

  pages.post('/settings/sessions/others/end', requireFormUser, async (req, res) => {
    const n = await account.endOtherSessions(viewer(req), req.sessionID);
    setFlash(req, 'ok', messages.othersEnded(n));
    res.redirect(303, '/settings#sessions');
  });

  pages.post('/settings/sessions/:id/end', requireFormUser, async (req, res) => {
    // This device's own session ends as a log-out does, so nothing writes it back afterwards.
    const handle = String(req.params.id);
    if (handle === sessionHandleOf(req.sessionID)) {
      await signOut(req);
      return res.redirect(303, '/login');
    }
    try {
      await account.endSession(viewer(req), handle);
    } catch (err) {
      return flashFailure(req, res, err, '/settings#sessions');
    }
    setFlash(req, 'ok', messages.sessionEnded);
    res.redirect(303, '/settings#sessions');
  });

  return pages;
}
