import { afterAll, describe, expect, inject, it } from 'vitest';
import { LONG, LONG_AWS, runLoad, SHORT } from '../support/load';
import { startAwsSite, startEmbeddedSite, type LoadSite } from '../support/load-site';

/**
 * The load-and-fault suite: simulated members against PM2's two workers on each backend (on aws
 * two instances behind a round-robin proxy), while stores fail for a few seconds and PM2 reloads.
 * `npm test` runs the short form; `npm run test:load` the long one (LUMINA_LOAD=long).
 */
const isLong = process.env.LUMINA_LOAD === 'long';

describe.each(['embedded', 'aws'] as const)('load and faults on the %s backend', (backend) => {
  const profile = isLong ? (backend === 'aws' ? LONG_AWS : LONG) : SHORT;
  let site: LoadSite | undefined;
  afterAll(async () => {
    await site?.stop();
  }, 120_000);

  it(
    'answers no 500, loses no acknowledged write, leaves no orphan, and delivers every message once',
    async () => {
      site = backend === 'embedded' ? await startEmbeddedSite() : await startAwsSite(inject('awsEnv'));
      const report = await runLoad(site, profile);
      console.log(
        `${report.table}\n${report.problems.length} problems${report.problems.map((p) => `\n  - ${p}`).join('')}`,
      );
      // The faults really bit: some requests were refused while a store was down...
      expect(report.samples.some((s) => s.status === 503)).toBe(true);
      // ...and the load really wrote.
      expect(report.acknowledged.photos).toBeGreaterThan(0);
      expect(report.acknowledged.comments).toBeGreaterThan(0);
      expect(report.acknowledged.messages).toBeGreaterThan(0);
      expect(report.problems).toEqual([]);
      expect(report.found).toEqual(report.acknowledged);
    },
    profile.durationMs + 240_000,
  );
});
