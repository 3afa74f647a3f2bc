import { Conflict } from '../domain/errors';

/**
 * Both backends' clients turn a unique-key violation into this Conflict, keeping the driver
 * error as its `cause`, so a store can tell which key clashed (isClashOn) and say so.
 */
export const uniqueClash = (cause: unknown): Conflict =>
  Object.assign(new Conflict('That already exists.'), { cause });

/** A Conflict from a unique key whose driver message names `key` (`users.username`, `users_username_unique`). */
export const isClashOn = (err: unknown, key: string): boolean =>
  err instanceof Conflict && err.cause instanceof Error && err.cause.message.includes(key);
