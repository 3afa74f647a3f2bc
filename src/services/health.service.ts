import type { Pingable } from '../ports';

export interface Readiness {
  ready: boolean;
  /** Names and results only: driver messages stay in the log, not in an unauthenticated answer. */
  checks: { name: string; ok: boolean }[];
  failures: { name: string; error: unknown }[];
}

export class HealthService {
  constructor(private readonly stores: { name: string; check: Pingable }[]) {}

  /** Pings every backing store at once; each failure is named. */
  async readiness(): Promise<Readiness> {
    const results = await Promise.all(
      this.stores.map(async ({ name, check }) => {
        try {
          await check.ping();
          return { name, ok: true, error: undefined };
        } catch (error) {
          return { name, ok: false, error };
        }
      }),
    );
    return {
      ready: results.every((r) => r.ok),
      checks: results.map(({ name, ok }) => ({ name, ok })),
      failures: results.filter((r) => !r.ok).map(({ name, error }) => ({ name, error })),
    };
  }
}
