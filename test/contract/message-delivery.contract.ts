import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { conversationIdOf, type Message } from '../../src/domain/types';
import { createUsers, useStorage, type MakeStorage } from './fixtures';
import type { SenderJob, SenderResult } from './message-sender.child';
import { startChild } from './start-child';

/**
 * Exact chat delivery (issue 9 §1), written once for both backends: two separate processes
 * send at once (like two PM2 workers, or two instances) while a live poller in this process
 * walks the conversation with `after`, as the chat page does.
 *
 * `env` is the environment (src/config.ts keys) that selects the same backend and data as
 * `make`. Before sequenced ids, every round of 2 × 200 lost messages on both backends (embedded:
 * 121 and 100 of 400 missed by the poller; aws: 215 and 152), and timestamps went back along
 * the conversation.
 */
export function messageDeliveryContract(
  make: MakeStorage,
  env: () => Record<string, string>,
  { rounds }: { rounds: number },
): void {
  const storage = useStorage(make);
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  function startSender(job: SenderJob): { ready: Promise<void>; done: Promise<SenderResult> } {
    const { ready, done } = startChild(
      join(__dirname, 'message-sender.child.ts'),
      [JSON.stringify(job)],
      `sender ${job.label}`,
      60_000,
    );
    return {
      ready,
      done: done.then((stdout) => JSON.parse(stdout.trim().split('\n').at(-1)!) as SenderResult),
    };
  }

  describe('MessageStore delivery', () => {
    const PER_SENDER = 200;
    const ROUNDS = rounds;

    it(`MessageStore with two processes sending ${PER_SENDER} each at once, ${ROUNDS} rounds: a poller walking with after receives every stored message once, in the stored order, timestamps never decreasing`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'lumina-delivery-'));
      dirs.push(dir);
      const report: string[] = [];
      let failures = 0;
      for (let round = 0; round < ROUNDS; round++) {
        const [a, b] = await createUsers(storage(), 2);
        const conversation = conversationIdOf(a!.id, b!.id);
        const goFile = join(dir, `go-${round}`);
        const job = (from: typeof a, to: typeof b, label: string): SenderJob => ({
          env: env(),
          goFile,
          from: { id: from!.id, username: from!.username },
          to: { id: to!.id, username: to!.username },
          count: PER_SENDER,
          width: 8,
          label,
        });
        const senders = [startSender(job(a, b, 'a')), startSender(job(b, a, 'b'))];
        await Promise.all(senders.map((s) => s.ready));

        // The poller: the latest messages until there are some, then `after` the last one it has,
        // with no pause, until both senders are done and one more poll finds nothing.
        const seen: Message[] = [];
        let isDone = false;
        const finished = Promise.all(senders.map((s) => s.done)).finally(() => (isDone = true));
        writeFileSync(goFile, '');
        for (let quiet = 0; quiet < 2;) {
          const last = seen.at(-1);
          const batch = last
            ? await storage().messages.after(conversation, last.id, 100)
            : await storage().messages.latest(conversation, 100);
          seen.push(...batch);
          if (isDone && batch.length === 0) quiet++;
          else if (batch.length === 0) await sleep(0);
        }
        const results = await finished;

        const acknowledged = results.flatMap((r) => r.acknowledged);
        const stored = await storage().messages.latest(conversation, 2 * PER_SENDER + 10);
        const seenIds = seen.map((m) => m.id);
        const storedIds = stored.map((m) => m.id);
        const missed = storedIds.filter((id) => !seenIds.includes(id));
        const duplicates = seenIds.length - new Set(seenIds).size;
        const backwards = seen.filter((m, i) => i > 0 && m.createdAt < seen[i - 1]!.createdAt).length;
        report.push(
          `round ${round + 1}: acknowledged ${acknowledged.length}, stored ${stored.length}, polled ${seen.length}, ` +
            `missed ${missed.length}, duplicated ${duplicates}, timestamp went back ${backwards}`,
        );
        const isExact =
          acknowledged.length === 2 * PER_SENDER &&
          stored.length === 2 * PER_SENDER &&
          seenIds.join() === storedIds.join() &&
          backwards === 0 &&
          new Set(acknowledged.map((m) => m.id)).size === acknowledged.length &&
          acknowledged.every((m) => storedIds.includes(m.id));
        if (!isExact) failures++;
      }
      process.stderr.write(`[delivery] ${report.join('\n[delivery] ')}\n`);
      expect(report.join('\n')).not.toMatch(/missed [1-9]|duplicated [1-9]|went back [1-9]/);
      expect(failures).toBe(0);
    }, 180_000);
  });
}
