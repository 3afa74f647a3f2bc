import { createHash, createHmac } from 'node:crypto';

/** What signs a request: the SDK's credential identity. */
export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';

const sha256Hex = (data: string): string => createHash('sha256').update(data, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer =>
  createHmac('sha256', key).update(data, 'utf8').digest();

/** RFC 3986 escaping (encodeURIComponent leaves !'()* alone). */
const escapeUri = (text: string): string =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/**
 * SigV4's canonical path of a service other than S3: `.` and `..` resolved, empty segments
 * dropped, and the (already URL-encoded) path escaped once more, slashes kept.
 */
export function canonicalPath(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  const normalized = `${path.startsWith('/') ? '/' : ''}${segments.join('/')}${trailing}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

/**
 * AWS Signature Version 4 for one shape of request: a POST of a JSON body to one endpoint with
 * a fixed set of headers (DynamoDB's JSON protocol, dynamo-http.ts). It signs exactly what
 * @smithy/signature-v4 signs for that request (test/unit/sigv4.test.ts compares the two), for a
 * fraction of its CPU: the day's signing key is derived once per day and set of credentials
 * instead of re-hashed on every call, and nothing is cloned or sorted per call.
 */
export class PostSigner {
  private readonly scopeTail: string;
  private readonly path: string;
  private key: { day: string; secret: string; value: Buffer } | undefined;

  constructor(
    private readonly host: string,
    path: string,
    private readonly region: string,
    private readonly service: string,
  ) {
    this.path = canonicalPath(path);
    this.scopeTail = `/${region}/${service}/aws4_request`;
  }

  /**
   * The headers to send: `headers` (lower-case names; `host`, `content-length`, `x-amz-*` and
   * `authorization` are added here) with the date, the payload's hash, the session token when
   * there is one, and the signature over all of them.
   */
  sign(
    credentials: Credentials,
    headers: { 'content-type': string; 'x-amz-target': string },
    body: string,
    now = new Date(),
  ): Record<string, string> {
    const iso = now.toISOString();
    // 2026-12-01T19:25:00.123Z -> 20261201T192500Z
    const longDate = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
    const day = longDate.slice(0, 8);
    const payloadHash = sha256Hex(body);
    const signed: Record<string, string> = {
      'content-length': String(Buffer.byteLength(body)),
      'content-type': headers['content-type'],
      host: this.host,
      'x-amz-content-sha256': payloadHash,
      'x-amz-date': longDate,
      ...(credentials.sessionToken ? { 'x-amz-security-token': credentials.sessionToken } : {}),
      'x-amz-target': headers['x-amz-target'],
    };
    // The names above are already in the sorted order SigV4 asks for.
    const names = Object.keys(signed);
    const signedHeaders = names.join(';');
    const canonicalRequest = `POST\n${this.path}\n\n${names.map((n) => `${n}:${signed[n]!.trim()}`).join('\n')}\n\n${signedHeaders}\n${payloadHash}`;
    const scope = `${day}${this.scopeTail}`;
    const stringToSign = `${ALGORITHM}\n${longDate}\n${scope}\n${sha256Hex(canonicalRequest)}`;
    const signature = createHmac('sha256', this.signingKey(credentials.secretAccessKey, day))
      .update(stringToSign, 'utf8')
      .digest('hex');
    return {
      ...signed,
      authorization: `${ALGORITHM} Credential=${credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    };
  }

  /** The day's key for the secret: derived when the day or the secret changes. */
  private signingKey(secret: string, day: string): Buffer {
    if (this.key?.day !== day || this.key.secret !== secret) {
      const value = hmac(hmac(hmac(hmac(`AWS4${secret}`, day), this.region), this.service), 'aws4_request');
      this.key = { day, secret, value };
    }
    return this.key.value;
  }
}
