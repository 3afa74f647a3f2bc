import { performance } from 'node:perf_hooks';
import type { StoreCall, StoreCallListener } from '../ports';

/**
 * What both backends' clients share to report their calls (ports.ts StoreCall). Without a
 * listener nothing is timed, so an uninstrumented backend pays nothing for it.
 */

const VERB = /^\s*(\w+)/;
const TABLE = /\b(?:FROM|INTO|UPDATE|TABLE)\s+`?(\w+)/i;

/** Statements are a fixed set of strings, so each is named once. */
const operations = new Map<string, string>();

/** The operation name of a SQL statement: its verb and first table (`SELECT photos`), or the verb alone. */
export function sqlOperation(sql: string): string {
  let operation = operations.get(sql);
  if (operation === undefined) {
    const verb = VERB.exec(sql)?.[1]?.toUpperCase() ?? 'SQL';
    const table = TABLE.exec(sql)?.[1];
    operation = table ? `${verb} ${table}` : verb;
    operations.set(sql, operation);
  }
  return operation;
}

/** How a client names and judges its calls. */
export interface CallKind<T> {
  store: string;
  operation: string;
  /** The capacity a result reports (DynamoDB). */
  unitsOf?: (result: T) => Pick<StoreCall, 'readUnits' | 'writeUnits'>;
  /** Errors that are the service's answer rather than its failure: a refused condition, a unique-key clash. */
  isAnswer?: (err: unknown) => boolean;
}

const isOk = (kind: CallKind<never>, err: unknown): boolean => kind.isAnswer?.(err) ?? false;

/** Runs synchronous `work` and reports it as one call. */
export function timedSync<T>(listener: StoreCallListener | undefined, kind: CallKind<T>, work: () => T): T {
  if (!listener) return work();
  const { store, operation } = kind;
  const started = performance.now();
  try {
    const result = work();
    listener({ store, operation, ms: performance.now() - started, ok: true });
    return result;
  } catch (err) {
    listener({ store, operation, ms: performance.now() - started, ok: isOk(kind, err) });
    throw err;
  }
}

/** Runs `work` and reports it as one call. */
export async function timed<T>(
  listener: StoreCallListener | undefined,
  kind: CallKind<T>,
  work: () => Promise<T>,
): Promise<T> {
  if (!listener) return work();
  const { store, operation } = kind;
  const started = performance.now();
  try {
    const result = await work();
    listener({ store, operation, ms: performance.now() - started, ok: true, ...kind.unitsOf?.(result) });
    return result;
  } catch (err) {
    listener({ store, operation, ms: performance.now() - started, ok: isOk(kind, err) });
    throw err;
  }
}
