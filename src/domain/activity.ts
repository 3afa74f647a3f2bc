import { numberedId } from '../lib/ulid';

/**
 * The id of a friend request's event at `at` (its sending, or its acceptance): made from the
 * request's number, so the store that deletes the request finds the event by key from the row
 * alone, without a read or an index.
 */
export const requestEventId = (requestId: number, at: Date): string => numberedId(at.getTime(), requestId);
