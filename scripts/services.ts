/**
 * Local servers for the `aws` backend: MariaDB, DynamoDB Local and s3rver on 127.0.0.1.
 *
 *   npm run services:up      start what is not running, wait until each answers, write .services/env
 *   npm run services:down    stop them (data stays in .services/)
 *   tsx scripts/services.ts status | install
 *
 * Ports: LUMINA_MYSQL_PORT (33306), LUMINA_DYNAMODB_PORT (48000), LUMINA_S3_PORT (45690).
 * Then: `set -a; . .services/env; set +a; npm run setup:aws; npm run dev`.
 */
import { relative } from 'node:path';
import {
  ENV_FILE,
  ROOT,
  ensureInstalled,
  servicesStatus,
  startServices,
  stopServices,
} from './lib/local-services';

const usage = 'usage: tsx scripts/services.ts up | down | status | install';

async function main(command: string): Promise<number> {
  switch (command) {
    case 'up': {
      const startedAt = Date.now();
      const { started } = await startServices();
      const took = ((Date.now() - startedAt) / 1000).toFixed(1);
      console.log(started.length > 0 ? `started ${started.join(', ')} in ${took} s` : 'already running');
      printStatus();
      console.log(
        `environment: ${relative(ROOT, ENV_FILE)}  (set -a; . ${relative(ROOT, ENV_FILE)}; set +a)`,
      );
      return 0;
    }
    case 'down': {
      const stopped = await stopServices();
      console.log(stopped.length > 0 ? `stopped ${stopped.join(', ')}` : 'nothing was running');
      return 0;
    }
    case 'status': {
      return printStatus() ? 0 : 3;
    }
    case 'install': {
      await ensureInstalled();
      console.log('MariaDB, Java and DynamoDB Local are installed');
      return 0;
    }
    default:
      console.error(usage);
      return 2;
  }
}

/** Prints one line per service; true when all run. */
function printStatus(): boolean {
  const status = servicesStatus();
  for (const s of status) {
    console.log(`${s.name.padEnd(9)} ${s.pid ? `running  pid ${s.pid}` : 'stopped'}  127.0.0.1:${s.port}`);
  }
  return status.every((s) => s.pid !== null);
}

main(process.argv[2] ?? '').then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
