import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SharpImages } from '../../src/adapters/sharp-images';
import { InvalidInput, PayloadTooLarge, UnsupportedMedia } from '../../src/domain/errors';
import { heicDeclaring, makeHeic } from '../support/heic';
import { makeJpeg, makePng, pngDeclaring, SVG } from '../support/images';

const images = new SharpImages({ maxPixels: 40_000_000, maxSide: 16_384, concurrency: 2 });

describe('SharpImages.process', () => {
  it('with a large JPEG makes a full image of at most 2048 px, a 1080 px medium one and a 400×400 thumbnail', async () => {
    const { full, medium, thumb } = await images.process(await makeJpeg(3000, 1500), 'jpeg');
    expect([full.width, full.height]).toEqual([2048, 1024]);
    expect([medium.width, medium.height]).toEqual([1080, 540]);
    expect([thumb.width, thumb.height]).toEqual([400, 400]);
    expect((await sharp(medium.bytes).metadata()).width).toBe(1080);
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
      expect((err as Error).message).toMatch(/JPEG, PNG, WebP, GIF, AVIF and HEIC/);
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

  it('with a real HEIC (HEVC) decodes it and stores JPEGs of its size, colours kept', async () => {
    const { full, medium, thumb } = await images.process(await makeHeic(640, 480), 'jpeg');
    expect([full.width, full.height, full.contentType]).toEqual([640, 480, 'image/jpeg']);
    expect([medium.width, thumb.width]).toEqual([640, 400]);
    const meta = await sharp(full.bytes).metadata();
    expect(meta.format).toBe('jpeg');
    // makeJpeg's gradient: red grows to the right, so the right edge is redder than the left.
    const { data } = await sharp(full.bytes)
      .extract({ left: 0, top: 240, width: 640, height: 1 })
      .raw()
      .toBuffer({ resolveWithObject: true });
    expect(data[639 * 3]!).toBeGreaterThan(data[0]! + 100);
  });

  it('with a HEIC declaring 100000×100000 pixels refuses from the header, before decoding', async () => {
    const bomb = heicDeclaring(await makeHeic(64, 64), 100_000, 100_000);
    const err = await images.process(bomb, 'jpeg').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PayloadTooLarge);
    expect((err as Error).message).toMatch(/100000×100000/);
  });

  it('with a truncated HEIC throws InvalidInput', async () => {
    const heic = await makeHeic(320, 240);
    const err = await images
      .process(heic.subarray(0, Math.floor(heic.length * 0.6)), 'jpeg')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidInput);
  });

  it('stops a HEIC decode that runs past its time limit', async () => {
    const hasty = new SharpImages({
      maxPixels: 40_000_000,
      maxSide: 16_384,
      concurrency: 1,
      heicTimeoutMs: 1,
    });
    await expect(hasty.process(await makeHeic(1024, 768), 'jpeg')).rejects.toBeInstanceOf(InvalidInput);
  });

  it('refuses an image wider than the side limit even under the pixel limit', async () => {
    const narrow = new SharpImages({ maxPixels: 40_000_000, maxSide: 1000, concurrency: 1 });
    await expect(narrow.process(await makeJpeg(1200, 10), 'jpeg')).rejects.toBeInstanceOf(PayloadTooLarge);
  });
});
