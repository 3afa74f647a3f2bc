/**
 * The baseline for the chat-poll benchmark: a bare `node:http` server in two `cluster` workers
 * (like PM2's two), on 127.0.0.1 only, answering every request with one fixed response, by
 * default the captured answer of a real empty chat poll (same status, headers and body), so the
 * bytes on the wire match and only the work behind them differs.
 *
 * With BARE_FRAMEWORK=express the same answer goes out through an Express 5 application with a
 * single middleware and nothing else: the floor any Express route stands on.
 *
 *   BARE_PORT (18481)  BARE_WORKERS (2)  BARE_RESPONSE ({"status","headers":[[k,v]],"body"})
 *   BARE_FRAMEWORK (node | express)
 *   BARE_MAX_LIFETIME_MS (600000): the primary stops itself after this long whatever happens.
 */
import cluster from 'node:cluster';
import { createServer, type IncomingMessage, type OutgoingHttpHeaders, type ServerResponse } from 'node:http';
import express from 'express';
import { announceReady } from './lib/cluster-ready';

interface FixedResponse {
  status: number;
  headers: [string, string][];
  body: string;
}

const port = Number(process.env.BARE_PORT ?? 18481);
const workers = Math.max(1, Number(process.env.BARE_WORKERS ?? 2));
const lifetimeMs = Number(process.env.BARE_MAX_LIFETIME_MS ?? 600_000);
const framework = process.env.BARE_FRAMEWORK ?? 'node';
if (framework !== 'node' && framework !== 'express')
  throw new Error('BARE_FRAMEWORK must be node or express');
const fixed: FixedResponse = process.env.BARE_RESPONSE
  ? (JSON.parse(process.env.BARE_RESPONSE) as FixedResponse)
  : { status: 200, headers: [['Content-Type', 'application/json; charset=utf-8']], body: '[]' };

/** Headers Node writes itself (or that describe the connection, not the answer). */
const SKIP = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

if (cluster.isPrimary) {
  let stopping = false;
  let listening = 0;
  cluster.on('listening', () => {
    if (++listening === workers) announceReady(framework);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      process.stderr.write(`bare-server worker ${worker.process.pid} died (${signal ?? code}); stopping\n`);
      stop(1);
    }
  });
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(code), 200).unref();
  };
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  setTimeout(() => {
    process.stderr.write(`bare-server: lifetime of ${lifetimeMs} ms reached; stopping\n`);
    stop(0);
  }, lifetimeMs).unref();
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of fixed.headers) {
    if (SKIP.has(name.toLowerCase())) continue;
    const previous = headers[name];
    headers[name] =
      previous === undefined
        ? value
        : Array.isArray(previous)
          ? [...previous, value]
          : [String(previous), value];
  }
  const body = Buffer.from(fixed.body);
  headers['Content-Length'] = String(body.length);
  const answer = (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    res.writeHead(fixed.status, headers);
    res.end(body);
  };
  const server = createServer(
    framework === 'express' ? express().disable('x-powered-by').use(answer) : answer,
  );
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  process.on('SIGTERM', () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
  // The primary went away: nothing to serve for.
  process.on('disconnect', () => process.exit(0));
  server.listen(port, '127.0.0.1');
}
