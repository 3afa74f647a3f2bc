import { Router } from 'express';
import type { Services } from '../../container';
import { DELETE_WAIT_MS } from '../../domain/limits';
import { accountDeletion, parse, passwordChange } from '../../domain/schemas';
import { requireUser, viewer } from '../middleware/auth';
import type { RateLimits } from '../middleware/rate-limit';
import { signIn, signOut } from '../middleware/session';
import { toSessionJson } from '../serializers';

/** The signed-in person's password, sessions and account deletion (API.md "Account and sessions"). */
export function accountApi(services: Pick<Services, 'account'>, limits: RateLimits): Router {
  const api = Router();
  const { account } = services;

  api.post('/auth/password', requireUser, limits.passwordByUser, async (req, res) => {
    const input = parse(passwordChange, req.body);
    const me = viewer(req);
    await account.changePassword(me, {
      currentPassword: input.current_password,
      newPassword: input.new_password,
    });
    // Every session ended, this one too; this device goes on under a new session id.
    await signIn(req, me);
    res.status(204).end();
  });

  api.get('/auth/sessions', requireUser, async (req, res) => {
    res.json((await account.listSessions(viewer(req), req.sessionID)).map(toSessionJson));
  });

  api.delete('/auth/sessions', requireUser, async (req, res) => {
    await account.endOtherSessions(viewer(req), req.sessionID);
    res.status(204).end();
  });

  api.delete('/auth/sessions/:id', requireUser, async (req, res) => {
    // Any shape of handle that names none of the person's sessions is a 404, like any other address.
    await account.endSession(viewer(req), String(req.params.id));
    res.status(204).end();
  });

  api.delete('/users/me', requireUser, limits.passwordByUser, async (req, res) => {
    const { password } = parse(accountDeletion, req.body ?? {});
    const finished = await account.deleteAccount(viewer(req), password, DELETE_WAIT_MS);
    // Already ended in the store; this makes sure the request does not write it back.
    await signOut(req);
    res.status(finished ? 204 : 202).end();
  });

  return api;
}
