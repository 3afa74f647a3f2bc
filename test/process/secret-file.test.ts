import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const MODULE = join(__dirname, '..', '..', 'src', 'lib', 'secret-file.ts');
const PROCESSES = 6;
const ROUNDS = 6;

/**
 * One process that reads or creates the secret in `file` at the time `at` (waiting for it, so the
 * processes of a round reach the file within a millisecond of each other) and prints it.
 */
const readInChild = async (file: string, at: number): Promise<string> => {
  const script = `const { readOrCreateSecret } = require(${JSON.stringify(MODULE)});
while (Date.now() < ${at});
process.stdout.write(readOrCreateSecret(${JSON.stringify(file)}));`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', script]);
  return stdout;
};

describe('the generated session secret', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lumina-secret-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is one whole secret for processes that start at once on a fresh data folder', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const file = join(dir, `round-${round}`, 'session-secret');
      const at = Date.now() + 3000;
      const secrets = await Promise.all(Array.from({ length: PROCESSES }, () => readInChild(file, at)));
      expect(secrets[0]).toMatch(/^[0-9a-f]{64}$/);
      expect(new Set(secrets)).toEqual(new Set([secrets[0]]));
      // Each process's own file is gone: only the secret is left.
      expect(readdirSync(join(dir, `round-${round}`))).toEqual(['session-secret']);
    }
  }, 120_000);
});
