/**
 * `postinstall`: makes the native addon that is built for one Node.js ABI (better-sqlite3) load
 * in the Node.js that runs Lumina.
 *
 * Lumina runs on the Node.js 24 that package-lock.json pins: the optional dependency
 * `node-linux-<arch>` (Linux x64 and arm64) is npm's own packaging of the official binary, and
 * npm puts its `node` first on the PATH of every `npm run` script and of `npx`, so the site,
 * the tests, the bench and PM2's workers all run on it, whatever Node.js ran `npm install`. On
 * any other platform nothing is pinned and the Node.js on the PATH runs Lumina.
 *
 * npm builds better-sqlite3 while it installs, against the headers its configuration names:
 * those of the Node.js that runs npm on a machine whose `nodedir` points there. So when the
 * addon does not load in the pinned Node.js, this builds it again against the headers the
 * pinned package ships (`include/node`), and fails the install if it still does not load.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

const ROOT = join(__dirname, '..');
const ADDON = 'better-sqlite3';

/** The pinned runtime's package folder on this platform, or undefined when nothing is pinned here. */
function pinnedRuntimeDir(): string | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    return dirname(require.resolve(`node-linux-${process.arch}/package.json`, { paths: [ROOT] }));
  } catch {
    return undefined;
  }
}

function loadsIn(node: string): boolean {
  const check = `new (require(${JSON.stringify(ADDON)}))(':memory:').close()`;
  return spawnSync(node, ['-e', check], { cwd: ROOT, stdio: 'ignore' }).status === 0;
}

function main(): void {
  const dir = pinnedRuntimeDir();
  if (!dir) {
    process.stdout.write(
      `pinned-node: no pinned Node.js for ${process.platform}-${process.arch}; the one on PATH runs Lumina\n`,
    );
    return;
  }
  const node = join(dir, 'bin', 'node');
  if (loadsIn(node)) return;
  const npm = process.env['npm_execpath'];
  if (!npm || !existsSync(join(dir, 'include', 'node'))) {
    throw new Error(`${ADDON} does not load in ${node}; run: npm rebuild ${ADDON} --nodedir=${dir}`);
  }
  process.stdout.write(
    `pinned-node: building ${ADDON} for ${spawnSync(node, ['-v']).stdout.toString().trim()}\n`,
  );
  // npm's own rebuild, so the addon's install script runs as npm runs it (a prebuilt binary when
  // one can be fetched, else node-gyp), on the pinned Node.js and against its headers.
  const rebuild = spawnSync(node, [npm, 'rebuild', ADDON], {
    cwd: ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      npm_config_nodedir: dir,
      PATH: `${join(dir, 'bin')}:${process.env['PATH'] ?? ''}`,
    },
  });
  if (rebuild.status !== 0 || !loadsIn(node)) {
    throw new Error(`${ADDON} still does not load in ${node} after npm rebuild`);
  }
}

if (require.main === module) main();
