/**
 * Local stand-ins for the `aws` backend in development: MariaDB, DynamoDB Local and s3rver on
 * 127.0.0.1, run by PM2 from an ecosystem file this script writes (.services/ecosystem.json),
 * under a PM2 of their own (PM2_HOME=.services/pm2), so `pm2 kill` there stops nothing else.
 * Their data stays in .services/ between runs.
 *
 *   npm run services:up      start them (or leave them running), wait until each answers, write .services/env
 *   npm run services:down    stop them
 *   tsx scripts/services.ts status | install
 *
 * Ports: LUMINA_MYSQL_PORT (33306), LUMINA_DYNAMODB_PORT (48000), LUMINA_S3_PORT (45690).
 * Then: `set -a; . .services/env; set +a; npm run setup:aws; npm run dev`.
 * PM2 itself: `PM2_HOME=.services/pm2 npx pm2 ls | logs`.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import {
  bootstrapMariaDb,
  dynamoDbCommand,
  ensureInstalled,
  initMariaDb,
  mariaDbCommand,
  mariaDbPassword,
  mysqlAnswers,
  ENV_FILE,
  ROOT,
  s3rverCommand,
  SERVICES_DIR,
  servicesEnv,
  type ServerCommand,
  type ServicePorts,
} from './lib/local-services';
import { answersHttp, runCommand, runOrThrow, sleep } from './lib/processes';

const DIR = SERVICES_DIR;
const ECOSYSTEM = join(DIR, 'ecosystem.json');
const PM2 = join(ROOT, 'node_modules', 'pm2', 'bin', 'pm2');
const pm2Env = {
  ...process.env,
  PM2_HOME: join(DIR, 'pm2'),
  // The servers shut down cleanly on SIGTERM (MariaDB ignores PM2's default SIGINT).
  PM2_KILL_SIGNAL: 'SIGTERM',
};
const usage = 'usage: tsx scripts/services.ts up | down | status | install';
const log = (line: string) => process.stderr.write(`[services] ${line}\n`);

function port(name: string, fallback: number): number {
  const raw = process.env[name];
  const value = raw ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value < 1 || value > 65535)
    throw new Error(`${name} must be a port number`);
  return value;
}

const pm2 = (args: string[]) =>
  runCommand(process.execPath, [PM2, ...args], { cwd: ROOT, env: pm2Env, timeoutMs: 60_000 });

function ecosystemApp(command: ServerCommand, killTimeoutMs: number) {
  return {
    name: command.name,
    script: command.script,
    args: command.args,
    cwd: command.cwd,
    // mariadbd and java are programs, s3rver a node script.
    interpreter: command.script.endsWith('.js') ? 'node' : 'none',
    autorestart: true,
    kill_timeout: killTimeoutMs,
    out_file: join(DIR, 'logs', `${command.name}.log`),
    error_file: join(DIR, 'logs', `${command.name}.log`),
  };
}

async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) {
      throw new Error(
        `${what} did not answer within ${timeoutMs / 1000} s: see .services/logs/ (or pm2 logs)`,
      );
    }
    await sleep(200);
  }
}

async function up(): Promise<void> {
  const startedAt = Date.now();
  const binaries = await ensureInstalled(log);
  const ports: ServicePorts = {
    mysql: port('LUMINA_MYSQL_PORT', 33306),
    dynamodb: port('LUMINA_DYNAMODB_PORT', 48000),
    s3: port('LUMINA_S3_PORT', 45690),
  };
  const mariaDbDir = join(DIR, 'mariadb');
  for (const sub of ['mariadb', 'dynamodb', 's3', 'logs']) mkdirSync(join(DIR, sub), { recursive: true });
  await initMariaDb(binaries, mariaDbDir);
  const apps = [
    ecosystemApp(mariaDbCommand(binaries, mariaDbDir, ports.mysql), 30_000),
    ecosystemApp(dynamoDbCommand(binaries, ports.dynamodb, join(DIR, 'dynamodb')), 10_000),
    ecosystemApp(s3rverCommand(join(DIR, 's3'), ports.s3), 10_000),
  ];
  writeFileSync(ECOSYSTEM, `${JSON.stringify({ apps }, null, 2)}\n`);
  // Starts what is not running and leaves the rest as it is (PM2 would restart a running one).
  const online = new Set((await pm2List()).filter((p) => p.status === 'online').map((p) => p.name));
  const missing = apps.map((app) => app.name).filter((name) => !online.has(name));
  if (missing.length > 0) {
    await runOrThrow(process.execPath, [PM2, 'start', ECOSYSTEM, '--only', missing.join(',')], {
      cwd: ROOT,
      env: pm2Env,
      timeoutMs: 60_000,
    });
  }
  const password = mariaDbPassword(mariaDbDir);
  await Promise.all([
    waitUntil('mariadb', () =>
      bootstrapMariaDb(binaries, mariaDbDir, 'lumina').then(
        () => true,
        () => false,
      ),
    ),
    waitUntil('dynamodb', () => answersHttp(ports.dynamodb)),
    waitUntil('s3rver', () => answersHttp(ports.s3)),
  ]);
  await waitUntil('mariadb over TCP', () => mysqlAnswers(ports.mysql, password));
  const env = servicesEnv(ports, password, { database: 'lumina', tablePrefix: 'lumina_', bucket: 'lumina' });
  const lines = Object.entries(env).map(([key, value]) => `${key}=${value}`);
  writeFileSync(
    ENV_FILE,
    `# Written by scripts/services.ts: the local servers on loopback.\n${lines.join('\n')}\n`,
    {
      mode: 0o600,
    },
  );
  console.log(`ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s`);
  await status();
  console.log(`environment: ${relative(ROOT, ENV_FILE)}  (set -a; . ${relative(ROOT, ENV_FILE)}; set +a)`);
}

/** The servers PM2 runs here (none when its daemon is not running). */
async function pm2List(): Promise<{ name: string; pid: number; status: string }[]> {
  // `pm2 jlist` would start a daemon just to answer.
  if (!existsSync(join(pm2Env.PM2_HOME, 'pm2.pid'))) return [];
  const result = await pm2(['jlist']);
  // The JSON is the last line; a daemon starting up prints its own lines before it.
  const json = result.output.trim().split('\n').at(-1) ?? '';
  if (result.code !== 0 || !json.startsWith('[')) return [];
  const list = JSON.parse(json) as { name: string; pid: number; pm2_env?: { status?: string } }[];
  return list.map((p) => ({ name: p.name, pid: p.pid, status: p.pm2_env?.status ?? '?' }));
}

/** Prints one line per server; false when one is not online. */
async function status(): Promise<boolean> {
  const list = await pm2List();
  for (const name of ['mariadb', 'dynamodb', 's3']) {
    const app = list.find((p) => p.name === name);
    console.log(`${name.padEnd(9)} ${app ? `${app.status}  pid ${app.pid}` : 'stopped'}`);
  }
  return list.length === 3 && list.every((p) => p.status === 'online');
}

async function main(command: string): Promise<number> {
  switch (command) {
    case 'up':
      await up();
      return 0;
    case 'down': {
      // The PM2 daemon of .services/pm2 runs only these three: killing it stops them all.
      const result = await pm2(['kill']);
      console.log(result.code === 0 ? 'stopped' : result.output);
      return result.code === 0 ? 0 : 1;
    }
    case 'status':
      return (await status()) ? 0 : 3;
    case 'install':
      await ensureInstalled(log);
      console.log('MariaDB, Java and DynamoDB Local are installed');
      return 0;
    default:
      console.error(usage);
      return 2;
  }
}

main(process.argv[2] ?? '').then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
