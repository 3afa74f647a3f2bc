import { Writable } from 'node:stream';
import pino from 'pino';
import type { Logger } from '../../src/lib/logger';

/** A logger at `level` whose JSON lines are kept, parsed, in `lines` (empty it between tests). */
export function keptLogger<Line extends { level: number; msg: string }>(
  level = 'info',
): { logger: Logger; lines: Line[] } {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) {
        lines.push(JSON.parse(text) as Line);
      }
      done();
    },
  });
  return { logger: pino({ level }, sink), lines };
}
