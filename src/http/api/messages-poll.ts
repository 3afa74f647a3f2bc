import { Unauthenticated } from '../../domain/errors';
import { messagesQuery, parse } from '../../domain/schemas';
import type { MessageService } from '../../services/message.service';
import type { EarlyRoute } from '../pipeline';
import { toMessageJson } from '../serializers';

/** The route's path; api/operations.ts documents it. */
export const MESSAGES_POLL_PATH = '/api/messages';

/**
 * `GET /api/messages`, the chat poll: an early route (http/pipeline.ts), answered before Express.
 *
 * Every open chat page asks for it every 3 seconds and nearly always hears "nothing new", which
 * makes it our most frequent request by far. `npm run bench` measures it both ways in one run:
 * as the first Express route it would serve under 0.33 of a bare node:http server's requests/s,
 * the floor the poll must keep (see README).
 */
export function messagesPoll(messages: MessageService): EarlyRoute {
  return {
    method: 'GET',
    path: MESSAGES_POLL_PATH,
    async handle({ viewer, query }) {
      if (!viewer) throw new Unauthenticated();
      const { user_id, after } = parse(messagesQuery, query);
      return (await messages.list(viewer, user_id, after)).map(toMessageJson);
    },
  };
}
