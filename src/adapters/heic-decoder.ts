import { Worker } from 'node:worker_threads';

/**
 * HEIC/HEIF (HEVC-coded, as phones write them) decoded by libheif compiled to WebAssembly
 * (the heic-decode package): sharp's prebuilt libvips reads the header but has no HEVC decoder.
 * The decode is synchronous CPU work, so it runs in a worker thread of its own, which is
 * stopped after `timeoutMs`; the worker checks the declared size against `maxPixels` again
 * before it decodes a pixel.
 */

export interface DecodedHeic {
  width: number;
  height: number;
  /** RGBA, 4 bytes per pixel. */
  data: Buffer;
}

export class HeicDecodeError extends Error {}

const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const decode = require(workerData.module);
(async () => {
  const images = await decode.all({ buffer: workerData.bytes });
  try {
    const first = images[0];
    if (!first) throw new Error('no image in the file');
    if (first.width * first.height > workerData.maxPixels) throw new Error('too many pixels');
    const { width, height, data } = await first.decode();
    parentPort.postMessage({ width, height, data }, [data.buffer]);
  } finally {
    images.dispose();
  }
})().catch((err) => parentPort.postMessage({ error: String((err && err.message) || err) }));
`;

const decoderModule = require.resolve('heic-decode');

export function decodeHeic(bytes: Buffer, maxPixels: number, timeoutMs: number): Promise<DecodedHeic> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { bytes, maxPixels, module: decoderModule },
      // The JavaScript heap stays small; the pixels live in WebAssembly memory, bounded by maxPixels.
      resourceLimits: { maxOldGenerationSizeMb: 64 },
      // libheif prints its complaints about damaged files; the caller reports them instead.
      stdout: true,
      stderr: true,
    });
    worker.stdout.resume();
    worker.stderr.resume();
    let isSettled = false;
    const settle = (fn: () => void) => {
      if (isSettled) return;
      isSettled = true;
      clearTimeout(timer);
      void worker.terminate();
      fn();
    };
    const timer = setTimeout(
      () => settle(() => reject(new HeicDecodeError('decoding took too long'))),
      timeoutMs,
    );
    worker.on(
      'message',
      (m: { width?: number; height?: number; data?: Uint8ClampedArray; error?: string }) => {
        if (m.error !== undefined || !m.data || !m.width || !m.height) {
          settle(() => reject(new HeicDecodeError(m.error ?? 'no pixels')));
          return;
        }
        const { width, height, data } = m;
        settle(() =>
          resolve({ width, height, data: Buffer.from(data.buffer, data.byteOffset, data.byteLength) }),
        );
      },
    );
    worker.on('error', (err) => settle(() => reject(new HeicDecodeError(err.message))));
    worker.on('exit', () => settle(() => reject(new HeicDecodeError('the decoder stopped'))));
  });
}
