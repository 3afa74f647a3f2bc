import { setTimeout as sleep } from 'node:timers/promises';
import { request } from './http';

/**
 * The site's own counting of its store calls (src/http/metrics.ts), read through GET /metrics:
 * a snapshot before and after a workload, and the difference divided by the requests answered
 * in between, gives calls and capacity units per request as the server counted them.
 */

/** Each worker publishes its figures every 2 s (src/http/metrics.ts); wait a little longer. */
const PUBLISH_WAIT_MS = 2_300;
const METRICS_ROUTE = '/metrics';

export interface MetricsSnapshot {
  /** Requests answered, every route but /metrics itself. */
  requests: number;
  /** Store calls by `store operation` (`dynamodb Query`). */
  calls: Map<string, number>;
  /** Capacity units by `store kind` (`dynamodb read`). */
  units: Map<string, number>;
}

export interface PerRequest {
  requests: number;
  /** Calls per request by store (`dynamodb`, `mysql`, `sqlite`, `s3`, `files`). */
  byStore: Record<string, number>;
  /** Calls per request by `store operation`. */
  byOperation: Record<string, number>;
  readUnits: number;
  writeUnits: number;
}

const SAMPLE = /^(\w+)\{([^}]*)\} ([0-9.eE+-]+)$/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

function parse(text: string): MetricsSnapshot {
  const snapshot: MetricsSnapshot = { requests: 0, calls: new Map(), units: new Map() };
  for (const line of text.split('\n')) {
    const match = SAMPLE.exec(line);
    if (!match) continue;
    const [, name, rawLabels, rawValue] = match;
    const labels = Object.fromEntries([...rawLabels!.matchAll(LABEL)].map((m) => [m[1]!, m[2]!]));
    const value = Number(rawValue);
    if (name === 'lumina_http_requests_total' && labels.route !== METRICS_ROUTE) {
      snapshot.requests += value;
    } else if (name === 'lumina_store_calls_total') {
      const key = `${labels.store} ${labels.operation}`;
      snapshot.calls.set(key, (snapshot.calls.get(key) ?? 0) + value);
    } else if (name === 'lumina_store_capacity_units_total') {
      const key = `${labels.store} ${labels.kind}`;
      snapshot.units.set(key, (snapshot.units.get(key) ?? 0) + value);
    }
  }
  return snapshot;
}

/**
 * Both workers' figures as of now: waits for each worker's next publication first, so a
 * request answered before the call is counted whichever worker answered it.
 */
export async function readMetrics(port: number, token: string): Promise<MetricsSnapshot> {
  await sleep(PUBLISH_WAIT_MS);
  const res = await request({ port, path: METRICS_ROUTE, headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /metrics answered HTTP ${res.status}`);
  return parse(res.body.toString('utf8'));
}

/**
 * V8's heap and the process's memory as the workers report them (prom-client's process and
 * Node metrics, both workers together), MiB, for telling heap growth from native memory.
 */
export async function readMemory(port: number, token: string): Promise<Record<string, number>> {
  const res = await request({ port, path: METRICS_ROUTE, headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`GET /metrics answered HTTP ${res.status}`);
  const memory: Record<string, number> = {};
  const wanted =
    /^(process_resident_memory_bytes|nodejs_heap_size_total_bytes|nodejs_heap_size_used_bytes|nodejs_external_memory_bytes|nodejs_heap_space_size_total_bytes)(?:\{space="(\w+)"\})? ([0-9.eE+-]+)$/;
  for (const line of res.body.toString('utf8').split('\n')) {
    const match = wanted.exec(line);
    if (match)
      memory[`${match[1]}${match[2] ? `.${match[2]}` : ''}`.replace(/_bytes/, '')] =
        Number(match[3]) / 2 ** 20;
  }
  return memory;
}

/** What happened between two snapshots, per request answered in between. */
export function perRequest(before: MetricsSnapshot, after: MetricsSnapshot): PerRequest {
  const requests = after.requests - before.requests;
  const per = (n: number) => (requests > 0 ? n / requests : Number.NaN);
  const byOperation: Record<string, number> = {};
  const byStore: Record<string, number> = {};
  for (const [key, value] of after.calls) {
    const delta = value - (before.calls.get(key) ?? 0);
    if (delta <= 0) continue;
    byOperation[key] = per(delta);
    const store = key.split(' ')[0]!;
    byStore[store] = (byStore[store] ?? 0) + per(delta);
  }
  const units = (key: string) => per((after.units.get(key) ?? 0) - (before.units.get(key) ?? 0));
  return {
    requests,
    byStore,
    byOperation,
    readUnits: units('dynamodb read'),
    writeUnits: units('dynamodb write'),
  };
}
