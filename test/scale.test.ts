import { spawn } from 'node:child_process';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DataProduct } from '../src/archive/datalink.js';
import { main } from '../src/cli/main.js';
import { loadModel } from '../src/model/io.node.js';
import { classifyArchive } from '../src/pipeline/classify-archive.node.js';
import { readJsonLines } from '../src/core/jsonl.node.js';
import type { JournalEntry } from '../src/pipeline/journal.node.js';
import { mergeResults } from '../src/pipeline/merge.node.js';
import type { ProductResult } from '../src/pipeline/results.js';
import { selectShard } from '../src/pipeline/shard.js';
import type { LoadedModel } from '../src/model/io.js';
import { resolveProfile } from '../src/dataset/profile.js';
import {
  saveTinyModel,
  scaleTestProfile,
  serveProducts,
  type GeneratedProducts,
} from './helpers/products.js';
import { startReplayServer, type ReplayServer } from './helpers/replay-server.js';

const repo = resolve(__dirname, '..');
let server: ReplayServer;
let gen: GeneratedProducts;
let tmp: string;
let modelDir: string;
let model: LoadedModel;

beforeAll(async () => {
  server = await startReplayServer();
  gen = serveProducts(server, { count: 300, seed: 11 });
  tmp = await mkdtemp(join(tmpdir(), 'alma-scale-'));
  modelDir = join(tmp, 'model');
  await saveTinyModel(modelDir);
  model = await loadModel(modelDir);
});

afterAll(async () => {
  await server?.close();
  await rm(tmp, { recursive: true, force: true });
});

async function results(out: string): Promise<ProductResult[]> {
  return (await readJsonLines<ProductResult>(join(out, 'candidates.jsonl'))).records;
}

/** Every file below `dir` whose name says FITS (complete or partial). */
/**
 * Downloaded FITS files (and their `.part`s) left anywhere under `dir`. The sky crops that a run
 * keeps for its positives (`thumbs/*-sky.fits`, a few kB each, for the report) are not downloads.
 */
async function fitsBelow(dir: string): Promise<string[]> {
  const found: string[] = [];
  const walk = async (d: string) => {
    for (const e of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      if (e.isDirectory()) await walk(join(d, e.name));
      else if (/\.fits(\.part)?$/i.test(e.name) && !/^thumbs$/.test(basename(d))) {
        found.push(join(d, e.name));
      } else if (/\.fits$/i.test(e.name) && !e.name.endsWith('-sky.fits')) {
        found.push(join(d, e.name));
      }
    }
  };
  await walk(dir);
  return found;
}

function expectEachOnce(rows: { url: string }[], products: readonly DataProduct[]): void {
  const urls = rows.map((r) => r.url);
  expect(new Set(urls).size).toBe(urls.length);
  expect(new Set(urls)).toEqual(new Set(products.map((p) => p.url)));
}

const fastHttp = { retries: 1, backoffMs: 10, timeoutMs: 10_000 };
const fast = { archive: fastHttp };

describe('classifyArchive against the replay server', () => {
  it('4 shards of a search partition the products exactly and merge to each product once', async () => {
    const some = gen.products.slice(0, 120);
    const outs: string[] = [];
    for (let index = 0; index < 4; index++) {
      const out = join(tmp, `part-${index}`);
      outs.push(out);
      const s = await classifyArchive(some, { model, out, shard: { index, count: 4 }, ...fast });
      const mine = selectShard(some, { index, count: 4 });
      expect(s.total).toBe(mine.length);
      expect(s.classified).toBe(mine.length);
      expectEachOnce(await results(out), mine);
    }
    const merged = await mergeResults(outs);
    expectEachOnce(merged.results, some);
    expect(merged.duplicates).toBe(0);
    expect(merged.warnings).toEqual([]);
    const scores = merged.results.map((r) => r.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('a search by keyword streams every product, deletes each file, and records archive metadata', async () => {
    const out = join(tmp, 'search');
    const s = await classifyArchive(
      { scienceKeyword: gen.keyword },
      // The 0.1 option names (archiveOptions, retries, backoffMs, timeoutMs) still work.
      {
        model,
        out,
        archiveOptions: { mirror: server.url },
        shard: null,
        concurrency: 8,
        ...fastHttp,
      },
    );
    expect(s.listed).toBe(300);
    expect(s.complete).toBe(true);
    const rows = await results(out);
    expectEachOnce(rows, gen.products);
    expect(await fitsBelow(out)).toEqual([]);
    const byUrl = new Map(gen.products.map((p) => [p.url, p]));
    for (const r of rows) {
      const p = byUrl.get(r.url)!;
      expect(r.file).toBe(p.fileName);
      expect(r.product.memberOus).toBe(p.memberOus);
      expect(r.product.projectCode).toMatch(/^2018\.1\.\d{5}\.S$/);
      expect(r.sources.length).toBeGreaterThan(0);
      expect(r.score).toBe(r.sources[0].score);
      expect(r.positive).toBe(r.score >= 0.5);
    }
    // Thumbnails exist for positives, and only for them.
    const positives = rows.filter((r) => r.positive);
    expect(s.positives).toBe(positives.length);
    for (const r of rows) expect(Boolean(r.thumbnail)).toBe(r.positive);
    for (const r of positives)
      expect((await stat(join(out, r.thumbnail!))).size).toBeGreaterThan(0);
    // The catalogues beside candidates.jsonl list every scored source of every product.
    expect(s.catalogues.csv).toBe(join(out, 'candidates.csv'));
    const csv = (await readFile(s.catalogues.csv, 'utf8')).trimEnd().split('\r\n');
    expect(csv).toHaveLength(1 + rows.reduce((n, r) => n + r.sources.length, 0));
    for (const path of [s.catalogues.votable, s.catalogues.ds9, s.catalogues.crtf]) {
      expect((await stat(path)).size).toBeGreaterThan(0);
    }
  });

  it('carries the flag of inputs unlike the training inputs into candidates.jsonl and the catalogues', async () => {
    const out = join(tmp, 'outside');
    // A model whose training inputs were all far fainter than anything here: every source is
    // flagged brighter.
    const flagged = {
      model: model.model,
      meta: {
        ...model.meta,
        trainingInputs: { count: 1, min: -100, p01: -100, median: -100, p99: -100, max: -100 },
      },
    };
    await classifyArchive(gen.products.slice(280, 284), {
      model: flagged,
      out,
      shard: null,
      ...fast,
    });
    const rows = await results(out);
    expect(rows.length).toBe(4);
    for (const r of rows) for (const src of r.sources) expect(src.outsideTraining).toBe('brighter');
    const csv = (await readFile(join(out, 'candidates.csv'), 'utf8')).trimEnd().split('\r\n');
    // The last column.
    expect(csv[0].endsWith(',outside_training')).toBe(true);
    expect(csv.length).toBeGreaterThan(1);
    expect(csv.slice(1).every((line) => line.endsWith(',brighter'))).toBe(true);
  });

  it('keepFiles keeps every downloaded FITS file', async () => {
    const some = gen.products.slice(0, 12);
    const out = join(tmp, 'keep');
    await classifyArchive(some, { model, out, keepFiles: true, shard: null, ...fast });
    expect((await fitsBelow(out)).filter((f) => f.endsWith('.fits'))).toHaveLength(12);
  });

  it('never holds more than maxDiskBytes of downloads, and fails a product larger than the budget unfetched', async () => {
    const some = gen.products.slice(0, 40);
    const big: DataProduct = { ...gen.products[40], sizeBytes: 10 * gen.fileBytes };
    const out = join(tmp, 'budget');
    const before = server.hits(new URL(big.url).pathname).length;
    const s = await classifyArchive([...some, big], {
      model,
      out,
      concurrency: 8,
      maxDiskBytes: 2 * gen.fileBytes,
      shard: null,
      ...fast,
    });
    expect(s.peakDiskBytes).toBeLessThanOrEqual(2 * gen.fileBytes);
    expect(s.peakDiskBytes).toBeGreaterThan(0);
    expect(s.classified).toBe(40);
    expect(s.failed.map((f) => f.url)).toEqual([big.url]);
    expect(s.failed[0].error).toMatch(/exceed maxDiskBytes/);
    expect(server.hits(new URL(big.url).pathname).length).toBe(before);
  });

  it('journals a failed product as failed and classifies it in the next run, once', async () => {
    const some = gen.products.slice(50, 60);
    const broken = some[3];
    server.fault(broken.fileName, { kind: 'status', status: 404 });
    const out = join(tmp, 'retry');
    const first = await classifyArchive(some, { model, out, shard: null, ...fast });
    expect(first.failed.map((f) => f.url)).toEqual([broken.url]);
    expect(first.failed[0].error).toMatch(/404/);
    expect(first.complete).toBe(false);
    const journal = (await readJsonLines<JournalEntry>(join(out, 'journal.jsonl'))).records;
    expect(journal.find((e) => e.url === broken.url)?.status).toBe('failed');
    const second = await classifyArchive(some, { model, out, shard: null, ...fast });
    expect(second.skipped).toBe(9);
    expect(second.classified).toBe(1);
    expect(second.complete).toBe(true);
    expectEachOnce(await results(out), some);
  });

  it('stops when the first 10 downloaded products all fail to classify (a wrong profile)', async () => {
    // 48 px images cannot give a 64 px crop, and this profile refuses to pad.
    const profile = resolveProfile({
      ...scaleTestProfile,
      preprocess: { ...scaleTestProfile.preprocess, cropSize: 64, pad: 'skip' },
    });
    await expect(
      classifyArchive(gen.products.slice(200, 240), {
        model,
        out: join(tmp, 'wrong-profile'),
        profile,
        concurrency: 2,
        shard: null,
        ...fast,
      }),
    ).rejects.toThrow(
      /first 1\d downloaded products all failed to classify.*First error: .*pbcor\.fits/,
    );
  });

  it('refuses to resume a directory with another shard (a lone resubmitted array task)', async () => {
    const some = gen.products.slice(60, 80);
    const out = join(tmp, 'reshard');
    await classifyArchive(some, { model, out, shard: { index: 1, count: 4 }, ...fast });
    await expect(
      classifyArchive(some, { model, out, shard: { index: 0, count: 1 }, ...fast }),
    ).rejects.toThrow(/shard 1\/4, but this run is unsharded; pass --shard 1\/4/);
    const again = await classifyArchive(some, {
      model,
      out,
      shard: { index: 1, count: 4 },
      ...fast,
    });
    expect(again.classified).toBe(0);
    expect(again.skipped).toBe(again.total);
  });

  it('stops gracefully on abort and the next run finishes the rest', async () => {
    const some = gen.products.slice(100, 160);
    const out = join(tmp, 'abort');
    const stop = new AbortController();
    const first = await classifyArchive(some, {
      model,
      out,
      shard: null,
      concurrency: 2,
      signal: stop.signal,
      onProgress: (p) => p.classified >= 10 && stop.abort(),
      ...fast,
    });
    expect(first.aborted).toBe(true);
    expect(first.classified).toBeGreaterThanOrEqual(10);
    expect(first.classified).toBeLessThan(60);
    expect(await fitsBelow(out)).toEqual([]);
    const second = await classifyArchive(some, { model, out, shard: null, ...fast });
    expect(second.skipped).toBe(first.classified);
    expect(second.skipped + second.classified).toBe(60);
    expectEachOnce(await results(out), some);
  });
});

describe('classify-archive CLI', () => {
  function cli(args: string[]): { done: Promise<number>; kill: () => void; stderr: () => string } {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(repo, 'src/cli/main.ts'), ...args],
      {
        cwd: repo,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.resume();
    const done = new Promise<number>((r) =>
      child.on('exit', (code, signal) => r(code ?? (signal ? -1 : 0))),
    );
    return { done, kill: () => child.kill('SIGKILL'), stderr: () => err };
  }

  it('a run SIGKILLed mid-way and restarted ends with every product once and no FITS on disk', async () => {
    const out = join(tmp, 'killed');
    const args = [
      'classify-archive',
      '--keyword',
      gen.keyword,
      '--mirror',
      server.url,
      '--model',
      modelDir,
      '--out',
      out,
      '--concurrency',
      '4',
      '--no-progress',
    ];
    // One product at a time, so the kill surely lands with most of the 300 still to do.
    const first = cli(args.map((a, i) => (args[i - 1] === '--concurrency' ? '1' : a)));
    // Kill once a few products are journaled, while most are still to do.
    const deadline = Date.now() + 60_000;
    let doneBefore = 0;
    while (Date.now() < deadline) {
      doneBefore = (await readJsonLines(join(out, 'journal.jsonl')).catch(() => ({ records: [] })))
        .records.length;
      if (doneBefore >= 20) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    first.kill();
    expect(await first.done).toBe(-1);
    const afterKill = await results(out);
    expect(afterKill.length).toBeGreaterThanOrEqual(20);
    expect(afterKill.length).toBeLessThan(300);

    // A kill between the result line and its journal line, and a torn last line: both dropped.
    const stray: ProductResult = { ...afterKill[0], url: `${server.url}/files/not-journaled.fits` };
    await appendFile(join(out, 'candidates.jsonl'), `${JSON.stringify(stray)}\n{"url":"torn`);

    const second = cli(args);
    expect(await second.done, second.stderr()).toBe(0);
    const rows = await results(out);
    expectEachOnce(rows, gen.products);
    expect(rows.length).toBe(300);
    expect(await fitsBelow(out)).toEqual([]);
    const journal = (await readJsonLines<JournalEntry>(join(out, 'journal.jsonl'))).records;
    expect(new Set(journal.filter((e) => e.status === 'done').map((e) => e.url)).size).toBe(300);

    // report --merge writes the merged lists and the HTML page.
    const merged = join(tmp, 'merged-report');
    const code = await main(['node', 'alma-classifier', 'report', '--merge', out, '--out', merged]);
    expect(code).toBe(0);
    expect(
      (await readJsonLines<ProductResult>(join(merged, 'candidates.jsonl'))).records,
    ).toHaveLength(300);
    const json = JSON.parse(
      await readFile(join(merged, 'candidates.json'), 'utf8'),
    ) as ProductResult[];
    expect(json.map((r) => r.url)).toEqual(
      rows
        .map((r) => r.url)
        .sort((a, b) => {
          const ra = rows.find((r) => r.url === a)!.score;
          const rb = rows.find((r) => r.url === b)!.score;
          return rb - ra || (a < b ? -1 : 1);
        }),
    );
    const html = await readFile(join(merged, 'index.html'), 'utf8');
    expect(html).toContain(json[0].file);
  }, 120_000);

  it('--from a products file with --shard classifies exactly that share', async () => {
    const some = gen.products.slice(160, 200);
    const from = join(tmp, 'products.json');
    await writeFile(from, JSON.stringify({ products: some }));
    const out = join(tmp, 'from-file');
    const code = await main([
      'node',
      'alma-classifier',
      'classify-archive',
      '--from',
      from,
      '--model',
      modelDir,
      '--out',
      out,
      '--shard',
      '1/2',
      '--no-progress',
      '--json',
    ]);
    expect(code).toBe(0);
    expectEachOnce(await results(out), selectShard(some, { index: 1, count: 2 }));
  });

  it('rejects a malformed --shard with a message and exit code 1', async () => {
    const code = await main([
      'node',
      'alma-classifier',
      'classify-archive',
      '--keyword',
      gen.keyword,
      '--mirror',
      server.url,
      '--model',
      modelDir,
      '--out',
      join(tmp, 'bad-shard'),
      '--shard',
      '4/4',
    ]);
    expect(code).toBe(1);
  });
});
