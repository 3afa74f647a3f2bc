import { Router } from 'express';
import type { Services } from '../../container';
import { messageInput, parse } from '../../domain/schemas';
import { requireUser, viewer } from '../middleware/auth';
import type { RateLimits } from '../middleware/rate-limit';
import { requestKeyOf } from '../request-key';
import { toConversationJson, toMessageJson } from '../serializers';

/** Sending, and the conversation list. Reading (GET /api/messages, the chat poll) is messages-poll.ts. */
export function messagesApi(services: Pick<Services, 'messages'>, limits: RateLimits): Router {
  const api = Router();
  const { messages } = services;
  api.use(['/messages', '/conversations'], requireUser);

  api.post('/messages', limits.message, async (req, res) => {
    const { to_user_id, text } = parse(messageInput, req.body);
    const message = await messages.send(viewer(req), to_user_id, text, requestKeyOf(req));
    res.status(201).json(toMessageJson(message));
  });

  api.get('/conversations', async (req, res) => {
    res.json((await messages.conversations(viewer(req))).map(toConversationJson));
  });

  return api;
}
