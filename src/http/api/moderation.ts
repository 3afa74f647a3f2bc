import { Router } from 'express';
import type { Services } from '../../container';
import { moderationActionInput, parse, reportInput, reportsQuery } from '../../domain/schemas';
import { requireUser, viewer } from '../middleware/auth';
import type { RateLimits } from '../middleware/rate-limit';
import { toModerationActionJson, toReportGroupJson } from '../serializers';

/** Reports from everyone; the moderation API, which answers 404 to anyone but a moderator. */
export function moderationApi({ moderation }: Pick<Services, 'moderation'>, limits: RateLimits): Router {
  const api = Router();
  api.use(['/reports', '/moderation'], requireUser);

  api.post('/reports', limits.report, async (req, res) => {
    const input = parse(reportInput, req.body);
    const { id, isNew } = await moderation.report(viewer(req), {
      targetType: input.target_type,
      targetId: input.target_id,
      ...(input.photo_id ? { photoId: input.photo_id } : {}),
      reason: input.reason,
      text: input.text,
    });
    res.status(isNew ? 201 : 200).json({ id });
  });

  api.get('/moderation/reports', async (req, res) => {
    const me = viewer(req);
    // Not a moderator: 404 before the input is even read, as for any path that does not exist.
    await moderation.requireModerator(me);
    const { status } = parse(reportsQuery, req.query);
    res.json((await moderation.listReports(me, status)).map(toReportGroupJson));
  });

  api.post('/moderation/actions', async (req, res) => {
    const me = viewer(req);
    await moderation.requireModerator(me);
    const input = parse(moderationActionInput, req.body);
    const action = await moderation.act(me, {
      targetType: input.target_type,
      targetId: input.target_id,
      ...(input.photo_id ? { photoId: input.photo_id } : {}),
      action: input.action,
    });
    res.json(toModerationActionJson(action));
  });

  api.get('/moderation/log', async (req, res) => {
    res.json((await moderation.log(viewer(req))).map(toModerationActionJson));
  });

  return api;
}
