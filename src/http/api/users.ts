import { Router } from 'express';
import { z } from 'zod';
import type { Container } from '../../container';
import { parse } from '../../domain/schemas';
import { requireUser } from '../middleware/auth';
import { toUserJson } from '../serializers';

const lookupQuery = z.object({
  username: z
    .string({ error: 'username is required' })
    .trim()
    .min(1, { error: 'username is required' })
    .max(200, { error: 'username is too long' }),
});
const searchQuery = z.object({
  q: z
    .string({ error: 'Search needs the start of a username (q).' })
    .max(100, { error: 'Search for a name of at most 100 characters.' }),
});

export function usersApi({ services }: Container): Router {
  const api = Router();
  api.use('/users', requireUser);

  api.get('/users/lookup', async (req, res) => {
    res.json(toUserJson(await services.users.lookup(parse(lookupQuery, req.query).username)));
  });

  api.get('/users/search', async (req, res) => {
    res.json((await services.users.search(parse(searchQuery, req.query).q)).map(toUserJson));
  });

  return api;
}
