import { Router } from 'express';
import type { Container } from '../../container';
import { messageInput, messagesQuery, parse } from '../../domain/schemas';
import { requireUser, viewer } from '../middleware/auth';
import { toConversationJson, toMessageJson } from '../serializers';

export function messagesApi({ services }: Container): Router {
  const api = Router();
  const { messages } = services;
  api.use(['/messages', '/conversations'], requireUser);

  api.post('/messages', async (req, res) => {
    const { to_user_id, text } = parse(messageInput, req.body);
    res.status(201).json(toMessageJson(await messages.send(viewer(req), to_user_id, text)));
  });

  api.get('/messages', async (req, res) => {
    const q = parse(messagesQuery, req.query);
    res.json((await messages.list(viewer(req), q.user_id, q.after)).map(toMessageJson));
  });

  api.get('/conversations', async (req, res) => {
    res.json((await messages.conversations(viewer(req))).map(toConversationJson));
  });

  return api;
}
