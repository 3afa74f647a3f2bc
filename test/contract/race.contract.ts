import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startChild } from '../../scripts/lib/processes';
import { createUser, createUsers, newPhoto, useStorage, type MakeStorage } from './fixtures';
import type { RaceResult, RaceTask } from './store-race.child';

/**
 * The "at once" races of the contract suite, run by two separate processes (store-race.child.ts)
 * on the same backend and data, as PM2's two workers or two instances would: in one process
 * SQLite and DynamoDB Local serialise the calls and no race happens. Written once for both
 * backends; `env` selects the same backend and data as `make` (src/config.ts keys).
 */
export function raceContract(make: MakeStorage, env: () => Record<string, string>): void {
  const storage = useStorage(make);
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  /** Starts both jobs' processes, lets them go together, and returns each one's outcomes. */
  async function race(jobs: RaceTask[]): Promise<RaceResult[]> {
    const dir = mkdtempSync(join(tmpdir(), 'lumina-race-'));
    dirs.push(dir);
    const goFile = join(dir, 'go');
    const children = await Promise.all(
      jobs.map((job) =>
        startChild(
          `race ${job.kind}`,
          process.execPath,
          [
            '--import',
            'tsx',
            join(__dirname, 'store-race.child.ts'),
            JSON.stringify({ ...job, env: env(), goFile }),
          ],
          { isReady: (output) => Promise.resolve(/^ready$/m.test(output)), readyTimeoutMs: 30_000 },
        ),
      ),
    );
    writeFileSync(goFile, 'go');
    return Promise.all(
      children.map(
        (child) =>
          new Promise<RaceResult>((resolve, reject) => {
            const finish = (code: number | null) => {
              // Its result is the last line of JSON (stderr, with the SDK's warnings, comes in the same output).
              const last =
                child
                  .output()
                  .split('\n')
                  .findLast((line) => line.startsWith('[')) ?? '';
              if (code === 0) resolve(JSON.parse(last) as RaceResult);
              else reject(new Error(`${child.name} exited with ${code}: ${child.output()}`));
            };
            if (!child.isRunning()) finish(child.process.exitCode);
            else child.process.once('exit', finish);
          }),
      ),
    );
  }

  describe('races between two processes', () => {
    it('PhotoStore.like of one photo by the same 30 users from two processes at once counts exactly 30', async () => {
      const owner = await createUser(storage());
      const fans = await createUsers(storage(), 30);
      const photo = await storage().photos.create(newPhoto(owner));
      const fanIds = fans.map((f) => f.id);
      const [a, b] = await race([
        { kind: 'like', photoId: photo.id, fanIds },
        { kind: 'like', photoId: photo.id, fanIds: [...fanIds].reverse() },
      ]);
      for (const outcome of [...a!, ...b!]) expect(outcome).toMatchObject({ liked: true });
      expect((await storage().photos.get(photo.id))?.likes).toBe(30);
      for (const fan of fans)
        expect((await storage().photos.likedBy(fan.id, [photo.id])).has(photo.id)).toBe(true);
    }, 60_000);

    it('FriendStore.create in opposite directions from two processes at once stores one row per pair, the other call Conflict', async () => {
      const people = await createUsers(storage(), 20);
      const pairs: [number, number][] = [];
      for (let i = 0; i < people.length; i += 2) pairs.push([people[i]!.id, people[i + 1]!.id]);
      const [forward, backward] = await race([
        { kind: 'friend', pairs },
        { kind: 'friend', pairs: pairs.map(([x, y]) => [y, x]) },
      ]);
      for (let i = 0; i < pairs.length; i++) {
        const [x, y] = pairs[i]!;
        expect([forward![i], backward![i]].sort(), `pair ${i}`).toEqual(['conflict', 'created']);
        const row = await storage().friends.findBetween(x, y);
        expect(row, `pair ${i}`).toMatchObject({
          requesterId: forward![i] === 'created' ? x : y,
          receiverId: forward![i] === 'created' ? y : x,
          status: 'pending',
        });
      }
    }, 60_000);
  });
}
