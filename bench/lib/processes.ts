import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  answers200,
  runCommand,
  startChild,
  type Child,
  type CommandResult,
} from '../../scripts/lib/processes';
import { readyWorkers } from './cluster-ready';
import { LOOPBACK, waitFor200 } from './http';

export { runCommand, type CommandResult };

/** The database, tables and bucket the benches make in their own aws stand-ins. */
export const BENCH_NAMES = { database: 'lumina_bench', tablePrefix: 'lumina_bench_', bucket: 'lumina-bench' };

/** Whether nothing listens on 127.0.0.1:port right now. */
export function isPortFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, LOOPBACK, () => server.close(() => resolve(true)));
  });
}

/** The first free port from `start` on, trying at most `tries` ports. */
export async function freePort(start: number, tries = 20, avoid: number[] = []): Promise<number> {
  for (let port = start; port < start + tries; port++) {
    if (!avoid.includes(port) && (await isPortFree(port))) return port;
  }
  throw new Error(`no free port in ${start}..${start + tries - 1} on ${LOOPBACK}`);
}

/**
 * The built app under PM2, exactly as `npm start` runs it (ecosystem.config.js: two cluster
 * workers on PORT), but with a private PM2_HOME so the daemon, its logs and its process list
 * belong to this run only, and `pm2 kill` stops nothing else.
 */
export class Pm2App {
  private readonly pm2Bin: string;
  private started = false;

  constructor(
    private readonly root: string,
    private readonly env: NodeJS.ProcessEnv,
    private readonly port: number,
    /** Another ecosystem file than the project's (see withNodeArgs). */
    private readonly ecosystem = 'ecosystem.config.js',
  ) {
    this.pm2Bin = join(root, 'node_modules', 'pm2', 'bin', 'pm2');
  }

  private pm2(args: string[], timeoutMs: number): Promise<CommandResult> {
    return runCommand(process.execPath, [this.pm2Bin, ...args], { cwd: this.root, env: this.env, timeoutMs });
  }

  async start(): Promise<void> {
    this.started = true;
    const result = await this.pm2(['start', this.ecosystem], 60_000);
    if (result.code !== 0) throw new Error(`pm2 start failed (exit ${result.code}):\n${result.output}`);
    await waitFor200(this.port, '/readyz', { attempts: 150, intervalMs: 200 });
  }

  /** `pm2 reload`: the workers restart one at a time, each stopping only once its successor is ready. */
  async reload(): Promise<void> {
    const result = await this.pm2(['reload', 'lumina'], 90_000);
    if (result.code !== 0) throw new Error(`pm2 reload failed (exit ${result.code}):\n${result.output}`);
  }

  /** Online workers of the app as PM2 lists them. */
  async workers(): Promise<{ pid: number; status: string; restarts: number }[]> {
    const result = await this.pm2(['jlist'], 20_000);
    const json = result.output.slice(result.output.indexOf('['));
    const list = JSON.parse(json) as {
      name: string;
      pid: number;
      pm2_env?: { status?: string; restart_time?: number };
    }[];
    return list
      .filter((p) => p.name === 'lumina')
      .map((p) => ({ pid: p.pid, status: p.pm2_env?.status ?? '?', restarts: p.pm2_env?.restart_time ?? 0 }));
  }

  /** The tail of the PM2 logs, for a failure report. */
  async logs(lines = 40): Promise<string> {
    return (await this.pm2(['logs', 'lumina', '--lines', String(lines), '--nostream', '--raw'], 20_000))
      .output;
  }

  /** Stops the workers and the private daemon. Safe to call more than once. */
  async stop(): Promise<void> {
    if (!this.started) return;
    this.started = false;
    const result = await this.pm2(['kill'], 60_000);
    if (result.code !== 0)
      process.stderr.write(`[bench] pm2 kill exited ${result.code}:\n${result.output}\n`);
  }
}

/**
 * Writes into `dir` an ecosystem file that is the project's with `nodeArgs` added to each app's
 * Node flags (flags such as --cpu-prof that NODE_OPTIONS refuses), and returns its path.
 */
export function withNodeArgs(root: string, dir: string, nodeArgs: string[]): string {
  const file = join(dir, 'ecosystem.bench.config.js');
  writeFileSync(
    file,
    [
      `const base = require(${JSON.stringify(join(root, 'ecosystem.config.js'))});`,
      `const extra = ${JSON.stringify(nodeArgs)};`,
      'module.exports = {',
      '  apps: base.apps.map((app) => ({',
      '    ...app,',
      `    cwd: ${JSON.stringify(root)},`,
      `    script: require('node:path').resolve(${JSON.stringify(root)}, app.script),`,
      '    node_args: [...[].concat(app.node_args || []), ...extra],',
      '  })),',
      '};',
      '',
    ].join('\n'),
  );
  return file;
}

/**
 * A bench server in two `cluster` workers (like PM2's two), on 127.0.0.1: its primary prints
 * which workers it has once every one listens (bench/lib/cluster-ready.ts).
 */
export class ClusterServer {
  private child: Child | undefined;
  /** The workers' pids, once started: whose CPU time the bench reads. */
  pids: number[] = [];

  constructor(
    private readonly root: string,
    /** The script under bench/. */
    private readonly script: string,
    private readonly port: number,
    private readonly env: NodeJS.ProcessEnv,
    /** A path that answers 200 once the server serves. */
    private readonly probePath = '/',
  ) {}

  async start(): Promise<void> {
    this.child = await startChild(
      this.script,
      process.execPath,
      ['--import', 'tsx', join(this.root, 'bench', this.script)],
      {
        cwd: this.root,
        env: this.env,
        // The primary prints its line once every worker listens.
        isReady: async (output) =>
          readyWorkers(output) !== undefined && answers200(this.port, this.probePath),
        readyTimeoutMs: 30_000,
        // Its own session, as PM2's daemon has: Linux's autogroup scheduler shares the CPU
        // between sessions, so otherwise these servers would share one slice with the load
        // generator while the PM2 app had one of its own, and the ratios would measure that.
        detached: true,
      },
    );
    this.pids = readyWorkers(this.child.output())!;
  }

  /** Stops the primary by its pid; it takes its workers down with it. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    await child?.stop(5_000);
  }
}

/**
 * bench/bare-server.ts: the floor a Node server on this machine can reach, two `cluster`
 * workers answering one fixed response; with `express`, the same answer through an Express app
 * with one middleware.
 */
export function bareServer(
  root: string,
  port: number,
  response: { status: number; headers: [string, string][]; body: string },
  framework: 'node' | 'express' = 'node',
): ClusterServer {
  return new ClusterServer(root, 'bare-server.ts', port, {
    ...process.env,
    BARE_PORT: String(port),
    BARE_WORKERS: '2',
    BARE_RESPONSE: JSON.stringify(response),
    BARE_FRAMEWORK: framework,
  });
}

/** bench/app-server.ts: the app with one of the two chat-poll designs, over the bench's DATA_DIR. */
export function appVariantServer(
  root: string,
  port: number,
  env: NodeJS.ProcessEnv,
  variant: 'bypass' | 'express',
): ClusterServer {
  return new ClusterServer(
    root,
    'app-server.ts',
    port,
    { ...env, PORT: String(port), APP_VARIANT: variant },
    '/healthz',
  );
}
