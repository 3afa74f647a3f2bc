import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { randomBytes } from 'node:crypto';

/** Loopback only: every request the benchmark makes goes to 127.0.0.1. */
export const LOOPBACK = '127.0.0.1';

export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names and values in the order they arrived (names as sent). */
  rawHeaders: string[];
  body: Buffer;
  /** Wall time from sending the request to the last body byte. */
  ms: number;
}

export interface HttpOptions {
  port: number;
  path: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** The whole exchange must finish within this time, or it fails. */
  timeoutMs?: number;
}

/** One HTTP/1.1 request to 127.0.0.1 on a fresh connection, body collected. */
export function request(options: HttpOptions): Promise<HttpResult> {
  const started = process.hrtime.bigint();
  const body = typeof options.body === 'string' ? Buffer.from(options.body) : options.body;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: LOOPBACK,
        port: options.port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: { ...(body ? { 'content-length': String(body.length) } : {}), ...options.headers },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            body: Buffer.concat(chunks),
            ms: Number(process.hrtime.bigint() - started) / 1e6,
          }),
        );
      },
    );
    const timeoutMs = options.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      req.destroy(new Error(`${options.method ?? 'GET'} ${options.path} took longer than ${timeoutMs} ms`));
    }, timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', reject);
    req.end(body);
  });
}

/** A multipart/form-data body with text fields and one file. */
export function multipart(
  fields: Record<string, string>,
  file: { field: string; filename: string; contentType: string; bytes: Buffer },
): { body: Buffer; contentType: string } {
  const boundary = `----lumina-bench-${randomBytes(12).toString('hex')}`;
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
  }
  parts.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="${file.field}"; filename="${file.filename}"\r\n` +
        `Content-Type: ${file.contentType}\r\n\r\n`,
    ),
    file.bytes,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  );
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** The `name=value` part of a Set-Cookie header for the given cookie, or undefined. */
export function cookieFrom(headers: IncomingHttpHeaders, name: string): string | undefined {
  for (const line of headers['set-cookie'] ?? []) {
    const pair = line.split(';', 1)[0]?.trim();
    if (pair?.startsWith(`${name}=`)) return pair;
  }
  return undefined;
}

/** Size in bytes of a response's status line and header block as it travelled on the wire (approximately). */
export function headerBytes(rawHeaders: string[]): number {
  let size = 'HTTP/1.1 200 OK\r\n'.length + 2;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    size += Buffer.byteLength(`${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`);
  }
  return size;
}

/** Waits until GET `path` answers 200, polling at most `attempts` times, `intervalMs` apart. */
export async function waitFor200(
  port: number,
  path: string,
  { attempts = 150, intervalMs = 200 }: { attempts?: number; intervalMs?: number } = {},
): Promise<void> {
  let last = 'no answer';
  for (let i = 0; i < attempts; i++) {
    try {
      const res = await request({ port, path, timeoutMs: 2_000 });
      if (res.status === 200) return;
      last = `status ${res.status}: ${res.body.toString('utf8').slice(0, 200)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`127.0.0.1:${port}${path} did not answer 200 after ${attempts} tries (${last})`);
}
