import type { Pingable } from '../ports';

export interface Readiness {
  ready: boolean;
  checks: { name: string; ok: boolean; error?: string }[];
}

export class HealthService {
  constructor(private readonly stores: { name: string; check: Pingable }[]) {}

  /** Pings every backing store at once; each failure is named. */
  async readiness(): Promise<Readiness> {
    const checks = await Promise.all(
      this.stores.map(async ({ name, check }) => {
        try {
          await check.ping();
          return { name, ok: true };
        } catch (err) {
          return { name, ok: false, error: err instanceof Error ? err.message : String(err) };
        }
      }),
    );
    return { ready: checks.every((c) => c.ok), checks };
  }
}
