/**
 * Streaming at scale: `classifyArchive` over generated products served by the local replay
 * server (real HTTP, real FITS, download → classify → delete). Prints throughput (products/s)
 * and peak resident memory at concurrency 1, 2, 4 and 8 over 300 products, then 3,000 products
 * at concurrency 4 with the memory sampled every 10 % of the run, which stays flat because
 * nothing accumulates per product.
 *
 * Each configuration runs in a fresh Node process (this file, re-entered in worker mode) so that
 * its peak RSS is its own. The model is a small CNN (16x16 input) so the figures measure the
 * streaming machinery, not the network; with the thesis's 100x100 network the classification
 * term grows and concurrency above the core count buys less.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DataProduct } from '../src/archive/datalink.js';

interface WorkerJob {
  products: string;
  count: number;
  out: string;
  model: string;
  concurrency: number;
}

interface WorkerResult {
  classified: number;
  seconds: number;
  perSecond: number;
  peakRssMB: number;
  /** RSS in MB after each tenth of the products. */
  rssByDecile: number[];
  peakDiskBytes: number;
}

const MB = 1024 * 1024;

async function worker(job: WorkerJob): Promise<void> {
  const { loadModel } = await import('../src/model/io.node.js');
  const { classifyArchive } = await import('../src/pipeline/classify-archive.node.js');
  const products = (JSON.parse(await readFile(job.products, 'utf8')) as DataProduct[]).slice(
    0,
    job.count,
  );
  const model = await loadModel(job.model);
  const rssByDecile: number[] = [];
  let nextDecile = 1;
  // Sampled here rather than read from getrusage's maxRSS, which a spawned child inherits from
  // its parent's high-water mark on Linux (it showed the parent bench's peak, not this run's).
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
  }, 10);
  const t = performance.now();
  const s = await classifyArchive(products, {
    model,
    out: job.out,
    concurrency: job.concurrency,
    shard: null,
    thumbnails: true,
    onProgress: (p) => {
      while (p.done >= (nextDecile * p.total) / 10 && nextDecile <= 10) {
        rssByDecile.push(process.memoryUsage.rss() / MB);
        nextDecile += 1;
      }
    },
  });
  const seconds = (performance.now() - t) / 1000;
  clearInterval(sampler);
  peakRss = Math.max(peakRss, process.memoryUsage.rss());
  const result: WorkerResult = {
    classified: s.classified,
    seconds,
    perSecond: s.classified / seconds,
    peakRssMB: peakRss / MB,
    rssByDecile,
    peakDiskBytes: s.peakDiskBytes,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function runWorker(job: WorkerJob): Promise<WorkerResult> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', self], {
      env: { ...process.env, ALMA_SCALE_WORKER: JSON.stringify(job) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => {
      const line = out
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      if (code !== 0 || !line) fail(new Error(`scale worker exited ${code}: ${out}`));
      else done(JSON.parse(line) as WorkerResult);
    });
  });
}

/** Run the scale benchmark (see the file comment). */
export default async function bench(): Promise<void> {
  const { startReplayServer } = await import('../test/helpers/replay-server.js');
  const { saveTinyModel, serveProducts } = await import('../test/helpers/products.js');
  const server = await startReplayServer();
  const dir = await mkdtemp(join(tmpdir(), 'alma-scale-bench-'));
  try {
    // 200x200 float32 images (160 KB files); 60 distinct images cycled over 3,000 URLs.
    const gen = serveProducts(server, { count: 3000, size: 200, distinct: 60, seed: 2 });
    const productsFile = join(dir, 'products.json');
    await writeFile(productsFile, JSON.stringify(gen.products));
    const model = join(dir, 'model');
    await saveTinyModel(model);

    console.log('\n## Streaming classification (classifyArchive over the local replay server)');
    console.log(`files: ${gen.fileBytes} bytes each (200x200 float32 FITS); model: 16x16 CNN`);
    console.log(
      `${'products'.padStart(8)} ${'concurrency'.padStart(11)} ${'products/s'.padStart(11)} ${'peak RSS MB'.padStart(12)} ${'peak disk KB'.padStart(13)}`,
    );
    const row = (n: number, c: number, r: WorkerResult) =>
      console.log(
        `${String(n).padStart(8)} ${String(c).padStart(11)} ${r.perSecond.toFixed(1).padStart(11)} ${r.peakRssMB.toFixed(0).padStart(12)} ${(r.peakDiskBytes / 1024).toFixed(0).padStart(13)}`,
      );
    for (const concurrency of [1, 2, 4, 8]) {
      const out = join(dir, `out-300-${concurrency}`);
      const r = await runWorker({ products: productsFile, count: 300, out, model, concurrency });
      row(300, concurrency, r);
      await rm(out, { recursive: true, force: true });
    }
    const out = join(dir, 'out-3000');
    const big = await runWorker({
      products: productsFile,
      count: 3000,
      out,
      model,
      concurrency: 4,
    });
    row(3000, 4, big);
    console.log(
      `RSS (MB) after each 10 % of the 3,000: ${big.rssByDecile.map((v) => v.toFixed(0)).join(', ')}`,
    );
  } finally {
    await server.close();
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.env.ALMA_SCALE_WORKER) {
  await worker(JSON.parse(process.env.ALMA_SCALE_WORKER) as WorkerJob);
}
