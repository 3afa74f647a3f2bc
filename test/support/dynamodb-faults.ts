import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOOPBACK } from '../../scripts/lib/processes';

/**
 * A loopback proxy in front of DynamoDB Local that answers chosen calls with the answers real
 * DynamoDB gives under contention, which DynamoDB Local (it serialises everything) never gives:
 * a transaction cancelled for TransactionConflict, and batch reads and writes returned
 * unprocessed. The faked call never reaches DynamoDB Local, so nothing of it is written, exactly
 * as with the real service. Point a store at `endpoint` to make its retry paths run.
 */

export type FaultyOperation = 'TransactWriteItems' | 'BatchWriteItem' | 'BatchGetItem';

export interface DynamoDbFaults {
  endpoint: string;
  /** The next `times` calls of `operation` (0: none) are answered with its fault instead of being served. */
  fail(operation: FaultyOperation, times: number): void;
  /**
   * The next `times` calls of `operation` reach DynamoDB Local and are applied, but their answer
   * is lost (the connection is cut once DynamoDB Local has answered): a write that timed out
   * after it landed. The SDK sends the same request again, as it does after any network error.
   */
  loseAnswer(operation: FaultyOperation | 'PutItem' | 'UpdateItem', times: number): void;
  /**
   * With true, every request loses its ClientRequestToken on the way, so DynamoDB Local cannot
   * tell a resent transaction from a new one: what the stores do without the SDK's own guard.
   */
  dropClientRequestTokens(isOn: boolean): void;
  /** Calls of `operation` seen so far, and how many of them were faked. */
  count(operation: FaultyOperation): { calls: number; faked: number };
  close(): Promise<void>;
}

const TARGET_PREFIX = 'DynamoDB_20120810.';

function fault(
  operation: FaultyOperation,
  input: Record<string, unknown>,
): { status: number; body: unknown } {
  switch (operation) {
    case 'TransactWriteItems': {
      const items = Array.isArray(input.TransactItems) ? input.TransactItems : [];
      // The first item conflicts with another transaction; the others were not evaluated.
      const reasons = items.map((_, i) =>
        i === 0
          ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }
          : { Code: 'None' },
      );
      return {
        status: 400,
        body: {
          __type: 'com.amazonaws.dynamodb.v20120810#TransactionCanceledException',
          message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
          CancellationReasons: reasons,
        },
      };
    }
    case 'BatchWriteItem':
      return { status: 200, body: { UnprocessedItems: input.RequestItems ?? {} } };
    case 'BatchGetItem': {
      const requested = (input.RequestItems ?? {}) as Record<string, unknown>;
      return {
        status: 200,
        body: {
          Responses: Object.fromEntries(Object.keys(requested).map((table) => [table, []])),
          UnprocessedKeys: requested,
        },
      };
    }
  }
}

export async function startDynamoDbFaults(target: string): Promise<DynamoDbFaults> {
  const upstream = new URL(target);
  const pending = new Map<FaultyOperation, number>();
  const counts = new Map<string, { calls: number; faked: number }>();

  const lost = new Map<string, number>();
  let isDroppingTokens = false;

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer, isLost = false) => {
    const proxied = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        if (isLost) {
          answer.resume();
          answer.once('end', () => res.destroy());
          return;
        }
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    proxied.once('error', () => res.destroy());
    proxied.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (isDroppingTokens && body.includes('ClientRequestToken')) {
        const input = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        delete input.ClientRequestToken;
        body = Buffer.from(JSON.stringify(input));
        req.headers['content-length'] = String(body.length);
      }
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
      const count = counts.get(operation) ?? { calls: 0, faked: 0 };
      counts.set(operation, count);
      count.calls++;
      const toLose = lost.get(operation) ?? 0;
      if (toLose > 0) {
        lost.set(operation, toLose - 1);
        count.faked++;
        return forward(req, res, body, true);
      }
      const left = pending.get(operation as FaultyOperation) ?? 0;
      if (left === 0) return forward(req, res, body);
      pending.set(operation as FaultyOperation, left - 1);
      count.faked++;
      const { status, body: answer } = fault(
        operation as FaultyOperation,
        JSON.parse(body.toString('utf8')) as Record<string, unknown>,
      );
      const text = JSON.stringify(answer);
      res.writeHead(status, {
        'content-type': 'application/x-amz-json-1.0',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, LOOPBACK, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://${LOOPBACK}:${port}`,
    fail: (operation, times) => pending.set(operation, times),
    loseAnswer: (operation, times) => lost.set(operation, times),
    dropClientRequestTokens: (isOn) => {
      isDroppingTokens = isOn;
    },
    count: (operation) => ({ ...(counts.get(operation) ?? { calls: 0, faked: 0 }) }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
