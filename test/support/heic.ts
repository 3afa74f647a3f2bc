import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeJpeg } from './images';

/**
 * Real HEVC-coded HEIC files, made on the spot by Debian's `heif-enc` (package
 * libheif-examples; scripts/test.sh installs it), as phones write them.
 */
export async function makeHeic(width: number, height: number): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'lumina-heic-'));
  try {
    const input = join(dir, 'in.jpg');
    const output = join(dir, 'out.heic');
    writeFileSync(input, await makeJpeg(width, height));
    execFileSync('heif-enc', ['-q', '60', input, '-o', output], { stdio: 'ignore', timeout: 30_000 });
    return readFileSync(output);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A real HEIC whose `ispe` box (the image's declared size) now says `width`×`height`. */
export function heicDeclaring(heic: Buffer, width: number, height: number): Buffer {
  const copy = Buffer.from(heic);
  const at = copy.indexOf(Buffer.from('ispe'));
  if (at < 0) throw new Error('no ispe box in the HEIC');
  // 'ispe', then version and flags (4 bytes), then width and height (32 bits each).
  copy.writeUInt32BE(width, at + 8);
  copy.writeUInt32BE(height, at + 12);
  return copy;
}
