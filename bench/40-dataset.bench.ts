/**
 * Dataset preparation, beside the original pipeline (`seed_pipeline.py`) from the same run:
 * - preprocessing throughput (FITS files/s: read → crop middle → crop around max → input crop)
 *   over the fixture FITS files, 20 copies each, as the peer does, through the path `prepare`
 *   and the builders take (`buildNegativeSetFromFiles`: headers, then only the search window
 *   and the crop around the peak are read from disk); the whole-file path (`readFitsFile` then
 *   `preprocess`) for comparison, and the builder without content ids (`contentIds: false`: no
 *   SHA-256 of each file, which the peer does not compute either). Ours is the median of 7
 *   passes after 3 warm-up passes, the peer's the median of 3 runs: the machine is shared, so
 *   single passes are noisy;
 * - the positive set from 8 images (528 samples): the original's path (middle 50 %, resize to
 *   2000x2000, cubic rotation by hand-typed angles, 400 px crop around the max, 4 flips, pairwise
 *   geometric means of 400x400 crops) with our image operations, and our `buildPositiveSet`;
 * - memory: a streamed build from 500 generated 1000x1000 FITS files in a child process, whose
 *   peak RSS must stay under 1 GB (`DATASET_BENCH_FILES` changes the count).
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng } from '../src/core/random.js';
import type { Image2D } from '../src/core/image2d.js';
import { requireImage } from '../src/fits/index.js';
import { readFitsFile, writeFitsFile } from '../src/fits/index.node.js';
import {
  cropAroundMax,
  cropCenterFraction,
  flip,
  geometricMean,
  normalize,
  resize,
  rotate,
} from '../src/image/index.js';
import {
  buildPositiveSet,
  dustInWind,
  originalDustInWind,
  preprocess,
  resolveProfile,
  synthesize,
} from '../src/dataset/index.js';
import { buildNegativeSetFromFiles } from '../src/dataset/index.node.js';
import { listFitsFiles } from '../src/fits/index.node.js';
import { fixtures, printTable, runPeer } from './peers.js';

const CHILD_FLAG = '--dataset-memory-child';
const fitsDir = join(fixtures, 'fits');
/** The peer's hand-typed angles for its 8 positives. */
const ANGLES = [0, 0, -15, -15, -9, -9, -13, -13];

/** The original's positive path, step for step, with our image operations. */
function originalPositives(images: Image2D[]): Image2D[] {
  const crops = images.map((img, i) => {
    const mid = cropCenterFraction(img, { fraction: 0.5 });
    const big = resize(mid, [2000, 2000], { order: 1 });
    const turned = rotate(big, ANGLES[i], { order: 3, reshape: false });
    return cropAroundMax(turned, { size: 400, searchFraction: 1 }).image;
  });
  const pos = crops.flatMap((c) => [c, flip(c, 'lr'), flip(c, 'ud'), flip(c, 'both')]);
  const n = pos.length;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) pos.push(geometricMean(pos[i], pos[j]));
  return pos;
}

async function memoryChild(dir: string): Promise<void> {
  // RSS is sampled here: getrusage's maxRSS in a spawned child starts from the parent's
  // high-water mark on Linux, so it would report the parent bench's peak.
  let peak = process.memoryUsage.rss();
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage.rss());
  }, 5);
  const t = performance.now();
  const paths = await listFitsFiles(dir);
  const ds = await buildNegativeSetFromFiles(paths, originalDustInWind, {
    onProgress: () => {
      peak = Math.max(peak, process.memoryUsage.rss());
    },
  });
  const s = (performance.now() - t) / 1000;
  clearInterval(sampler);
  const peakMb = Math.max(peak, process.memoryUsage.rss()) / (1024 * 1024);
  console.log(
    JSON.stringify({ files: paths.length, samples: ds.shape[0], seconds: s, peakRssMb: peakMb }),
  );
}

async function memoryBench(): Promise<{
  files: number;
  samples: number;
  seconds: number;
  peakRssMb: number;
}> {
  const count = Number(process.env.DATASET_BENCH_FILES ?? 500);
  const dir = await mkdtemp(join(tmpdir(), 'alma-bench-dataset-'));
  try {
    // Ten distinct synthetic scenes, written under 500 names: memory does not care about content.
    const rng = createRng(40);
    const scenes = Array.from({ length: 10 }, (_, i) =>
      synthesize(rng.fork(), {
        kind: i % 3 === 0 ? 'wind' : 'disk',
        size: 1000,
        primaryBeam: 0.95,
      }),
    );
    for (let i = 0; i < count; i++) {
      await writeFitsFile(join(dir, `gen-${String(i).padStart(4, '0')}.fits`), scenes[i % 10]);
    }
    const out = execFileSync(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(import.meta.url), CHILD_FLAG, dir],
      { maxBuffer: 1 << 20 },
    ).toString();
    const line = out
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .pop();
    return JSON.parse(line ?? '{}');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The median of `runs` results of `fn`, after three warm-up runs: V8 takes a few hundred files
 * to compile the per-file code fully, and a build of hundreds of files runs at that speed.
 */
async function median(fn: () => Promise<number>, runs: number): Promise<number> {
  for (let i = 0; i < 3; i++) await fn();
  const all: number[] = [];
  for (let i = 0; i < runs; i++) all.push(await fn());
  all.sort((a, b) => a - b);
  return all[Math.floor(runs / 2)];
}

/** The peer run `runs` times; each of its figures is the median over the runs. */
async function peerMedian(runs: number): Promise<Record<string, unknown> | undefined> {
  const results: Record<string, unknown>[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await runPeer('seed_pipeline.py', [fitsDir]);
    if (r === undefined) return undefined;
    results.push(r);
  }
  const out: Record<string, unknown> = { ...results[0] };
  for (const [k, v] of Object.entries(out)) {
    if (typeof v !== 'number') continue;
    const vs = results.map((r) => r[k] as number).sort((a, b) => a - b);
    out[k] = vs[Math.floor(vs.length / 2)];
  }
  return out;
}

export default async function bench(): Promise<void> {
  const peer = await peerMedian(3);

  // Preprocessing throughput: the peer's 20 copies of each fixture, read from disk each time.
  const fixturePaths = await listFitsFiles(fitsDir);
  const files = Array.from({ length: 20 }, () => fixturePaths).flat();
  // Like for like with the peer: the original pipeline's recipe (originalDustInWind).
  const plain = resolveProfile({ positive: { align: 'none' } }, originalDustInWind);
  // The library's file-level path, as `prepare` runs it: the streaming builder.
  const build =
    (profile: typeof plain, minSize = 0, contentIds = true) =>
    async (): Promise<number> => {
      const t = performance.now();
      const ds = await buildNegativeSetFromFiles(files, profile, { minSize, contentIds });
      const s = (performance.now() - t) / 1000;
      if (ds.shape[0] + ds.skipped.length !== files.length) throw new Error('files went missing');
      return files.length / s;
    };
  const oursRate = await median(build(plain), 7);
  // The same without content ids (the SHA-256 of each data unit, which the label store matches,
  // computed on a second thread while the file is preprocessed): only the work the peer does.
  const oursNoIds = await median(build(plain, 0, false), 7);
  // Like for like with the peer: the original's rule (only images over 500 px), decided from
  // the headers as the peer's memmap does.
  const oursOriginalRule = await median(build(plain, 501), 7);
  const oursAligned = await median(build(originalDustInWind), 7);
  // The default profile's recipe: crops on the sky (24 beams, read from the headers), resized to
  // 64 px, signal-to-noise scaling, aligned. No peer does this.
  const oursDefault = await median(build(dustInWind), 7);
  // Every file read whole, then preprocessed: the path before window reads.
  const wholeRate = await median(async () => {
    const t = performance.now();
    for (const path of files)
      preprocess(requireImage(await readFitsFile(path)), plain, { source: path });
    return files.length / ((performance.now() - t) / 1000);
  }, 7);
  // The same without reading: what the dataset module itself costs per file.
  const decoded = await Promise.all(
    fixturePaths.map(async (p) => requireImage(await readFitsFile(p))),
  );
  const inMemoryRate = await median(async () => {
    const t = performance.now();
    for (let i = 0; i < files.length; i++) preprocess(decoded[i % decoded.length], plain);
    return files.length / ((performance.now() - t) / 1000);
  }, 7);

  // Positives from 8 images: the two fixtures larger than the crop, repeated as the peer does.
  const big: Image2D[] = [];
  for (const path of fixturePaths) {
    const img = requireImage(await readFitsFile(path));
    if (Math.min(img.shape[0], img.shape[1]) > 400)
      big.push(normalize(img, { method: 'none', nan: 0 }));
  }
  const eight = Array.from({ length: 8 }, (_, i) => big[i % big.length]);
  let t = performance.now();
  const original = originalPositives(eight);
  const originalS = (performance.now() - t) / 1000;
  const handAngles = resolveProfile(
    {
      positive: {
        align: { angles: Object.fromEntries(ANGLES.map((a, i) => [`p${i}.fits`, a])) },
        rotationOrder: 3,
      },
    },
    originalDustInWind,
  );
  const named = eight.map((image, i) => ({ image, source: `p${i}.fits` }));
  t = performance.now();
  const ours = await buildPositiveSet(named, handAngles);
  const oursS = (performance.now() - t) / 1000;
  t = performance.now();
  const oursAuto = await buildPositiveSet(named, originalDustInWind);
  const oursAutoS = (performance.now() - t) / 1000;

  const peerNum = (k: string): number | undefined =>
    typeof peer?.[k] === 'number' ? (peer[k] as number) : undefined;
  printTable('dataset: preprocessing and positive set (vs original pipeline)', [
    {
      name: `preprocess, ${files.length} files (no align)`,
      ours: oursRate,
      peer: peerNum('preprocess_files_per_s'),
      unit: 'files/s',
      better: 'higher',
    },
    {
      name: 'preprocess, as above without content ids',
      ours: oursNoIds,
      peer: peerNum('preprocess_files_per_s'),
      unit: 'files/s',
      better: 'higher',
    },
    {
      name: 'preprocess, original rule (skip <= 500 px)',
      ours: oursOriginalRule,
      peer: peerNum('preprocess_files_per_s'),
      unit: 'files/s',
      better: 'higher',
    },
    {
      name: 'preprocess after reading each file whole',
      ours: wholeRate,
      peer: peerNum('preprocess_files_per_s'),
      unit: 'files/s',
      better: 'higher',
    },
    {
      name: 'preprocess only, no FITS read',
      ours: inMemoryRate,
      peer: undefined,
      unit: 'files/s',
      better: 'higher',
    },
    {
      name: 'preprocess (principal-axis align)',
      ours: oursAligned,
      peer: peerNum('preprocess_files_per_s'),
      unit: 'files/s',
      better: 'higher',
    },
    {
      name: 'preprocess, default profile (sky crop)',
      ours: oursDefault,
      peer: undefined,
      unit: 'files/s',
      better: 'higher',
    },
    {
      name: `positives from 8, original path (${original.length})`,
      ours: originalS,
      peer: peerNum('positives_s'),
      unit: 's',
      better: 'lower',
    },
    {
      name: `buildPositiveSet, hand angles (${ours.shape[0]})`,
      ours: oursS,
      peer: peerNum('positives_s'),
      unit: 's',
      better: 'lower',
    },
    {
      name: `buildPositiveSet, auto align (${oursAuto.shape[0]})`,
      ours: oursAutoS,
      peer: peerNum('positives_s'),
      unit: 's',
      better: 'lower',
    },
  ]);
  if (peer) {
    console.log(
      `peer kept ${String(peer.kept)} of ${String(peer.files)} files (it skips images of 500 px or less); we keep all ${files.length}`,
    );
  }

  const mem = await memoryBench();
  console.log(
    `streamed build: ${mem.files} generated 1000x1000 FITS files → ${mem.samples} samples in ${mem.seconds.toFixed(1)} s ` +
      `(${(mem.files / mem.seconds).toFixed(1)} files/s), peak RSS ${mem.peakRssMb.toFixed(0)} MB ` +
      `(${mem.peakRssMb < 1024 ? 'under' : 'OVER'} the 1 GB budget)`,
  );
}

if (process.argv[2] === CHILD_FLAG) await memoryChild(process.argv[3]);
