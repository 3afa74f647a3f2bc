import type { Response } from 'superagent';
import yauzl from 'yauzl';

/** supertest's parser for a binary body: the bytes as one Buffer. */
export function binary(res: Response, done: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
  res.on('error', (err: Error) => done(err, Buffer.alloc(0)));
}

/**
 * Every file of a zip, by path, read with yauzl (which checks the central directory and each
 * entry's size and CRC as it reads). Rejects for anything that is not a complete zip.
 */
export function unzip(zip: Buffer): Promise<Map<string, Buffer>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true }, (err, file) => {
      if (err) return reject(err);
      const files = new Map<string, Buffer>();
      file.on('error', reject);
      file.on('end', () => resolve(files));
      file.on('entry', (entry: yauzl.Entry) => {
        file.openReadStream(entry, (openErr, stream) => {
          if (openErr) return reject(openErr);
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            files.set(entry.fileName, Buffer.concat(chunks));
            file.readEntry();
          });
        });
      });
      file.readEntry();
    });
  });
}

/** A file of the archive as JSON. */
export function jsonOf<T = unknown>(files: Map<string, Buffer>, name: string): T {
  const bytes = files.get(name);
  if (!bytes) throw new Error(`the archive has no ${name}`);
  return JSON.parse(bytes.toString('utf8')) as T;
}
