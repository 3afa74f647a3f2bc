import { SignatureV4 } from '@smithy/signature-v4';
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalPath, PostSigner, type Credentials } from '../../src/storage/aws/sigv4';

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytesOf = (data: SourceData): string | Buffer =>
  typeof data === 'string'
    ? data
    : data instanceof ArrayBuffer
      ? Buffer.from(data)
      : Buffer.from(data.buffer, data.byteOffset, data.byteLength);

/** node:crypto behind the hash interface SignatureV4 expects (sha256, HMAC when given a key). */
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytesOf(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytesOf(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(this.hash.digest());
  }
}

const keys: Credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};
const withToken: Credentials = { ...keys, sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE/token+with=signs' };
const body = JSON.stringify({
  TableName: 'lumina_messages',
  KeyConditionExpression: 'PK = :pk AND SK > :after',
  ExpressionAttributeValues: { ':pk': { S: 'CONV#1#2' }, ':after': { S: 'MSG#é ünïcode 😀' } },
  Limit: 100,
});

/** The headers @smithy/signature-v4 sends for the same request, as the reference. */
async function smithyHeaders(
  url: URL,
  region: string,
  credentials: Credentials,
  target: string,
  payload: string,
  now: Date,
): Promise<Record<string, string>> {
  const signer = new SignatureV4({ service: 'dynamodb', region, credentials, sha256: Sha256 });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: {},
      headers: {
        host: url.host,
        'content-type': 'application/x-amz-json-1.0',
        'content-length': String(Buffer.byteLength(payload)),
        'x-amz-target': target,
      },
      body: payload,
    },
    { signingDate: now },
  );
  return signed.headers;
}

describe('PostSigner (SigV4 of the DynamoDB read path)', () => {
  const cases: [string, string, string, Credentials, Date][] = [
    [
      'a regional endpoint',
      'https://dynamodb.eu-west-1.amazonaws.com/',
      'eu-west-1',
      keys,
      new Date('2026-12-01T19:25:00.123Z'),
    ],
    [
      'a session token',
      'https://dynamodb.us-east-1.amazonaws.com/',
      'us-east-1',
      withToken,
      new Date('2026-01-31T23:59:59.999Z'),
    ],
    [
      'a local endpoint with a port',
      'http://127.0.0.1:8000/',
      'local',
      keys,
      new Date('2027-02-28T00:00:00.000Z'),
    ],
    [
      'an endpoint with a path',
      'http://localhost:4566/a/b%20c/./d/../',
      'us-west-2',
      withToken,
      new Date('2026-06-15T12:00:00.000Z'),
    ],
  ];
  for (const [name, endpoint, region, credentials, now] of cases) {
    it(`signs as @smithy/signature-v4 does: ${name}`, async () => {
      const url = new URL(endpoint);
      const signer = new PostSigner(url.host, url.pathname, region, 'dynamodb');
      const target = 'DynamoDB_20120810.Query';
      const ours = signer.sign(
        credentials,
        { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': target },
        body,
        now,
      );
      expect(ours).toEqual(await smithyHeaders(url, region, credentials, target, body, now));
    });
  }

  it('derives a new key when the day or the credentials change', async () => {
    const url = new URL('https://dynamodb.eu-west-1.amazonaws.com/');
    const signer = new PostSigner(url.host, url.pathname, 'eu-west-1', 'dynamodb');
    const headers = {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': 'DynamoDB_20120810.GetItem',
    };
    const rotated: Credentials = { accessKeyId: 'AKIDOTHER', secretAccessKey: 'another-secret' };
    for (const [credentials, now] of [
      [keys, new Date('2026-12-01T23:59:59.000Z')],
      [keys, new Date('2026-12-02T00:00:01.000Z')],
      [rotated, new Date('2026-12-02T00:00:02.000Z')],
      [keys, new Date('2026-12-02T00:00:03.000Z')],
    ] as const) {
      expect(signer.sign(credentials, headers, '{}', now)).toEqual(
        await smithyHeaders(url, 'eu-west-1', credentials, headers['x-amz-target'], '{}', now),
      );
    }
  });

  it('canonicalPath resolves dot segments and escapes the path once more', () => {
    expect(canonicalPath('/')).toBe('/');
    expect(canonicalPath('')).toBe('');
    expect(canonicalPath('/a/./b/../c/')).toBe('/a/c/');
    expect(canonicalPath('/a%20b')).toBe('/a%2520b');
  });
});
