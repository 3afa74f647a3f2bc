import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer, type Socket } from 'node:net';

/**
 * Stopping a worker without leaving a client unanswered (pm2 reload, SIGTERM).
 *
 * A keep-alive socket the server closes while it is idle races the client, which may be just
 * sending its next request on it: that request gets no answer at all. Node's http.Server.close()
 * closes every idle socket at once, so a worker stopped with it drops such requests now and then
 * (about one in a thousand under the load suite). Instead, a stopping worker:
 * - answers everything with `Connection: close`, so a socket that carries one more request is
 *   closed by the answer, and the client knows before it sends again;
 * - stops listening without touching its sockets (net.Server's close);
 * - leaves an idle socket for the client to close: every answer tells clients to drop a socket
 *   idle for KEEP_ALIVE_HINT_S (`Keep-Alive: timeout=`; undici, curl and most HTTP clients do),
 *   and only a socket idle past that (a client that ignored the hint) is closed by the worker.
 * The server itself keeps idle sockets longer (keepAliveTimeout), for load balancers that ignore
 * the hint and must never find a socket closed under them in normal running.
 */
export const KEEP_ALIVE_HINT_S = 5;

interface SocketState {
  requests: number;
  idleSince: number;
}

export class Drain {
  private readonly sockets = new Map<Socket, SocketState>();
  private stopping = false;

  constructor(private readonly server: Server) {
    server.on('connection', (socket: Socket) => {
      this.sockets.set(socket, { requests: 0, idleSince: Date.now() });
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Called first for every request: counts it on its socket and sets the keep-alive headers. */
  onRequest(req: IncomingMessage, res: ServerResponse): void {
    const state = this.sockets.get(req.socket);
    if (state) {
      state.requests += 1;
      res.once('close', () => {
        state.requests -= 1;
        state.idleSince = Date.now();
      });
    }
    if (this.stopping) res.setHeader('Connection', 'close');
    else if (res.shouldKeepAlive) {
      // Set by hand, Node adds neither header of its own (which would hint its keepAliveTimeout).
      res.setHeader('Connection', 'keep-alive');
      res.setHeader('Keep-Alive', `timeout=${KEEP_ALIVE_HINT_S}`);
    }
  }

  /**
   * Begins stopping: from now on answers close their sockets; after `listenMs` the server stops
   * listening; `done` runs once every socket is gone (closed by its client, by an answer, or,
   * idle past the hint, here).
   */
  stop(listenMs: number, done: () => void): void {
    this.stopping = true;
    setTimeout(() => {
      NetServer.prototype.close.call(this.server, () => {
        clearInterval(sweep);
        done();
      });
      const sweep = setInterval(() => this.closeLongIdle(), 200);
      sweep.unref();
      this.closeLongIdle();
    }, listenMs).unref();
  }

  private closeLongIdle(): void {
    const before = Date.now() - (KEEP_ALIVE_HINT_S + 1) * 1000;
    for (const [socket, state] of this.sockets) {
      if (state.requests === 0 && state.idleSince < before) socket.destroy();
    }
  }
}
