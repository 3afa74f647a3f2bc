import { createServer } from 'node:http';
import { join } from 'node:path';
import { createApp, storeCallListener } from './app';
import { ConfigError, loadConfig, SESSION_SECRET_FILE, withSessionSecret } from './config';
import { createContainer } from './container';
import { Drain } from './http/drain';
import { Metrics } from './http/metrics';
import { createLogger } from './lib/logger';
import { readOrCreateSecret } from './lib/secret-file';

/**
 * How long a worker waits for in-flight requests and for its clients to let go of their idle
 * sockets (http/drain.ts) after SIGTERM before it exits anyway. PM2's kill_timeout is longer.
 */
const SHUTDOWN_GRACE_MS = 15_000;
/** How long a stopping worker keeps listening (answering with `Connection: close`). */
const LISTEN_GRACE_MS = 1_000;
const SESSION_PRUNE_INTERVAL_MS = 15 * 60_000;

async function main(): Promise<void> {
  try {
    process.loadEnvFile();
  } catch {
    // No .env file: the environment alone configures the process.
  }
  const env = loadConfig();
  // Without SESSION_SECRET, the first start generates one into DATA_DIR and every later start (and
  // the other worker) reads it back.
  const config = withSessionSecret(env, () => readOrCreateSecret(join(env.dataDir, SESSION_SECRET_FILE)));
  const logger = createLogger(config.logLevel);
  // Every worker of this site publishes its figures in DATA_DIR/metrics; /metrics adds them up.
  const metrics = new Metrics({ shareDir: join(config.dataDir, 'metrics') });
  const container = await createContainer(config, logger, { onStoreCall: storeCallListener(metrics) });
  const app = createApp(container, { metrics });
  // While stopping, every answer tells the client to close its connection, and idle sockets are
  // left for their clients to close (http/drain.ts), so no request meets a socket closing under it.
  const server = createServer((req, res) => {
    drain.onRequest(req, res);
    app(req, res);
  });
  const drain = new Drain(server);
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;

  const prune = setInterval(() => {
    container.storage.sessions
      .prune(new Date())
      .catch((err: unknown) => logger.warn({ err }, 'session prune failed'));
  }, SESSION_PRUNE_INTERVAL_MS);
  prune.unref();

  // Account deletions a process left half-way (services/account-deletion.service.ts).
  const resumeDeletions = () =>
    container.services.deletion
      .resumeAll()
      .then((finished) => {
        if (finished > 0) logger.info({ finished }, 'account deletions finished');
      })
      .catch((err: unknown) => logger.warn({ err }, 'account deletions could not be finished'));

  // Leftovers of writes that died half-way (services/sweep.service.ts), in one worker only.
  const sweepTimer =
    config.sweep.intervalMs > 0 && config.workerIndex === 0
      ? setInterval(() => {
          void resumeDeletions();
          container.services.sweep
            .sweepImages(config.sweep.graceMs)
            .then((report) => {
              const summary = {
                finishedDeletes: report.finishedDeletes.length,
                scanned: report.scanned,
                removed: report.removed.length,
              };
              if (report.photosWithoutImages.length > 0) {
                logger.error(
                  { ...summary, photosWithoutImages: report.photosWithoutImages },
                  'sweep: photos without images',
                );
              } else logger.info(summary, 'sweep done');
            })
            .catch((err: unknown) => logger.warn({ err }, 'sweep failed'));
        }, config.sweep.intervalMs)
      : undefined;
  sweepTimer?.unref();

  const shutdown = (signal: string, code = 0) => {
    if (drain.isStopping) return;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    clearInterval(prune);
    clearInterval(sweepTimer);
    const force = setTimeout(() => {
      logger.warn('in-flight requests did not finish in time');
      process.exit(code || 1);
    }, SHUTDOWN_GRACE_MS);
    force.unref();
    drain.stop(LISTEN_GRACE_MS, () => {
      Promise.all([metrics.close(), container.close()])
        .catch((err: unknown) => logger.error({ err }, 'closing stores failed'))
        .finally(() => process.exit(code));
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (err) => {
    logger.fatal({ err }, 'unhandled rejection');
    shutdown('unhandledRejection', 1);
  });
  process.on('uncaughtException', (err) => {
    logger.fatal({ err }, 'uncaught exception');
    shutdown('uncaughtException', 1);
  });

  server.listen(config.port, config.host, () => {
    logger.info({ port: config.port, backend: config.storage.backend }, 'listening');
    // PM2 (wait_ready) starts routing to this worker, and stops the old one on reload, only now.
    process.send?.('ready');
    void resumeDeletions();
  });
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    process.stderr.write(
      `Lumina failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
  }
  process.exit(1);
});
