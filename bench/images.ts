import sharp from 'sharp';
import { xorshift32 } from '../scripts/lib/xorshift';

/**
 * Photo-like test images made on the spot (no downloaded files): smooth colour fields with
 * soft "objects" and per-pixel sensor grain, so a 12-megapixel JPEG lands in the 3–5 MB range a
 * phone camera produces, and decoding/encoding costs what a real photo costs.
 */
export async function makePhotoJpeg(
  width: number,
  height: number,
  options: { seed?: number; quality?: number; grain?: number } = {},
): Promise<Buffer> {
  const channels = 3;
  const grain = options.grain ?? 28;
  const pixels = Buffer.alloc(width * height * channels);
  const rand = xorshift32(options.seed ?? 0x9e3779b9);
  // A few soft blobs of colour over a sky-to-ground gradient.
  const blobs = Array.from({ length: 7 }, () => ({
    x: rand() * width,
    y: rand() * height,
    r: (0.08 + rand() * 0.25) * Math.min(width, height),
    c: [rand() * 255, rand() * 255, rand() * 255] as const,
  }));
  const clamp = (v: number) => (v < 0 ? 0 : v > 255 ? 255 : v);
  for (let y = 0; y < height; y++) {
    const t = y / height;
    const base = [90 + 120 * (1 - t), 140 + 60 * (1 - t) - 60 * t, 210 * (1 - t) + 60 * t];
    for (let x = 0; x < width; x++) {
      let r = base[0]! + 20 * Math.sin(x / 97);
      let g = base[1]! + 15 * Math.sin((x + y) / 131);
      let b = base[2]!;
      for (const blob of blobs) {
        const dx = x - blob.x;
        const dy = y - blob.y;
        const d2 = (dx * dx + dy * dy) / (blob.r * blob.r);
        if (d2 < 1) {
          const w = (1 - d2) * (1 - d2);
          r += (blob.c[0] - r) * w;
          g += (blob.c[1] - g) * w;
          b += (blob.c[2] - b) * w;
        }
      }
      const n = (rand() - 0.5) * grain;
      const i = (y * width + x) * channels;
      pixels[i] = clamp(r + n);
      pixels[i + 1] = clamp(g + n * 0.8 + (rand() - 0.5) * grain * 0.5);
      pixels[i + 2] = clamp(b + n);
    }
  }
  return sharp(pixels, { raw: { width, height, channels } })
    .jpeg({ quality: options.quality ?? 90, chromaSubsampling: '4:2:0' })
    .toBuffer();
}
