import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { answers200, freePort, LOOPBACK, startChild } from '../../scripts/lib/processes';

const ROOT = join(__dirname, '..', '..');
export const MAIN = join(ROOT, 'dist', 'main.js');

export interface ServerProcess {
  url: string;
  port: number;
  process: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/**
 * Runs the built server (dist/main.js, as PM2 runs it) in a child process on 127.0.0.1, on a
 * port the OS picks, and waits until /healthz answers. `npm test` builds before the tests run.
 */
export function startServer(env: Record<string, string>): Promise<ServerProcess>;
/** @deprecated The OS picks the port (see server.port); the number is ignored. */
export function startServer(port: number, env: Record<string, string>): Promise<ServerProcess>;
export async function startServer(
  first: Record<string, string> | number,
  second: Record<string, string> = {},
): Promise<ServerProcess> {
  const env = typeof first === 'number' ? second : first;
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`);
  const port = await freePort();
  const child = await startChild('dist/main.js', process.execPath, [MAIN], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'test',
      HOST: LOOPBACK,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      BCRYPT_COST: '4',
      ...env,
    },
    isReady: () => answers200(port, '/healthz'),
    readyTimeoutMs: 30_000,
  });
  return {
    url: `http://${LOOPBACK}:${port}`,
    port,
    process: child.process,
    output: () => child.output(),
    // main.ts waits up to 15 s for in-flight requests and idle sockets; past that the helper kills it.
    stop: () => child.stop(17_000),
  };
}

/** A tiny cookie-keeping JSON client for a server process. */
export class Client {
  cookie = '';
  constructor(readonly base: string) {}

  async call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(this.base + path, {
      method,
      headers: {
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
    const set = res.headers.getSetCookie().find((c) => c.startsWith('lumina.sid='));
    if (set) this.cookie = set.split(';')[0] ?? '';
    const text = await res.text();
    return {
      status: res.status,
      body: text ? (JSON.parse(text) as unknown) : undefined,
      headers: res.headers,
    };
  }
}
