import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Pm2App } from '../../bench/lib/processes';
import { setupAwsResources } from '../../scripts/lib/aws-setup';
import { freePort, LOOPBACK } from '../../scripts/lib/processes';
import { loadConfig, withSessionSecret } from '../../src/config';
import type { Storage } from '../../src/ports';
import { createStorage } from '../../src/storage';
import { startStallProxy, type StallProxy } from './stall-proxy';

const ROOT = join(__dirname, '..', '..');
const SECRET = 'load-test-session-secret-0123456789abcdef';
/** Short, so a fault shows as 503s within the run. */
export const LOAD_STORE_TIMEOUT_MS = 1500;

/** Something that goes wrong for a few seconds while the load runs, and then comes right. */
export interface Fault {
  name: string;
  /** The store a 503 must name while it lasts. */
  store: string;
  begin(): Promise<void>;
  end(): Promise<void>;
}

/** A running site under PM2, as deployed: what the load talks to, and how to break it. */
export interface LoadSite {
  backend: 'embedded' | 'aws';
  url: string;
  /** How many PM2 apps (instances) serve behind `url`. */
  instances: number;
  faults: Fault[];
  /** `pm2 reload` of the first instance. */
  reload(): Promise<void>;
  /** Its stores, opened directly (not through the proxies), to count what is left. */
  openStorage(): Promise<Storage>;
  /** The environment `npm run sweep` needs to reach the same stores. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

function pm2Env(port: number, env: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? tmpdir(),
    PM2_HOME: mkdtempSync(join(tmpdir(), 'lumina-load-pm2-')),
    NODE_ENV: 'test',
    HOST: LOOPBACK,
    PORT: String(port),
    LOG_LEVEL: 'error',
    BCRYPT_COST: '4',
    SESSION_SECRET: SECRET,
    STORE_TIMEOUT_MS: String(LOAD_STORE_TIMEOUT_MS),
    SWEEP_INTERVAL_MINUTES: '0',
    // Every simulated member signs up from 127.0.0.1; real members come from many addresses.
    RATE_LIMIT_SIGNUP_MAX: '1000',
    RATE_LIMIT_LOGIN_IP_MAX: '1000',
    ...env,
  };
}

/** Two instances behind one address, each request to the next: a load balancer on loopback. */
function roundRobin(ports: number[]): Promise<{ server: Server; port: number }> {
  let next = 0;
  const server = createServer((req, res) => {
    const port = ports[next++ % ports.length]!;
    const upstream = request(
      { host: LOOPBACK, port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        // An answer cut after its headers is cut here too: ended or left open, the client would
        // wait for the rest of its body until its own timeout, which looks like no answer at all.
        answer.on('close', () => {
          if (!answer.complete) res.destroy();
        });
        answer.pipe(res);
      },
    );
    upstream.on('error', () => {
      if (res.headersSent) return res.destroy();
      res.writeHead(502);
      res.end();
    });
    req.pipe(upstream);
  });
  return new Promise((resolve) => {
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      resolve({ server, port: typeof address === 'object' && address ? address.port : 0 });
    });
  });
}

/** The embedded default: one data folder, PM2's two workers; the fault is a long write transaction. */
export async function startEmbeddedSite(): Promise<LoadSite> {
  const dataDir = mkdtempSync(join(tmpdir(), 'lumina-load-'));
  const env = { DATA_DIR: dataDir, SESSION_SECRET: SECRET, NODE_ENV: 'test' };
  const port = await freePort();
  const app = new Pm2App(ROOT, pm2Env(port, env), port);
  await app.start();
  let holder: Database.Database | undefined;
  return {
    backend: 'embedded',
    url: `http://${LOOPBACK}:${port}`,
    instances: 1,
    env,
    faults: [
      {
        name: 'a write transaction held open past the store timeout (SQLITE_BUSY)',
        store: 'sqlite',
        begin: () => {
          holder = new Database(join(dataDir, 'lumina.sqlite'));
          holder.exec('BEGIN IMMEDIATE');
          return Promise.resolve();
        },
        end: () => {
          holder?.exec('ROLLBACK');
          holder?.close();
          return Promise.resolve();
        },
      },
    ],
    reload: () => app.reload(),
    openStorage: () => createStorage(withSessionSecret(loadConfig(env), () => SECRET)),
    stop: async () => {
      await app.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The aws backend as deployed on two EC2 machines behind a load balancer: two instances (each
 * PM2 with two workers, its own port and data folder) behind a round-robin proxy, on fresh
 * tables and a fresh bucket of the test servers, each store reached through a proxy that can
 * take it down (DynamoDB Local keeps its data in memory, so it is cut off rather than stopped).
 */
export async function startAwsSite(awsEnv: Record<string, string>): Promise<LoadSite> {
  const suffix = randomBytes(4).toString('hex');
  const env: Record<string, string> = {
    ...awsEnv,
    SESSION_SECRET: SECRET,
    NODE_ENV: 'test',
    DYNAMODB_PHOTOS_TABLE: `load_photos_${suffix}`,
    DYNAMODB_COMMENTS_TABLE: `load_comments_${suffix}`,
    DYNAMODB_MESSAGES_TABLE: `load_messages_${suffix}`,
    S3_BUCKET: `load-${suffix}`,
  };
  const config = loadConfig(env);
  if (config.storage.backend !== 'aws') throw new Error('awsEnv does not select the aws backend');
  await setupAwsResources(config.storage.aws, { timeoutMs: 10_000 });

  const portOf = (url: string) => Number(new URL(url).port);
  const proxies = {
    dynamodb: await startStallProxy(portOf(env.DYNAMODB_ENDPOINT!)),
    s3: await startStallProxy(portOf(env.S3_ENDPOINT!)),
    mysql: await startStallProxy(Number(env.MYSQL_PORT)),
  };
  const viaProxies = {
    ...env,
    DYNAMODB_ENDPOINT: proxies.dynamodb.url,
    S3_ENDPOINT: proxies.s3.url,
    MYSQL_PORT: new URL(proxies.mysql.url).port,
  };
  const dirs: string[] = [];
  const apps: Pm2App[] = [];
  const ports: number[] = [];
  for (let i = 0; i < 2; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), `lumina-load-aws-${i}-`));
    dirs.push(dataDir);
    const port = await freePort();
    ports.push(port);
    apps.push(new Pm2App(ROOT, pm2Env(port, { ...viaProxies, DATA_DIR: dataDir }), port));
  }
  await Promise.all(apps.map((app) => app.start()));
  const balancer = await roundRobin(ports);
  const outage = (name: string, store: string, proxy: StallProxy): Fault => ({
    name,
    store,
    begin: () => proxy.down(),
    end: () => proxy.up(),
  });
  return {
    backend: 'aws',
    url: `http://${LOOPBACK}:${balancer.port}`,
    instances: 2,
    env: { ...env, DATA_DIR: dirs[0]! },
    faults: [
      outage('DynamoDB Local stopped', 'dynamodb', proxies.dynamodb),
      outage('s3rver stopped', 's3', proxies.s3),
      outage('MariaDB stopped', 'mysql', proxies.mysql),
    ],
    reload: () => apps[0]!.reload(),
    openStorage: () => createStorage(withSessionSecret(config, () => SECRET)),
    stop: async () => {
      await Promise.all(apps.map((app) => app.stop()));
      balancer.server.closeAllConnections();
      balancer.server.close();
      await Promise.all(Object.values(proxies).map((proxy) => proxy.close()));
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
