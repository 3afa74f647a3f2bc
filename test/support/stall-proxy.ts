import { createServer, connect, type Socket } from 'node:net';
import { LOOPBACK } from '../../scripts/lib/processes';

export interface StallProxy {
  /** Where to point the client instead of the real server. */
  url: string;
  /** From now on nothing moves in either direction, and new connections wait: a stalled store. */
  stall(): void;
  /** Traffic flows again, held bytes first. */
  resume(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy on loopback in front of one server (DynamoDB Local, s3rver, MariaDB), for tests that
 * need that store to stall for one client only while the others (and other tests) go on.
 */
export function startStallProxy(targetPort: number): Promise<StallProxy> {
  let stalled = false;
  const sockets = new Set<Socket>();
  const waiting: (() => void)[] = [];
  const pipe = (client: Socket) => {
    const upstream = connect(targetPort, LOOPBACK);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
    if (stalled) for (const socket of [client, upstream]) socket.pause();
  };
  const server = createServer((client) => {
    client.pause();
    if (stalled) waiting.push(() => pipe(client));
    else pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      resolve({
        url: `http://${LOOPBACK}:${port}`,
        stall: () => {
          stalled = true;
          for (const socket of sockets) socket.pause();
        },
        resume: () => {
          stalled = false;
          for (const socket of sockets) socket.resume();
          for (const start of waiting.splice(0)) start();
        },
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
