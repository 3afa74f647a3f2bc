import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SharpImages } from '../../src/adapters/sharp-images';
import { InvalidInput, PayloadTooLarge, UnsupportedMedia } from '../../src/domain/errors';
import { makeJpeg, makePng, pngDeclaring, SVG } from '../support/images';

const images = new SharpImages({ maxPixels: 40_000_000, maxSide: 16_384, concurrency: 2 });

describe('SharpImages.process', () => {
  it('with a large JPEG makes a full image of at most 2048 px and a 200×200 thumbnail', async () => {
    const { full, thumb } = await images.process(await makeJpeg(3000, 1500), 'jpeg');
    expect([full.width, full.height]).toEqual([2048, 1024]);
    expect([thumb.width, thumb.height]).toEqual([200, 200]);
    expect((await sharp(full.bytes).metadata()).format).toBe('jpeg');
    expect(full.contentType).toBe('image/jpeg');
  });

  it('applies EXIF orientation and strips all metadata, GPS included', async () => {
    const input = await makeJpeg(300, 100, { orientation: 6, gps: true });
    expect((await sharp(input).metadata()).exif).toBeDefined();
    const { full } = await images.process(input, 'jpeg');
    const meta = await sharp(full.bytes).metadata();
    expect([meta.width, meta.height]).toEqual([100, 300]);
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(full.bytes.includes(Buffer.from('LuminaTestCam'))).toBe(false);
  });

  it('does not enlarge small images and flattens transparency', async () => {
    const { full } = await images.process(await makePng(120, 80), 'webp');
    expect([full.width, full.height]).toEqual([120, 80]);
    expect(full.contentType).toBe('image/webp');
    expect((await sharp(full.bytes).metadata()).hasAlpha).toBe(false);
  });

  it('with text named like a photo, an SVG or an empty buffer throws UnsupportedMedia listing the accepted types', async () => {
    for (const bytes of [Buffer.from('just some text, not a jpeg'), SVG, Buffer.alloc(0)]) {
      const err = await images.process(bytes, 'jpeg').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UnsupportedMedia);
      expect((err as Error).message).toMatch(/JPEG, PNG, WebP, GIF and AVIF/);
    }
  });

  it('with a truncated JPEG throws InvalidInput', async () => {
    const jpeg = await makeJpeg(400, 300);
    await expect(
      images.process(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'jpeg'),
    ).rejects.toBeInstanceOf(InvalidInput);
  });

  it('with a PNG declaring 30000×30000 pixels refuses from the header, without decoding', async () => {
    const started = process.hrtime.bigint();
    const err = await images.process(pngDeclaring(30_000, 30_000), 'jpeg').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLarge);
    expect((err as Error).message).toMatch(/30000×30000/);
    // Not a timing assertion on speed: decoding 900 MP would allocate gigabytes, which this bounds.
    expect(Number(process.hrtime.bigint() - started) / 1e9).toBeLessThan(5);
  });

  it('refuses an image wider than the side limit even under the pixel limit', async () => {
    const narrow = new SharpImages({ maxPixels: 40_000_000, maxSide: 1000, concurrency: 1 });
    await expect(narrow.process(await makeJpeg(1200, 10), 'jpeg')).rejects.toBeInstanceOf(PayloadTooLarge);
  });
});
