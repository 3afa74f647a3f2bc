import { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { Services } from '../../container';
import { MAX_MESSAGE_LENGTH } from '../../domain/limits';
import { messageInput, parse } from '../../domain/schemas';
import { requirePageUser, viewer } from '../middleware/auth';
import { formBody } from '../middleware/body';
import type { RateLimits } from '../middleware/rate-limit';
import { keptRequestKeyOf, newRequestKey, requestKeyOf } from '../request-key';
import { formRoute, requireFormUser, showBadges, typed, withOwnBadges } from './support';
import { userIdOf, usernameOf } from '../path-ids';

const messageForm = z.object({ text: messageInput.shape.text });

/** How pages name someone whose account is deleted (their messages stay, their name does not). */
export const DELETED_ACCOUNT = 'deleted account';

/** The services a conversation page reads. */
type ChatPageServices = Pick<Services, 'messages' | 'friends' | 'users' | 'badges'>;

/**
 * A conversation (latest 100, oldest first), marked read, the send form if allowed, and the
 * navigation's badges, counted after the reading (so the page is mounted before navBadges).
 */
function chatRenderer({ messages, badges }: ChatPageServices) {
  return async function renderChat(
    req: Request,
    res: Response,
    name: string | { deletedUserId: number },
    form: { text: string; error: string | null; requestKey?: string } = { text: '', error: null },
  ): Promise<void> {
    const me = viewer(req);
    const {
      other,
      messages: list,
      canSend,
    } = typeof name === 'string'
      ? await messages.open(me, name)
      : await messages.openDeleted(me, name.deletedUserId);
    // Counted after opening, which marked the conversation read.
    showBadges(res, await badges.of(me));
    const isDeleted = other.username === '';
    res.render('chat', {
      title: `Chat with ${isDeleted ? DELETED_ACCOUNT : other.username}`,
      other: isDeleted ? { ...other, username: DELETED_ACCOUNT } : other,
      isDeleted,
      messages: list,
      canSend,
      isSelf: other.id === me.id,
      lastId: list.at(-1)?.id ?? '',
      text: form.text,
      error: form.error,
      // Kept when the form comes back with an error: posting it again is a retry of the same send.
      requestKey: form.requestKey ?? newRequestKey(),
      maxMessage: MAX_MESSAGE_LENGTH,
    });
  };
}

/** The conversation pages, on their own: pageRouter mounts them before the badges every other page reads. */
export function chatPage(services: ChatPageServices): Router {
  const pages = Router();
  const renderChat = chatRenderer(services);
  // A deleted account has no name: its conversation, kept read only, is found by its old id.
  pages.get('/chat/deleted/:id', requirePageUser, async (req, res) => {
    await withOwnBadges(res, services.badges, viewer(req), () =>
      renderChat(req, res, { deletedUserId: userIdOf(req) }),
    );
  });
  pages.get('/chat/:username', requirePageUser, async (req, res) => {
    await withOwnBadges(res, services.badges, viewer(req), () => renderChat(req, res, usernameOf(req)));
  });
  return pages;
}

export function chatPages(services: ChatPageServices, limits: RateLimits): Router {
  const pages = Router();
  const { messages, friends, users } = services;
  const renderChat = chatRenderer(services);

  pages.get('/chat', requirePageUser, async (req, res) => {
    const me = viewer(req);
    const [conversations, list] = await Promise.all([messages.conversations(me), friends.list(me)]);
    const talking = new Set(conversations.map((c) => c.userId));
    res.render('chat-list', {
      title: 'Chat',
      conversations,
      deletedName: DELETED_ACCOUNT,
      // Friends with no conversation yet, so a first message is one click away.
      others: list.filter((f) => !talking.has(f.id)),
    });
  });

  // A refused message shows on the conversation again; if the person is gone, showing it says so.
  pages.post(
    '/chat/:username',
    requireFormUser,
    formBody,
    limits.message,
    ...formRoute({
      act: async (req) => {
        const other = await users.lookup(viewer(req), usernameOf(req));
        const { text } = parse(messageForm, req.body);
        const sent = await messages.send(viewer(req), other.id, text, requestKeyOf(req));
        return `/chat/${encodeURIComponent(other.username)}#message-${sent.id}`;
      },
      show: (req, res, e) =>
        renderChat(req, res, usernameOf(req), {
          text: typed(req, 'text', MAX_MESSAGE_LENGTH + 100),
          error: e.message,
          ...keptRequestKeyOf(req),
        }),
    }),
  );

  return pages;
}
