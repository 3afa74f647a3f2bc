import { createServer, connect, type Socket } from 'node:net';
import { LOOPBACK } from '../../scripts/lib/processes';

export interface StallProxy {
  /** Where to point the client instead of the real server. */
  url: string;
  /** From now on nothing moves in either direction, and new connections wait: a stalled store. */
  stall(): void;
  /** Traffic flows again, held bytes first. */
  resume(): void;
  /** The store is gone: open connections are cut and new ones refused, as when it is stopped. */
  down(): Promise<void>;
  /** Connections are taken again, on the same port. */
  up(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy on loopback in front of one server (DynamoDB Local, s3rver, MariaDB), for tests that
 * need that store to stall, or to be down, for one client only while the others (and other
 * tests) go on, and without losing what it holds (DynamoDB Local runs in memory).
 */
export function startStallProxy(targetPort: number): Promise<StallProxy> {
  let port = 0;
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
    if (!stalled) return pipe(client);
    // Held until resume(); counted with the others, so down() and close() cut it too.
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => client.destroy());
    waiting.push(() => pipe(client));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      port = typeof address === 'object' && address ? address.port : 0;
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
        down: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            waiting.length = 0;
            for (const socket of sockets) socket.destroy();
          }),
        up: () =>
          new Promise<void>((done, fail) => {
            server.once('error', fail);
            server.listen(port, LOOPBACK, () => done());
          }),
        close: () =>
          new Promise<void>((done) => {
            for (const socket of sockets) socket.destroy();
            if (server.listening) server.close(() => done());
            else done();
          }),
      });
    });
  });
}
