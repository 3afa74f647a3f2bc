import type { IncomingMessage, ServerResponse } from 'node:http';

/*
 * Helpers on node:http's own request and response, for the handler that runs before Express
 * (api/messages-poll.ts) and for Express routes alike.
 */

/** Whether a request carries a body (a length above zero, or a chunked one). */
export function hasBody(req: IncomingMessage): boolean {
  return Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
}

/**
 * Ends `res` with `value` as JSON, with the Content-Type and Content-Length Express's res.json
 * sends. No ETag: the only user answers signed-in people, with `Cache-Control: no-store`.
 */
export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
