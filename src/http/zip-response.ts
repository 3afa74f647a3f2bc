import { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type { Response } from 'express';
import { ZipFile } from 'yazl';

/** One file of a zip answer, opened only when the archive reaches it. */
export interface ZipEntry {
  /** Path inside the archive (`photos/<id>.jpg`). */
  name: string;
  /** The file's bytes; null to leave the file out (it went away since it was listed). */
  open(): Promise<Readable | null>;
  /** Deflate it (text); JPEG and WebP are stored as they are. */
  compress: boolean;
  mtime?: Date;
}

/**
 * Answers 200 `application/zip` as an attachment, built while it is sent with yazl (a streaming
 * zip writer): one entry at a time, each opened only once the one before is fully written, and
 * written only as fast as the client reads (the zip's output is piped into the response, so a
 * slow reader pauses the entry's source). Memory stays at a few buffers whatever the size.
 *
 * A client that goes away stops the work: the entries are not read further, the open source is
 * closed. A failure after the headers were sent (a store that breaks mid-way) cuts the
 * connection without the zip's final directory and without the response's terminating chunk, so
 * no client can mistake the partial archive for a complete one, and rejects with the failure (for
 * the error middleware to log). Resolves when it is sent, or when the client has gone.
 */
export async function sendZip(
  res: Response,
  filename: string,
  entries: AsyncIterable<ZipEntry>,
): Promise<void> {
  const zip = new ZipFile();
  res.status(200);
  res.attachment(filename);
  res.set({
    'Content-Type': 'application/zip',
    'Cache-Control': 'no-store',
    'X-Content-Type-Options': 'nosniff',
  });
  const sent = pipeline(zip.outputStream, res);
  // Rejects as soon as the answer fails (client gone, socket error), whatever the loop awaits.
  let isClientGone = false;
  const failed = sent.then(
    () => new Promise<never>(() => undefined),
    (err: unknown) => {
      isClientGone = true;
      throw err;
    },
  );
  failed.catch(() => undefined);
  let source: Readable | null = null;
  try {
    for await (const entry of entries) {
      source = await Promise.race([entry.open(), failed]);
      if (!source) continue;
      zip.addReadStream(source, entry.name, {
        compress: entry.compress,
        ...(entry.mtime ? { mtime: entry.mtime } : {}),
      });
      await Promise.race([finished(source), failed]);
      source = null;
    }
    zip.end();
    await sent;
  } catch (err) {
    // Headers are gone: the only honest signal left is a connection cut short.
    source?.destroy();
    res.destroy();
    // A source that failed (a store part-way) is the error middleware's to log; a client that left is not an error.
    if (!isClientGone) throw err;
  }
}

/**
 * A JSON array as a stream of bytes, one element at a time as the reader asks for more (the
 * source is read only when the stream is).
 */
export function jsonArrayStream<T>(items: AsyncIterable<T>, toJson: (item: T) => unknown): Readable {
  return Readable.from(
    (async function* () {
      let first = true;
      yield Buffer.from('[');
      for await (const item of items) {
        yield Buffer.from(`${first ? '\n' : ',\n'}${JSON.stringify(toJson(item))}`);
        first = false;
      }
      yield Buffer.from(first ? ']\n' : '\n]\n');
    })(),
    { objectMode: false },
  );
}
