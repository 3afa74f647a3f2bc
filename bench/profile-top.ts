/**
 * `npx tsx bench/profile-top.ts <file.cpuprofile> [count]`: the functions that spent the most
 * CPU themselves (self time), and the packages that did, in a V8 CPU profile such as the ones
 * `BENCH_CPU_PROF=1 npm run bench` writes per PM2 worker into bench/results/profiles.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, rawCount] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx bench/profile-top.ts <file.cpuprofile> [count]\n');
  process.exit(2);
}
const count = Number(rawCount ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

/** Microseconds of samples per node id. */
const self = new Map<number, number>();
profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...self.values()].reduce((a, b) => a + b, 0);

/** `@aws-sdk/client-dynamodb`, `mysql2`, `node:internal`, or `lumina` for our own code. */
function packageOf(url: string): string {
  if (url === '') return '(native or V8)';
  if (url.startsWith('node:')) return 'node';
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (match) return match[1]!;
  return url.includes('/dist/') || url.includes('/src/') ? 'lumina' : url;
}

const functions = new Map<string, number>();
const packages = new Map<string, number>();
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = byId.get(id)!.callFrame;
  const where = url ? `${url.replace(/^.*node_modules\//, '')}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  functions.set(key, (functions.get(key) ?? 0) + us);
  const pkg = packageOf(url);
  packages.set(pkg, (packages.get(pkg) ?? 0) + us);
}

const share = (us: number) =>
  `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms`;
const top = (map: Map<string, number>, n: number) =>
  [...map.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, us]) => `${share(us)}  ${key}`)
    .join('\n');

process.stdout.write(`${file}: ${(total / 1000).toFixed(0)} ms sampled\n\nby package (self time)\n`);
process.stdout.write(`${top(packages, 25)}\n\nby function (self time)\n${top(functions, count)}\n`);
