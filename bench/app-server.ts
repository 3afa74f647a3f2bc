/**
 * One of the two chat-poll designs, served the way PM2 serves the app (two `cluster` workers
 * sharing one port, on 127.0.0.1), over the DATA_DIR the bench seeded, so `npm run bench` can
 * load both designs side by side in one run:
 *
 *   APP_VARIANT=bypass   the poll answered by node:http before Express (as createApp does)
 *   APP_VARIANT=express  the poll as the first Express route, ahead of the session middleware
 *
 * Configuration comes from the environment as for dist/main.js (PORT, DATA_DIR, SESSION_SECRET...).
 * APP_MAX_LIFETIME_MS (600000): the primary stops itself after this long whatever happens.
 */
import cluster from 'node:cluster';
import { createServer } from 'node:http';
import { createApp } from '../src/app';
import { join } from 'node:path';
import { loadConfig, SESSION_SECRET_FILE, withSessionSecret } from '../src/config';
import { createContainer } from '../src/container';
import { createLogger } from '../src/lib/logger';
import { readOrCreateSecret } from '../src/lib/secret-file';
import { announceReady } from './lib/cluster-ready';

const variant = process.env.APP_VARIANT ?? 'bypass';
if (variant !== 'bypass' && variant !== 'express') throw new Error('APP_VARIANT must be bypass or express');
const workers = 2;
const lifetimeMs = Number(process.env.APP_MAX_LIFETIME_MS ?? 600_000);

if (cluster.isPrimary) {
  let stopping = false;
  let listening = 0;
  const stop = (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(code), 500).unref();
  };
  cluster.on('listening', () => {
    if (++listening === workers) announceReady(variant);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      process.stderr.write(`app-server worker ${worker.process.pid} died (${signal ?? code}); stopping\n`);
      stop(1);
    }
  });
  process.on('SIGTERM', () => stop(0));
  process.on('SIGINT', () => stop(0));
  setTimeout(() => stop(0), lifetimeMs).unref();
  for (let i = 0; i < workers; i++) cluster.fork();
} else {
  void (async () => {
    const env = loadConfig();
    const config = withSessionSecret(env, () => readOrCreateSecret(join(env.dataDir, SESSION_SECRET_FILE)));
    const container = await createContainer(config, createLogger(config.logLevel));
    const server = createServer(createApp(container, { earlyRoutesInExpress: variant === 'express' }));
    server.keepAliveTimeout = 65_000;
    server.headersTimeout = 66_000;
    process.on('SIGTERM', () => {
      server.close();
      server.closeAllConnections();
      void container.close().finally(() => process.exit(0));
    });
    process.on('disconnect', () => process.exit(0));
    server.listen(config.port, config.host);
  })();
}
