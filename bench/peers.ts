/**
 * Runs a peer benchmark script from `../shared/bench` with Debian's `/usr/bin/python3` and returns
 * the JSON line it prints, or `undefined` (with the reason on stderr) when the script or the
 * Python packages it needs are absent. Only benchmarks call this; tests and library code never
 * read `../shared`.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, resolve } from 'node:path';

const here = dirname(fileURLToPath(import.meta.url));
/** The repository root. */
export const repoRoot = resolve(here, '..');
/**
 * Where the shared peer scripts live: `shared/bench` beside this checkout, or beside the folder
 * that holds it (a git worktree one level deeper).
 */
export const sharedBench =
  [
    resolve(repoRoot, '..', 'shared', 'bench'),
    resolve(repoRoot, '..', '..', 'shared', 'bench'),
  ].find((p) => existsSync(p)) ?? resolve(repoRoot, '..', 'shared', 'bench');
/** The bundled test fixtures (benchmarks read the same real FITS files as the tests). */
export const fixtures = resolve(repoRoot, 'test', 'fixtures');

/**
 * Run `script` (a file name in shared/bench, or an absolute path such as a script of this
 * repository) with `args`; parse its last JSON line.
 */
export async function runPeer(
  script: string,
  args: string[],
  timeoutMs = 600_000,
): Promise<Record<string, unknown> | undefined> {
  const path = resolve(sharedBench, script);
  if (!existsSync(path)) {
    process.stderr.write(`peer ${script}: not found at ${path}; skipping the comparison\n`);
    return undefined;
  }
  if (!existsSync('/usr/bin/python3')) {
    process.stderr.write(`peer ${script}: /usr/bin/python3 missing; skipping the comparison\n`);
    return undefined;
  }
  return new Promise((done) => {
    execFile(
      '/usr/bin/python3',
      [path, ...args],
      { timeout: timeoutMs, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const why = stderr.trim().split('\n').pop() ?? err.message;
          process.stderr.write(`peer ${script} failed (${why}); skipping the comparison\n`);
          done(undefined);
          return;
        }
        const line = stdout
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('{'))
          .pop();
        done(line ? (JSON.parse(line) as Record<string, unknown>) : undefined);
      },
    );
  });
}

/** Median wall time in milliseconds of `fn` over `reps` runs after one warm-up. */
export async function medianMs(fn: () => unknown, reps = 15): Promise<number> {
  await fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

/** One row of a benchmark table: our figure, the peer's, and what the ratio means. */
export interface BenchRow {
  name: string;
  ours: number;
  peer: number | undefined;
  unit: string;
  /** `lower` when smaller is better (times), `higher` when larger is better (throughput). */
  better: 'lower' | 'higher';
}

/** Print rows as an aligned table with the ratio ours/peer (times) or peer/ours inverted so that < 1.0x is always "we are faster" for times and > 1.0x is "we are faster" for rates. */
export function printTable(title: string, rows: BenchRow[]): void {
  console.log(`\n## ${title}`);
  console.log(`${'measure'.padEnd(40)} ${'ours'.padStart(12)} ${'peer'.padStart(12)}  ratio`);
  for (const r of rows) {
    const ratio =
      r.peer === undefined || r.peer === 0 ? 'n/a (no peer)' : `${(r.ours / r.peer).toFixed(2)}x`;
    const note = r.better === 'lower' ? '(ours/peer; < 1 is faster)' : '(ours/peer; > 1 is faster)';
    console.log(
      `${`${r.name} [${r.unit}]`.padEnd(40)} ${r.ours.toFixed(3).padStart(12)} ${(r.peer === undefined ? '-' : r.peer.toFixed(3)).padStart(12)}  ${ratio} ${note}`,
    );
  }
}
