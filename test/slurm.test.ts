/**
 * A real Slurm job array: `sbatch --array=0-3` of the example script
 * `scripts/slurm/classify-archive.sbatch`, each task running the built CLI against the replay
 * server (300 generated products), then `report --merge`. Needs the one-node cluster that
 * `scripts/slurm/setup-cluster.sh` starts (CI runs it before the tests); skipped without sbatch.
 */
import { execFile, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJsonLines } from '../src/core/jsonl.node.js';
import type { RunInfo } from '../src/pipeline/merge.node.js';
import type { ProductResult } from '../src/pipeline/results.js';
import { selectShard } from '../src/pipeline/shard.js';
import { saveTinyModel, serveProducts, type GeneratedProducts } from './helpers/products.js';
import { startReplayServer, type ReplayServer } from './helpers/replay-server.js';

const run = promisify(execFile);
const repo = resolve(__dirname, '..');
const clusterUp =
  spawnSync('sbatch', ['--version']).status === 0 && spawnSync('sinfo', ['-h']).status === 0;
// CI builds dist/ before testing; a checkout without a build runs the sources through tsx.
const builtCli = join(repo, 'dist', 'cli', 'main.js');
const cli = existsSync(builtCli)
  ? [process.execPath, builtCli]
  : [process.execPath, '--import', 'tsx', join(repo, 'src', 'cli', 'main.ts')];

describe.skipIf(!clusterUp)('Slurm job array on the one-node cluster', () => {
  let server: ReplayServer;
  let gen: GeneratedProducts;
  let work: string;

  beforeAll(async () => {
    server = await startReplayServer();
    gen = serveProducts(server, { count: 300, seed: 5 });
    work = await mkdtemp(join(tmpdir(), 'alma-slurm-'));
    await saveTinyModel(join(work, 'model'));
  });

  afterAll(async () => {
    await server?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  it('sbatch --array=0-3 classifies 300 products; the merged results hold each exactly once', async () => {
    const env = {
      ...process.env,
      MODEL: join(work, 'model'),
      KEYWORD: gen.keyword,
      OUT: work,
      MIRROR: server.url,
      CONCURRENCY: '2',
      MAX_DISK: '10MB',
      ALMA_CLASSIFIER: cli.join(' '),
    };
    const { stdout } = await run(
      'sbatch',
      [
        '--parsable',
        '--array=0-3',
        '--cpus-per-task=1',
        '--mem=1G',
        '--time=10',
        `--chdir=${repo}`,
        `--output=${join(work, 'slurm-%A_%a.out')}`,
        join(repo, 'scripts', 'slurm', 'classify-archive.sbatch'),
      ],
      { env },
    );
    const jobId = stdout.trim().split(';')[0];
    expect(jobId).toMatch(/^\d+$/);

    // Wait for the array to leave the queue (pending or running tasks are listed).
    const deadline = Date.now() + 240_000;
    for (;;) {
      const q = await run('squeue', ['-h', '-j', jobId, '-o', '%i %T']);
      if (q.stdout.trim() === '') break;
      if (Date.now() > deadline) {
        await run('scancel', [jobId]).catch(() => undefined);
        throw new Error(`job ${jobId} still queued after 240 s:\n${q.stdout}`);
      }
      await new Promise((r) => setTimeout(r, 1000));
    }

    const logs = (await readdir(work)).filter((f) => f.startsWith(`slurm-${jobId}_`)).sort();
    const logText = (
      await Promise.all(logs.map(async (f) => `== ${f}\n${await readFile(join(work, f), 'utf8')}`))
    ).join('\n');
    expect(logs, logText).toHaveLength(4);

    // Each task took exactly its hash share, having read SLURM_ARRAY_TASK_ID/COUNT itself.
    const dirs: string[] = [];
    for (let index = 0; index < 4; index++) {
      const dir = join(work, `shard-${index}`);
      dirs.push(dir);
      expect(existsSync(join(dir, 'run.json')), `no ${dir}/run.json\n${logText}`).toBe(true);
      const info = JSON.parse(await readFile(join(dir, 'run.json'), 'utf8')) as RunInfo;
      expect(info.shard, logText).toEqual({ index, count: 4 });
      const rows = (await readJsonLines<ProductResult>(join(dir, 'candidates.jsonl'))).records;
      const expected = selectShard(gen.products, { index, count: 4 }).map((p) => p.url);
      expect(rows.map((r) => r.url).sort(), logText).toEqual(expected.sort());
    }

    const merged = join(work, 'merged');
    await run(cli[0], [...cli.slice(1), 'report', '--merge', ...dirs, '--out', merged], {
      cwd: repo,
    });
    const rows = (await readJsonLines<ProductResult>(join(merged, 'candidates.jsonl'))).records;
    const urls = rows.map((r) => r.url);
    expect(urls).toHaveLength(300);
    expect(new Set(urls)).toEqual(new Set(gen.products.map((p) => p.url)));
    expect(existsSync(join(merged, 'index.html'))).toBe(true);
  }, 300_000);
});
