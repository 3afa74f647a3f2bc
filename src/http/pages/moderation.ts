import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../container';
import { moderationActionInput, parse, reportInput } from '../../domain/schemas';
import { requirePageUser, viewer } from '../middleware/auth';
import { formBody } from '../middleware/body';
import type { RateLimits } from '../middleware/rate-limit';
import { formRoute, localPath, requireFormUser, setFlash, typed } from './support';

export const messages = {
  reported: 'Thank you. The moderators will look at it.',
  done: (action: string) => `Done: ${action}. It is in the log below.`,
};

/** A form's empty photo_id field is no photo id. */
const withoutEmpty = (body: unknown) =>
  Object.fromEntries(Object.entries((body ?? {}) as Record<string, unknown>).filter(([, v]) => v !== ''));

/** "Report" on photos, comments and profiles; /moderation for moderators (404 for everyone else). */
export function moderationPages({ moderation }: Pick<Services, 'moderation'>, limits: RateLimits): Router {
  const pages = Router();
  const back = (req: Parameters<typeof typed>[0]) => localPath(typed(req, 'return_to', 2000), '/');

  pages.post(
    '/reports',
    requireFormUser,
    formBody,
    limits.report,
    ...formRoute({
      act: async (req) => {
        const input = parse(reportInput, withoutEmpty(req.body));
        await moderation.report(viewer(req), {
          targetType: input.target_type,
          targetId: input.target_id,
          ...(input.photo_id ? { photoId: input.photo_id } : {}),
          reason: input.reason,
          text: input.text,
        });
        setFlash(req, 'ok', messages.reported);
        return back(req);
      },
      back,
    }),
  );

  pages.get('/moderation', requirePageUser, async (req, res) => {
    const me = viewer(req);
    await moderation.requireModerator(me);
    const { status } = parse(z.object({ status: z.enum(['open', 'closed']).catch('open') }), req.query);
    const [groups, log] = await Promise.all([moderation.listReports(me, status), moderation.log(me)]);
    res.render('moderation', { title: 'Moderation', groups, log, status });
  });

  pages.post(
    '/moderation/actions',
    requireFormUser,
    formBody,
    ...formRoute({
      act: async (req) => {
        const me = viewer(req);
        await moderation.requireModerator(me);
        const input = parse(moderationActionInput, withoutEmpty(req.body));
        await moderation.act(me, {
          targetType: input.target_type,
          targetId: input.target_id,
          ...(input.photo_id ? { photoId: input.photo_id } : {}),
          action: input.action,
        });
        setFlash(req, 'ok', messages.done(input.action));
        return '/moderation';
      },
      back: () => '/moderation',
    }),
  );

  return pages;
}
