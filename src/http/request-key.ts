import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { parse, requestKey } from '../domain/schemas';

/**
 * Idempotency keys (ports.ts: MessageStore.send, CommentStore.add, PhotoStore.create). A write
 * that timed out or answered 503 may still have landed; a client that sends it again with the
 * same key gets what the first attempt stored instead of a second copy.
 *
 * API clients send the key in the `Idempotency-Key` header; page forms carry it in a hidden
 * `request_key` field made when the form is rendered (and kept when the form is shown again
 * after an error), so a browser that posts the form again sends the same key. A request
 * without a key is stored as before, once per request.
 */
export const REQUEST_KEY_HEADER = 'Idempotency-Key';
export const REQUEST_KEY_FIELD = 'request_key';

/** The key a request carries (header for /api, form field for pages), checked; undefined when none. */
export function requestKeyOf(req: Request): string | undefined {
  const header = req.get(REQUEST_KEY_HEADER);
  const body = req.body as Record<string, unknown> | undefined;
  const value = header ?? body?.[REQUEST_KEY_FIELD];
  if (value === undefined || value === '') return undefined;
  return parse(requestKey, value);
}

/**
 * The form's key, when the form is shown again after an error, so that posting it again is a
 * retry of the same request; nothing when the form carried no valid key.
 */
export function keptRequestKeyOf(req: Request): { requestKey?: string } {
  const body = req.body as Record<string, unknown> | undefined;
  const key = body?.[REQUEST_KEY_FIELD];
  return requestKey.safeParse(key).success ? { requestKey: key as string } : {};
}

/** A fresh key for a form about to be rendered. */
export const newRequestKey = (): string => randomUUID();
