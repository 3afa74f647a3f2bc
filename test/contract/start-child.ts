import { spawn } from 'node:child_process';

/**
 * Runs a TypeScript child script (through tsx) that prints `ready` as its first line once set up.
 * `ready` settles then (or when the child ends first); `done` is the child's whole stdout when it
 * exits with 0, and otherwise fails naming `who`, the exit code and the child's stderr.
 */
export function startChild(
  script: string,
  args: string[],
  who: string,
  timeoutMs: number,
): { ready: Promise<void>; done: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: timeoutMs,
  });
  let stdout = '';
  let stderr = '';
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (stdout.startsWith('ready\n')) markReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<string>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      markReady();
      if (code === 0) resolve(stdout);
      else reject(new Error(`${who} exited with ${code}: ${stderr}`));
    });
  });
  return { ready, done };
}
