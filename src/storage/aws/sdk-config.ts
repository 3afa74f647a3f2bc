import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsConfig } from '../../config';

/** What the DynamoDB and S3 clients share: attempts, time bounds, endpoint and credentials. */

/** SDK calls give up after two attempts: one retry hides a blip, more would hide an outage. */
export const MAX_ATTEMPTS = 2;

/**
 * Connecting, and sending the request until the response's headers arrive, each take at most
 * `timeoutMs` (and a breach is an error, not the SDK's default warning). `idleMs` also bounds
 * silence on the socket; S3 leaves it off because an object's body is streamed to a browser
 * that may read slowly, and pausing for it must not cut the image off.
 */
export function httpHandler(timeoutMs: number, idleMs?: number): NodeHttpHandler {
  return new NodeHttpHandler({
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    throwOnRequestTimeout: true,
    ...(idleMs ? { socketTimeout: idleMs } : {}),
  });
}

export const endpointOf = (endpoint: string | undefined) => (endpoint ? { endpoint } : {});
/**
 * A fresh object: the SDK records where credentials came from on the object itself, and the
 * config's is frozen. Without any, the SDK's default chain (environment, profile, role) applies.
 */
export const credentialsOf = ({ credentials }: AwsConfig) =>
  credentials
    ? { credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey } }
    : {};
