import cluster from 'node:cluster';

/**
 * The line a bench server's `cluster` primary prints once every worker listens. It names the
 * workers, so the bench can read their own CPU time from /proc (bench/lib/workers.ts) as it
 * does for PM2's workers.
 */
export function announceReady(kind: string): void {
  const pids = Object.values(cluster.workers ?? {}).map((worker) => worker?.process.pid);
  process.stdout.write(`bench server (${kind}) ready, workers ${pids.join(' ')}\n`);
}

/** The worker pids of the ready line in a server's output, or undefined before it is printed. */
export function readyWorkers(output: string): number[] | undefined {
  const line = /bench server \(\w+\) ready, workers ([\d ]+)\n/.exec(output);
  return line ? line[1]!.trim().split(' ').map(Number) : undefined;
}
