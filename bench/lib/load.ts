import autocannon from 'autocannon';
import { LOOPBACK } from './http';

export interface LoadOptions {
  port: number;
  path: string;
  headers?: Record<string, string>;
  /** Concurrent keep-alive connections. */
  connections?: number;
  /** Time bound of the run. */
  seconds?: number;
  /** Count bound of the run: it stops at whichever bound comes first. */
  maxRequests?: number;
}

export interface LoadResult {
  path: string;
  connections: number;
  seconds: number;
  requests: number;
  rps: number;
  /** Latency percentiles in milliseconds, from every response (not autocannon's whole-ms histogram). */
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  /** Responses by status code; anything but 2xx means the figures are not the real thing. */
  statusCodes: Record<string, number>;
  non2xx: number;
  errors: number;
  timeouts: number;
  bytesPerResponse: number;
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

/**
 * One autocannon run against 127.0.0.1, bounded by time (`seconds`) and by count
 * (`maxRequests`), plus a watchdog that stops it if autocannon itself should not.
 */
export function load(options: LoadOptions): Promise<LoadResult> {
  const connections = options.connections ?? 10;
  const seconds = options.seconds ?? 5;
  const maxRequests = Math.max(connections, options.maxRequests ?? 200_000);
  const latencies = new Float64Array(maxRequests + connections * 2);
  let count = 0;
  let bytes = 0;
  const statusCodes: Record<string, number> = {};

  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://${LOOPBACK}:${options.port}${options.path}`,
        connections,
        duration: seconds,
        maxOverallRequests: maxRequests,
        timeout: 10,
        ...(options.headers ? { headers: options.headers } : {}),
      },
      (err: unknown, result) => {
        clearTimeout(watchdog);
        if (err)
          return reject(err instanceof Error ? err : new Error(`autocannon failed: ${JSON.stringify(err)}`));
        const sorted = latencies.subarray(0, count).sort();
        let sum = 0;
        for (const value of sorted) sum += value;
        const non2xx = Object.entries(statusCodes)
          .filter(([code]) => !code.startsWith('2'))
          .reduce((n, [, c]) => n + c, 0);
        resolve({
          path: options.path,
          connections,
          seconds: result.duration,
          requests: count,
          rps: count / result.duration,
          p50: percentile(sorted, 50),
          p90: percentile(sorted, 90),
          p99: percentile(sorted, 99),
          mean: count > 0 ? sum / count : Number.NaN,
          statusCodes,
          non2xx,
          errors: result.errors,
          timeouts: result.timeouts,
          bytesPerResponse: count > 0 ? bytes / count : 0,
        });
      },
    );
    instance.on('response', (_client, statusCode: number, resBytes: number, responseTime: number) => {
      if (count < latencies.length) latencies[count++] = responseTime;
      bytes += resBytes;
      statusCodes[statusCode] = (statusCodes[statusCode] ?? 0) + 1;
    });
    const watchdog = setTimeout(() => instance.stop(), (seconds + 15) * 1000);
  });
}
