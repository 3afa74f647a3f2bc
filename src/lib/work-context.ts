import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What everything one unit of work (an HTTP request) starts can see without being handed it:
 * its deadline (lib/deadline.ts) and the tally of its backend calls
 * (http/middleware/request-log.ts).
 *
 * One AsyncLocalStorage holds both on purpose: each storage in use costs every request. On the
 * pinned Node.js 24 a storage lives in the async context frame, copied once per `run`; before
 * Node.js 24 it was copied onto every promise the process creates (a chat poll makes dozens),
 * which cost the poll 15 % of its CPU.
 */
export interface WorkContext {
  readonly deadline?: { readonly budgetMs: number; readonly endsAt: number };
  readonly storeCalls?: Record<string, number>;
}

const storage = new AsyncLocalStorage<WorkContext>();

/** The context of the work in progress, or undefined outside any. */
export const currentWork = (): WorkContext | undefined => storage.getStore();

/** Runs `work` (and everything it starts) with the current context changed by `change`. */
export function withWork<T>(change: WorkContext, work: () => T): T {
  return storage.run({ ...storage.getStore(), ...change }, work);
}
