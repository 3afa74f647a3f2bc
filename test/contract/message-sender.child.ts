import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { loadConfig, withSessionSecret } from '../../src/config';
import { conversationIdOf } from '../../src/domain/types';
import type { Storage } from '../../src/ports';
import { createStorage } from '../../src/storage';

/**
 * Run by message-delivery.contract.ts as a separate process, like another PM2 worker or another
 * instance: sends `count` messages from one person to another through the MessageStore, `width`
 * at a time, each after a short random pause (the time a request spends on its way to the
 * store). Prints `ready`, waits for the parent's `go` file, then prints one JSON line with what
 * the store acknowledged.
 *
 * argv[2] is a JSON SenderJob; the store comes from `env` parsed by src/config.ts, as a worker's does.
 */
export interface SenderJob {
  env: Record<string, string>;
  goFile: string;
  from: { id: number; username: string };
  to: { id: number; username: string };
  count: number;
  width: number;
  label: string;
}

export interface SenderResult {
  acknowledged: { id: string; text: string; timestamp: number }[];
}

async function send(storage: Storage, job: SenderJob, i: number) {
  await sleep(Math.random() * 3);
  const message = await storage.messages.send({
    conversationId: conversationIdOf(job.from.id, job.to.id),
    fromUserId: job.from.id,
    fromUsername: job.from.username,
    toUserId: job.to.id,
    toUsername: job.to.username,
    text: `${job.label}-${i}`,
  });
  return { id: message.id, text: message.text, timestamp: message.createdAt.getTime() };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '') as SenderJob;
  const env = { NODE_ENV: 'test', SESSION_SECRET: 'sender-child-session-secret-0123456789', ...job.env };
  const config = withSessionSecret(loadConfig(env), () => 'unused');
  const storage = await createStorage(config);
  process.stdout.write('ready\n');
  while (!existsSync(job.goFile)) await sleep(2);
  try {
    const acknowledged: SenderResult['acknowledged'] = [];
    let next = 0;
    const lane = async () => {
      while (next < job.count) acknowledged.push(await send(storage, job, next++));
    };
    await Promise.all(Array.from({ length: job.width }, lane));
    process.stdout.write(`${JSON.stringify({ acknowledged } satisfies SenderResult)}\n`);
  } finally {
    await storage.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
