import { Router } from 'express';
import type { Services } from '../../container';
import { blockInput, parse, parsePathId, userId } from '../../domain/schemas';
import { requireUser, viewer } from '../middleware/auth';
import { toBlockJson } from '../serializers';

/** The people the signed-in person blocks (API.md "Blocks"). */
export function blocksApi({ blocks }: Pick<Services, 'blocks'>): Router {
  const api = Router();
  api.use('/blocks', requireUser);

  api.post('/blocks', async (req, res) => {
    const input = parse(blockInput, req.body);
    const block = await blocks.block(
      viewer(req),
      'username' in input ? { username: input.username } : { userId: input.user_id },
    );
    res.status(201).json(toBlockJson(block));
  });

  api.get('/blocks', async (req, res) => {
    res.json((await blocks.list(viewer(req))).map(toBlockJson));
  });

  api.delete('/blocks/:userId', async (req, res) => {
    await blocks.unblock(viewer(req), parsePathId(userId, req.params.userId, 'user'));
    res.status(204).end();
  });

  return api;
}
