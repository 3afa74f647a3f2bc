import { Router } from 'express';
import { z } from 'zod';
import type { Services } from '../../container';
import { parse, parsePathId, userId, username } from '../../domain/schemas';
import { viewer } from '../middleware/auth';
import { formBody } from '../middleware/body';
import { formRoute, requireFormUser, setFlash } from './support';

const blockForm = z.object({ username });

/** Where the blocked list is: after blocking, the other's pages are gone, so the person lands here. */
const BLOCKED_LIST = '/settings#blocked';

/** Block (from a profile) and unblock (from the settings list, or the blocked person's address). */
export function blocksPages({ blocks }: Pick<Services, 'blocks'>): Router {
  const pages = Router();

  pages.post(
    '/blocks',
    requireFormUser,
    formBody,
    ...formRoute({
      act: async (req) => {
        const block = await blocks.block(viewer(req), { username: parse(blockForm, req.body).username });
        setFlash(req, 'ok', `You blocked ${block.username}. Neither of you can see the other now.`);
        return BLOCKED_LIST;
      },
      back: () => BLOCKED_LIST,
    }),
  );

  pages.post(
    '/blocks/:userId/unblock',
    requireFormUser,
    ...formRoute({
      act: async (req) => {
        await blocks.unblock(viewer(req), parsePathId(userId, req.params.userId, 'user'));
        setFlash(
          req,
          'ok',
          'Unblocked. You can see each other again; a friendship has to be asked for anew.',
        );
        return BLOCKED_LIST;
      },
      back: () => BLOCKED_LIST,
    }),
  );

  return pages;
}
