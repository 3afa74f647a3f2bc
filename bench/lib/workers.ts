import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * CPU time and resident memory of the PM2 workers, read from Linux's /proc, so the figures are
 * the workers' own (not the load generator's, not the stand-ins').
 */

/** Clock ticks per second of /proc/<pid>/stat's utime and stime (100 on every usual Linux). */
const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** User and system (kernel) CPU the process has used so far, in milliseconds. */
export function cpuMsOf(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ms = (ticks: string | undefined) => (Number(ticks) * 1000) / TICKS_PER_SECOND;
  return { user: ms(fields[11]), system: ms(fields[12]) };
}

/** Resident set size in MiB (VmRSS), or NaN when the process is gone. */
export function rssMiBOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export interface WorkerUsage {
  /** CPU of all the workers together over the watched span, in milliseconds. */
  cpuMs: number;
  /** The part of cpuMs spent in the kernel (sockets, files) on the workers' behalf. */
  systemMs: number;
  /** The highest RSS seen per worker (sampled every `intervalMs`), in MiB, in pid order. */
  peakRssMiB: number[];
}

/** Watches the workers from start() to stop(): CPU used in between, and peak RSS by sampling. */
export class WorkerWatch {
  private readonly startCpu: { user: number; system: number };
  private readonly peaks: number[];
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pids: number[],
    intervalMs = 200,
  ) {
    this.startCpu = this.totalCpu();
    this.peaks = pids.map((pid) => rssMiBOf(pid));
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  stop(): WorkerUsage {
    clearInterval(this.timer);
    this.sample();
    const end = this.totalCpu();
    const user = end.user - this.startCpu.user;
    const system = end.system - this.startCpu.system;
    return { cpuMs: user + system, systemMs: system, peakRssMiB: [...this.peaks] };
  }

  private totalCpu(): { user: number; system: number } {
    const all = this.pids.map(cpuMsOf);
    return {
      user: all.reduce((sum, cpu) => sum + cpu.user, 0),
      system: all.reduce((sum, cpu) => sum + cpu.system, 0),
    };
  }

  private sample(): void {
    this.pids.forEach((pid, i) => {
      const rss = rssMiBOf(pid);
      const peak = this.peaks[i]!;
      if (rss > peak || Number.isNaN(peak)) this.peaks[i] = rss;
    });
  }
}
