import { currentWork, withWork, type WorkContext } from './work-context';

/**
 * A deadline shared by everything one unit of work (an HTTP request) waits on. withDeadline()
 * opens it; every backend call made inside, however deep and however many, asks remainingMs()
 * or callSignal() and gives up when it has passed, so the work as a whole waits about the budget
 * at most, not the budget once per call.
 *
 * Only the end time is kept per unit of work; a call that can be aborted gets its own timer,
 * cleared as soon as the call answers (so a stream it opened is never cut later).
 */

/** A deadline `budgetMs` from now, for a work context (lib/work-context.ts). */
export function deadlineIn(budgetMs: number): NonNullable<WorkContext['deadline']> {
  return { budgetMs, endsAt: Date.now() + budgetMs };
}

/** Runs `work` (and everything it starts) under a deadline `budgetMs` from now. */
export function withDeadline<T>(budgetMs: number, work: () => T): T {
  return withWork({ deadline: deadlineIn(budgetMs) }, work);
}

/**
 * Runs `work` with the current budget counted again from now: for the waits that follow long
 * work on the processor (decoding and resizing an upload) rather than waiting. Outside a
 * deadline, just runs it.
 */
export function withFreshDeadline<T>(work: () => T): T {
  const deadline = currentWork()?.deadline;
  return deadline ? withDeadline(deadline.budgetMs, work) : work();
}

/**
 * Runs `work` (and everything it starts) under no deadline: for a job a request starts that
 * goes on after the answer (an account deletion), whose calls must not be cut at the request's.
 */
export function withoutDeadline<T>(work: () => T): T {
  return withWork({ deadline: undefined }, work);
}

/** Milliseconds left before the current deadline (0 or less once passed); undefined outside one. */
export function remainingMs(): number | undefined {
  const deadline = currentWork()?.deadline;
  return deadline && deadline.endsAt - Date.now();
}

/** `ms`, or less when the current deadline comes sooner (0 once it has passed). */
export function boundedMs(ms: number): number {
  const left = remainingMs();
  return left === undefined ? ms : Math.max(0, Math.min(ms, left));
}

/**
 * Runs `call` with an AbortSignal that fires when the current deadline passes, and stops the
 * timer once the call settles. Outside a deadline the signal never fires.
 */
export async function withCallSignal<T>(call: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  const left = remainingMs();
  if (left === undefined) return call(undefined);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(0, left));
  try {
    return await call(controller.signal);
  } finally {
    clearTimeout(timer);
  }
}
