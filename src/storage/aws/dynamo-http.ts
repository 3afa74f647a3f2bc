import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { boundedMs } from '../../lib/deadline';
import { MAX_ATTEMPTS } from './sdk-config';
import { PostSigner, type Credentials } from './sigv4';

/**
 * DynamoDB's JSON protocol spoken directly, for the reads of the request path (GetItem, Query,
 * BatchGetItem): one keep-alive agent per process, SigV4 by sigv4.ts (what @smithy/signature-v4
 * signs, with the day's key kept), the body built and parsed once. The SDK's client spends
 * 0.4-0.9 ms of CPU per call at 10 in flight on its middleware stack, schema-driven serde and
 * endpoint rules; this path does the same call for 0.1-0.6 ms (bench/call-cost.ts). Writes,
 * scans and table management stay on the SDK.
 *
 * It reuses the SDK client's resolved region, endpoint and credentials (so the default
 * credential chain, with its caching and refresh, still applies), and mirrors what the stores
 * rely on: one retry of a throttled, 5xx or dropped call (MAX_ATTEMPTS), a connect and a
 * response time limit, the caller's AbortSignal, and errors shaped like the SDK's (`name` the
 * exception's, `$metadata.httpStatusCode`), so errors.ts translates them alike.
 */

/** The JSON body of a DynamoDB answer. */
export type WireOutput = Record<string, unknown>;

/** Exception names (after DynamoDB's `namespace#`) worth a second attempt. */
const RETRYABLE = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);
/** Socket failures worth a second attempt: a keep-alive socket the server had just closed. */
const RETRYABLE_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED']);

/** An error as the SDK would have thrown it: the exception's name, its message and status. */
function serviceError(status: number, body: WireOutput): Error {
  const type = typeof body.__type === 'string' ? body.__type : '';
  const name =
    type.slice(type.lastIndexOf('#') + 1) || (status >= 500 ? 'InternalServerError' : 'UnknownError');
  const message =
    typeof body.message === 'string'
      ? body.message
      : typeof body.Message === 'string'
        ? body.Message
        : `DynamoDB answered HTTP ${status}`;
  const err = Object.assign(new Error(message), { $metadata: { httpStatusCode: status } });
  err.name = name;
  return err;
}

const isRetryable = (err: unknown): boolean => {
  if (!(err instanceof Error)) return false;
  if (RETRYABLE.has(err.name)) return true;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && RETRYABLE_CODES.has(code);
};

interface Target {
  url: URL;
  signer: PostSigner;
  /** The SDK client's credentials: the default chain's provider (cached, refreshed) or fixed keys. */
  credentials: () => Promise<Credentials>;
  isHttps: boolean;
}

export class DynamoHttp {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;
  private target: Promise<Target> | undefined;

  constructor(
    private readonly client: DynamoDBClient,
    private readonly timeoutMs: number,
    maxSockets = 50,
  ) {
    const options = { keepAlive: true, maxSockets, scheduling: 'lifo' as const };
    this.httpAgent = new HttpAgent(options);
    this.httpsAgent = new HttpsAgent(options);
  }

  /**
   * Sends `operation` with `body` (already in DynamoDB's typed JSON) and returns the answer's
   * body. Each attempt gets `timeoutMs`, or what is left of the request's deadline
   * (lib/deadline.ts) when that is sooner: one timer per attempt, no AbortController.
   */
  async send(operation: string, body: unknown): Promise<WireOutput> {
    const target = await (this.target ??= this.resolveTarget());
    const payload = JSON.stringify(body);
    for (let attempt = 1; ; attempt++) {
      const limitMs = boundedMs(this.timeoutMs);
      if (limitMs < 1) throw timeoutError(this.timeoutMs);
      try {
        return await this.once(target, operation, payload, limitMs);
      } catch (err) {
        if (attempt >= MAX_ATTEMPTS || !isRetryable(err)) throw err;
      }
    }
  }

  destroy(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async resolveTarget(): Promise<Target> {
    const { config } = this.client;
    const region = await config.region();
    const endpoint = await config.endpoint?.();
    const url = endpoint
      ? new URL(
          `${endpoint.protocol}//${endpoint.hostname}${endpoint.port ? `:${endpoint.port}` : ''}${endpoint.path}`,
        )
      : new URL(await regionalEndpoint(this.client, region));
    const signer = new PostSigner(url.host, url.pathname, region, 'dynamodb');
    const provider = config.credentials;
    const credentials = typeof provider === 'function' ? () => provider() : () => Promise.resolve(provider);
    return { url, signer, credentials, isHttps: url.protocol === 'https:' };
  }

  private async once(
    target: Target,
    operation: string,
    payload: string,
    limitMs: number,
  ): Promise<WireOutput> {
    const { url, signer, isHttps } = target;
    const headers = signer.sign(
      await target.credentials(),
      { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': `DynamoDB_20120810.${operation}` },
      payload,
    );
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = (isHttps ? httpsRequest : httpRequest)({
        protocol: url.protocol,
        hostname: url.hostname,
        port: url.port || undefined,
        path: url.pathname,
        method: 'POST',
        headers,
        agent: isHttps ? this.httpsAgent : this.httpAgent,
      });
      // The whole exchange (connecting included) within the limit, like the SDK's time limits
      // (sdk-config.ts) and the request's deadline together.
      const timer = setTimeout(() => req.destroy(timeoutError(limitMs)), limitMs);
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') });
        });
      });
      req.end(payload);
    });
    let parsed: WireOutput;
    try {
      parsed = text === '' ? {} : (JSON.parse(text) as WireOutput);
    } catch {
      throw serviceError(status >= 400 ? status : 502, {
        message: `DynamoDB answered HTTP ${status} with a body that is not JSON`,
      });
    }
    if (status !== 200) throw serviceError(status, parsed);
    return parsed;
  }
}

/** DynamoDB's public endpoint for the region, FIPS or dual-stack when the client is set so. */
async function regionalEndpoint(client: DynamoDBClient, region: string): Promise<string> {
  const isFips = await client.config.useFipsEndpoint();
  const isDualStack = await client.config.useDualstackEndpoint();
  const service = isFips ? 'dynamodb-fips' : 'dynamodb';
  const domain = isDualStack ? 'api.aws' : region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://${service}.${region}.${domain}/`;
}

function timeoutError(ms: number): Error {
  const err = new Error(`DynamoDB did not answer within ${ms} ms`);
  err.name = 'TimeoutError';
  return err;
}
