import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/**
 * The one process helper of scripts, bench and tests: run a command to completion, start a
 * server child and wait until it answers, stop it by its pid, and pick a free port. Everything
 * listens on and is reached over loopback.
 */

export const LOOPBACK = '127.0.0.1';

export const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/**
 * A port the OS picks on 127.0.0.1: bound to port 0, then released, for servers that cannot be
 * told to listen on port 0 and report where (MariaDB, DynamoDB Local, dist/main.js under PM2).
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

export interface CommandResult {
  code: number | null;
  output: string;
}

/** Runs a command to completion (stdout and stderr together), killing it if it outlives `timeoutMs`. */
export function runCommand(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    const timer = setTimeout(() => {
      output += `\n${command} ${args.join(' ')} timed out after ${options.timeoutMs} ms`;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // 'exit', not 'close': a daemon the command leaves behind must not keep us waiting on its pipes.
    child.once('exit', (code) => {
      clearTimeout(timer);
      setImmediate(() => resolve({ code, output }));
    });
  });
}

/** Like runCommand, but a non-zero exit is an error carrying the output. */
export async function runOrThrow(
  command: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<string> {
  const result = await runCommand(command, args, options);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} failed (exit ${result.code}):\n${result.output}`);
  }
  return result.output;
}

export interface Child {
  readonly name: string;
  readonly process: ChildProcess;
  /** Everything it printed so far (the last 64 KB). */
  output(): string;
  isRunning(): boolean;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited. Safe to call twice. */
  stop(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** One probe, given what the child printed so far: resolves true once the server answers. */
  isReady: (output: string) => Promise<boolean>;
  readyTimeoutMs: number;
  /** In a session of its own (setsid), so Linux's autogroup scheduler gives it its own CPU share. */
  detached?: boolean;
}

const OUTPUT_LIMIT = 64 * 1024;

/** Children still running: killed if their owner exits without stopping them (a crash, Ctrl-C). */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * Starts a server as a child of this process and waits (bounded) until `isReady`. If it exits
 * first or does not get ready in time, it is killed and the error carries its output. The child
 * is ours alone: it dies with its owner's stop(), never found again by name or pid file.
 */
export async function startChild(
  name: string,
  command: string,
  args: string[],
  options: StartOptions,
): Promise<Child> {
  const child = spawn(command, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached === true,
  });
  live.add(child);
  let log = '';
  const collect = (chunk: Buffer) => {
    log = (log + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  let failure: string | undefined;
  child.once('error', (err) => (failure = `could not be started: ${err.message}`));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      failure ??= `exited with ${signal ?? `code ${code}`}`;
      resolve();
    }),
  );
  const isRunning = () => child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  const handle: Child = {
    name,
    process: child,
    output: () => log,
    isRunning,
    stop: async (graceMs = 10_000) => {
      if (!isRunning()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
  const deadline = Date.now() + options.readyTimeoutMs;
  for (;;) {
    if (failure !== undefined) {
      throw new Error(`${name} ${failure} before it was ready:\n${log.slice(-4000)}`);
    }
    if (await options.isReady(log).catch(() => false)) return handle;
    if (Date.now() > deadline) {
      await handle.stop(2000);
      throw new Error(
        `${name} was not ready within ${options.readyTimeoutMs / 1000} s:\n${log.slice(-4000)}`,
      );
    }
    await sleep(150);
  }
}

/** Whether an HTTP server answers on 127.0.0.1:port (any status). */
export async function answersHttp(port: number, path = '/'): Promise<boolean> {
  try {
    const res = await fetch(`http://${LOOPBACK}:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return true;
  } catch {
    return false;
  }
}

/** Whether GET 127.0.0.1:port/path answers 200. */
export async function answers200(port: number, path: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${LOOPBACK}:${port}${path}`, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}
