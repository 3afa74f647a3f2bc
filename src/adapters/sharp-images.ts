import sharp from 'sharp';
import { InvalidInput, PayloadTooLarge, UnsupportedMedia } from '../domain/errors';
import { MAX_FULL_SIDE, THUMB_SIZE } from '../domain/limits';
import { Semaphore } from '../lib/semaphore';
import type { ImageProcessor, ProcessedImage } from '../ports';

export const messages = {
  unsupported: 'That file is not a supported image. Accepted types: JPEG, PNG, WebP, GIF and AVIF.',
  undecodable: 'The image could not be read; the file may be damaged or truncated.',
  tooManyPixels: (w: number, h: number, maxPixels: number, maxSide: number) =>
    `The image is ${w}×${h} pixels; the limit is ${Math.round(maxPixels / 1e6)} megapixels and ${maxSide} pixels on a side.`,
};

const ACCEPTED = new Set(['jpeg', 'png', 'webp', 'gif']);

export interface SharpImagesOptions {
  maxPixels: number;
  maxSide: number;
  /** Images processed at once in this process; the rest queue, so a burst cannot starve other requests. */
  concurrency: number;
}

/**
 * sharp behind the ImageProcessor port. The header is read first (no pixel is decoded) to decide
 * the type and refuse oversized images; then one decode feeds both outputs.
 */
export class SharpImages implements ImageProcessor {
  private readonly gate: Semaphore;

  constructor(private readonly options: SharpImagesOptions) {
    this.gate = new Semaphore(options.concurrency);
    sharp.cache(false);
  }

  async process(
    bytes: Buffer,
    format: 'jpeg' | 'webp',
  ): Promise<{ full: ProcessedImage; thumb: ProcessedImage }> {
    const { width, height } = await this.inspect(bytes);
    const { maxPixels, maxSide } = this.options;
    if (width * height > maxPixels || width > maxSide || height > maxSide) {
      throw new PayloadTooLarge(messages.tooManyPixels(width, height, maxPixels, maxSide), 'image_too_large');
    }
    return this.gate.run(() => this.render(bytes, format));
  }

  private async inspect(bytes: Buffer): Promise<{ width: number; height: number }> {
    let meta: sharp.Metadata;
    try {
      meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    } catch {
      throw new UnsupportedMedia(messages.unsupported);
    }
    const isAvif = meta.format === 'heif' && meta.compression === 'av1';
    if (!meta.format || !(ACCEPTED.has(meta.format) || isAvif)) {
      throw new UnsupportedMedia(messages.unsupported);
    }
    if (!meta.width || !meta.height) throw new InvalidInput(messages.undecodable, 'undecodable_image');
    return { width: meta.width, height: meta.height };
  }

  private async render(
    bytes: Buffer,
    format: 'jpeg' | 'webp',
  ): Promise<{ full: ProcessedImage; thumb: ProcessedImage }> {
    let decoded: { data: Buffer; info: sharp.OutputInfo };
    try {
      decoded = await sharp(bytes, { limitInputPixels: this.options.maxPixels, failOn: 'error' })
        .rotate()
        .resize(MAX_FULL_SIDE, MAX_FULL_SIDE, { fit: 'inside', withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .raw()
        .toBuffer({ resolveWithObject: true });
    } catch {
      throw new InvalidInput(messages.undecodable, 'undecodable_image');
    }
    const { data, info } = decoded;
    const raw = { raw: { width: info.width, height: info.height, channels: info.channels } } as const;
    const encode = (image: sharp.Sharp) =>
      format === 'webp' ? image.webp({ quality: 80 }) : image.jpeg({ quality: 82, progressive: true });
    const [full, thumb] = await Promise.all([
      encode(sharp(data, raw)).toBuffer({ resolveWithObject: true }),
      encode(sharp(data, raw).resize(THUMB_SIZE, THUMB_SIZE, { fit: 'cover' })).toBuffer({
        resolveWithObject: true,
      }),
    ]);
    const contentType = format === 'webp' ? 'image/webp' : 'image/jpeg';
    return {
      full: { bytes: full.data, width: full.info.width, height: full.info.height, contentType },
      thumb: { bytes: thumb.data, width: thumb.info.width, height: thumb.info.height, contentType },
    };
  }
}
