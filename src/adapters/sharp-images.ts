import sharp from 'sharp';
import { InvalidInput, PayloadTooLarge, UnsupportedMedia } from '../domain/errors';
import {
  AVATAR_SIZES,
  HEIC_DECODE_TIMEOUT_MS,
  MAX_FULL_SIDE,
  MEDIUM_SIDE,
  THUMB_SIZE,
} from '../domain/limits';
import { Semaphore } from '../lib/semaphore';
import type { ImageProcessor, ProcessedImage, ProcessedImages } from '../ports';
import { decodeHeic } from './heic-decoder';

export const messages = {
  unsupported:
    'That file is not a supported image. Accepted types: JPEG, PNG, WebP, GIF, AVIF and HEIC (iPhone photos).',
  undecodable: 'The image could not be decoded; the file may be damaged or cut short.',
  tooManyPixels: (w: number, h: number, maxPixels: number, maxSide: number) =>
    `The image is ${w}×${h} pixels; the limit is ${Math.round(maxPixels / 1e6)} megapixels and ${maxSide} pixels on a side.`,
};

const ACCEPTED = new Set(['jpeg', 'png', 'webp', 'gif']);

/**
 * Whether the bytes start as a file of a type Lumina takes: JPEG, PNG, GIF, WebP, AVIF, HEIC.
 * When sharp cannot even read the header of such a file, the file is damaged (400), not of
 * another type (415).
 */
function startsLikeAccepted(bytes: Buffer): boolean {
  const at = (offset: number, text: string) =>
    bytes.subarray(offset, offset + text.length).toString('latin1') === text;
  return (
    (bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) ||
    at(0, '\x89PNG\r\n\x1a\n') ||
    at(0, 'GIF87a') ||
    at(0, 'GIF89a') ||
    (at(0, 'RIFF') && at(8, 'WEBP')) ||
    (at(4, 'ftyp') &&
      ['avif', 'avis', 'heic', 'heix', 'hevc', 'heim', 'heis', 'mif1', 'msf1'].some((brand) => at(8, brand)))
  );
}

export interface SharpImagesOptions {
  maxPixels: number;
  maxSide: number;
  /** Images processed at once in this process; the rest queue, so a burst cannot starve other requests. */
  concurrency: number;
  /** How long one HEIC decode may take. */
  heicTimeoutMs?: number;
}

type Kind = 'sharp' | 'heic';

/**
 * sharp behind the ImageProcessor port. The header is read first (no pixel is decoded) to decide
 * the type and refuse oversized images; then one decode feeds the three outputs. HEVC-coded
 * HEIC, which sharp's prebuilt libvips cannot decode, is decoded by libheif in WebAssembly
 * (adapters/heic-decoder.ts) and handed to sharp as raw pixels.
 */
export class SharpImages implements ImageProcessor {
  private readonly gate: Semaphore;

  constructor(private readonly options: SharpImagesOptions) {
    this.gate = new Semaphore(options.concurrency);
    sharp.cache(false);
  }

  queueDepth(): number {
    return this.gate.depth;
  }

  async process(bytes: Buffer, format: 'jpeg' | 'webp'): Promise<ProcessedImages> {
    const { width, height, kind } = await this.inspect(bytes);
    const { maxPixels, maxSide } = this.options;
    if (width * height > maxPixels || width > maxSide || height > maxSide) {
      throw new PayloadTooLarge(messages.tooManyPixels(width, height, maxPixels, maxSide), 'image_too_large');
    }
    return this.gate.run(() => this.render(bytes, kind, format));
  }

  async avatar(bytes: Buffer): Promise<{ large: ProcessedImage; small: ProcessedImage }> {
    const { width, height, kind } = await this.inspect(bytes);
    const { maxPixels, maxSide } = this.options;
    if (width * height > maxPixels || width > maxSide || height > maxSide) {
      throw new PayloadTooLarge(messages.tooManyPixels(width, height, maxPixels, maxSide), 'image_too_large');
    }
    return this.gate.run(async () => {
      let large: { data: Buffer; info: sharp.OutputInfo };
      try {
        // The photos' decode (orientation applied, HEIC too), cropped to the centre square,
        // scaled, flattened; nothing of the original's metadata is written out.
        large = await (
          await this.decode(bytes, kind)
        )
          .resize(AVATAR_SIZES.large, AVATAR_SIZES.large, { fit: 'cover' })
          .flatten({ background: '#ffffff' })
          .jpeg({ quality: 85 })
          .toBuffer({ resolveWithObject: true });
      } catch {
        throw new InvalidInput(messages.undecodable, 'undecodable_image');
      }
      const small = await sharp(large.data)
        .resize(AVATAR_SIZES.small, AVATAR_SIZES.small)
        .jpeg({ quality: 85 })
        .toBuffer({ resolveWithObject: true });
      const image = (out: { data: Buffer; info: sharp.OutputInfo }): ProcessedImage => ({
        bytes: out.data,
        width: out.info.width,
        height: out.info.height,
        contentType: 'image/jpeg',
      });
      return { large: image(large), small: image(small) };
    });
  }

  private async inspect(bytes: Buffer): Promise<{ width: number; height: number; kind: Kind }> {
    let meta: sharp.Metadata;
    try {
      meta = await sharp(bytes, { limitInputPixels: false }).metadata();
    } catch {
      throw startsLikeAccepted(bytes)
        ? new InvalidInput(messages.undecodable, 'undecodable_image')
        : new UnsupportedMedia(messages.unsupported);
    }
    const isHeif = meta.format === 'heif';
    const isAvif = isHeif && meta.compression === 'av1';
    const isHeic = isHeif && meta.compression === 'hevc';
    if (!meta.format || !(ACCEPTED.has(meta.format) || isAvif || isHeic)) {
      throw new UnsupportedMedia(messages.unsupported);
    }
    if (!meta.width || !meta.height) throw new InvalidInput(messages.undecodable, 'undecodable_image');
    return { width: meta.width, height: meta.height, kind: isHeic ? 'heic' : 'sharp' };
  }

  /** One decode (orientation applied, at most MAX_FULL_SIDE), then the three encodes from its pixels. */
  private async render(bytes: Buffer, kind: Kind, format: 'jpeg' | 'webp'): Promise<ProcessedImages> {
    let decoded: { data: Buffer; info: sharp.OutputInfo };
    try {
      decoded = await (
        await this.decode(bytes, kind)
      )
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
    const [full, medium, thumb] = await Promise.all([
      encode(sharp(data, raw)).toBuffer({ resolveWithObject: true }),
      encode(
        sharp(data, raw).resize(MEDIUM_SIDE, MEDIUM_SIDE, { fit: 'inside', withoutEnlargement: true }),
      ).toBuffer({ resolveWithObject: true }),
      encode(sharp(data, raw).resize(THUMB_SIZE, THUMB_SIZE, { fit: 'cover' })).toBuffer({
        resolveWithObject: true,
      }),
    ]);
    const contentType = format === 'webp' ? 'image/webp' : 'image/jpeg';
    const out = (r: { data: Buffer; info: sharp.OutputInfo }): ProcessedImage => ({
      bytes: r.data,
      width: r.info.width,
      height: r.info.height,
      contentType,
    });
    return { full: out(full), medium: out(medium), thumb: out(thumb) };
  }

  /** A sharp pipeline over the decoded pixels, with EXIF orientation applied. */
  private async decode(bytes: Buffer, kind: Kind): Promise<sharp.Sharp> {
    const { maxPixels } = this.options;
    if (kind === 'sharp') return sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error' }).rotate();
    // libheif applies the HEIF rotation and mirror boxes itself.
    const { width, height, data } = await decodeHeic(
      bytes,
      maxPixels,
      this.options.heicTimeoutMs ?? HEIC_DECODE_TIMEOUT_MS,
    );
    return sharp(data, { raw: { width, height, channels: 4 } });
  }
}
