import { Router, type Request, type Response } from 'express';
import type { Config } from '../../config';
import type { Services } from '../../container';
import { InvalidInput } from '../../domain/errors';
import { DELETE_WAIT_MS, MAX_BIO_LENGTH, MAX_PASSWORD_BYTES, MIN_PASSWORD_LENGTH } from '../../domain/limits';
import { accountDeletion, parse, passwordChange, profileInput } from '../../domain/schemas';
import { requirePageUser, viewer } from '../middleware/auth';
import type { RateLimits } from '../middleware/rate-limit';
import { signIn, signOut } from '../middleware/session';
import { sessionHandleOf } from '../../services/account.service';
import { messages as profileMessages } from '../../services/profile.service';
import { formBody } from '../middleware/body';
import { photoUpload } from '../middleware/upload';
import { formRoute, requireFormUser, setFlash, typed } from './support';

const rules = { minPassword: MIN_PASSWORD_LENGTH, maxPasswordBytes: MAX_PASSWORD_BYTES };

export const messages = {
  profileSaved: 'Your bio is saved.',
  avatarSaved: 'Your picture is changed.',
  avatarRemoved: 'Your picture is removed.',
  passwordChanged: 'Your password is changed. Every other device is logged out.',
  sessionEnded: 'That device is logged out.',
  othersEnded: (n: number) =>
    n === 1 ? 'One other device is logged out.' : `${n} other devices are logged out.`,
};

/** Which form of the page a failure belongs to, so its sentence shows beside that form. */
type FormName = 'password' | 'profile' | 'avatar' | 'delete';

/** /settings: the person's own account (password and sessions). Works without JavaScript. */
export function settingsPages(
  services: Pick<Services, 'account' | 'blocks' | 'profiles' | 'users'>,
  config: Pick<Config, 'images'>,
  limits: RateLimits,
): Router {
  const pages = Router();
  const { account, profiles, users } = services;

  const render = async (req: Request, res: Response, errors: Partial<Record<FormName, string>> = {}) => {
    const me = viewer(req);
    const [sessions, user, blocked] = await Promise.all([
      account.listSessions(me, req.sessionID),
      users.get(me.id),
      services.blocks.list(me),
    ]);
    const bio = errors.profile !== undefined ? typed(req, 'bio', 1000) : user.bio;
    res.render('settings', {
      title: 'Settings',
      user,
      bio,
      sessions,
      blocked,
      errors,
      rules,
      maxBio: MAX_BIO_LENGTH,
    });
  };

  /** A form of the page: act, then back to /settings saying `saved`; a refusal shows beside `form`. */
  const settingsForm = (form: FormName, saved: string, act: (req: Request) => Promise<unknown>) =>
    formRoute({
      act: async (req) => {
        await act(req);
        setFlash(req, 'ok', saved);
        return '/settings';
      },
      show: (req, res, e) => render(req, res, { [form]: e.message }),
    });

  pages.get('/settings', requirePageUser, async (req, res) => {
    await render(req, res);
  });

  pages.post(
    '/settings/profile',
    requireFormUser,
    formBody,
    ...settingsForm('profile', messages.profileSaved, (req) =>
      profiles.setBio(viewer(req), parse(profileInput, req.body).bio),
    ),
  );

  pages.post(
    '/settings/avatar',
    requireFormUser,
    limits.upload,
    photoUpload(config.images.maxUploadBytes, 'avatar'),
    ...settingsForm('avatar', messages.avatarSaved, async (req) => {
      if (!req.file) throw new InvalidInput(profileMessages.noFile, 'missing_file');
      await profiles.setAvatar(viewer(req), req.file.buffer);
    }),
  );

  pages.post(
    '/settings/avatar/remove',
    requireFormUser,
    ...formRoute({
      act: async (req) => {
        await profiles.removeAvatar(viewer(req));
        setFlash(req, 'ok', messages.avatarRemoved);
        return '/settings';
      },
      back: () => '/settings',
    }),
  );

  pages.post(
    '/settings/password',
    requireFormUser,
    formBody,
    limits.passwordByUser,
    ...settingsForm('password', messages.passwordChanged, async (req) => {
      const me = viewer(req);
      const input = parse(passwordChange, req.body);
      await account.changePassword(me, {
        currentPassword: input.current_password,
        newPassword: input.new_password,
      });
      await signIn(req, me);
    }),
  );

  pages.post(
    '/settings/delete',
    requireFormUser,
    formBody,
    limits.passwordByUser,
    ...formRoute({
      act: async (req) => {
        const { password } = parse(accountDeletion, req.body);
        const finished = await account.deleteAccount(viewer(req), password, DELETE_WAIT_MS);
        await signOut(req);
        return finished ? '/goodbye' : '/goodbye?pending=1';
      },
      show: (req, res, e) => render(req, res, { delete: e.message }),
    }),
  );

  // Where a deleted account's last form leads: nobody is signed in any more.
  pages.get('/goodbye', (req, res) => {
    res.render('goodbye', { title: 'Account deleted', isPending: req.query.pending === '1' });
  });

  pages.post('/settings/sessions/others/end', requireFormUser, async (req, res) => {
    const n = await account.endOtherSessions(viewer(req), req.sessionID);
    setFlash(req, 'ok', messages.othersEnded(n));
    res.redirect(303, '/settings#sessions');
  });

  pages.post(
    '/settings/sessions/:id/end',
    requireFormUser,
    ...formRoute({
      act: async (req) => {
        // This device's own session ends as a log-out does, so nothing writes it back afterwards.
        const handle = String(req.params.id);
        if (handle === sessionHandleOf(req.sessionID)) {
          await signOut(req);
          return '/login';
        }
        await account.endSession(viewer(req), handle);
        setFlash(req, 'ok', messages.sessionEnded);
        return '/settings#sessions';
      },
      back: () => '/settings#sessions',
    }),
  );

  return pages;
}
