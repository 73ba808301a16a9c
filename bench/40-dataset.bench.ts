/**
 * Dataset preparation, beside the original pipeline (`seed_pipeline.py`) from the same run:
 * - preprocessing throughput (FITS files/s: read → crop middle → crop around max → input crop)
 *   over the fixture FITS files, 20 copies each, as the peer does;
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
  preprocess,
  resolveProfile,
  synthesize,
} from '../src/dataset/index.js';
import {
  buildNegativeSetFromFiles,
  listFitsFiles,
  readSourceImages,
} from '../src/dataset/index.node.js';
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
  const ds = await buildNegativeSetFromFiles(paths, dustInWind, {
    onSource: () => {
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

export default async function bench(): Promise<void> {
  const peer = await runPeer('seed_pipeline.py', [fitsDir]);

  // Preprocessing throughput: the peer's 20 copies of each fixture, read from disk each time.
  const fixturePaths = await listFitsFiles(fitsDir);
  const files = Array.from({ length: 20 }, () => fixturePaths).flat();
  const plain = resolveProfile({ positive: { align: 'none' } });
  const rate = async (profile: typeof plain): Promise<number> => {
    const t = performance.now();
    for (const path of files)
      preprocess(requireImage(await readFitsFile(path)), profile, { source: path });
    return files.length / ((performance.now() - t) / 1000);
  };
  await rate(plain); // warm-up
  const oursRate = await rate(plain);
  const oursAligned = await rate(dustInWind);
  // Like for like with the peer: the original's rule (only images over 500 px), decided from
  // the headers as the peer's memmap does, through the streaming reader the builders use.
  const originalRule = async (): Promise<number> => {
    const t0 = performance.now();
    for await (const item of readSourceImages(files, { minSize: 501 }))
      if ('image' in item) preprocess(item.image, plain, { source: item.source });
    return files.length / ((performance.now() - t0) / 1000);
  };
  await originalRule(); // warm-up
  const oursOriginalRule = await originalRule();
  // The same without reading: what the dataset module itself costs per file.
  const decoded = await Promise.all(
    fixturePaths.map(async (p) => requireImage(await readFitsFile(p))),
  );
  let t = performance.now();
  for (let i = 0; i < files.length; i++) preprocess(decoded[i % decoded.length], plain);
  const inMemoryRate = files.length / ((performance.now() - t) / 1000);

  // Positives from 8 images: the two fixtures larger than the crop, repeated as the peer does.
  const big: Image2D[] = [];
  for (const path of fixturePaths) {
    const img = requireImage(await readFitsFile(path));
    if (Math.min(img.shape[0], img.shape[1]) > 400)
      big.push(normalize(img, { method: 'none', nan: 0 }));
  }
  const eight = Array.from({ length: 8 }, (_, i) => big[i % big.length]);
  t = performance.now();
  const original = originalPositives(eight);
  const originalS = (performance.now() - t) / 1000;
  const handAngles = resolveProfile({
    positive: {
      align: { angles: Object.fromEntries(ANGLES.map((a, i) => [`p${i}.fits`, a])) },
      rotationOrder: 3,
    },
  });
  const named = eight.map((image, i) => ({ image, source: `p${i}.fits` }));
  t = performance.now();
  const ours = await buildPositiveSet(named, handAngles);
  const oursS = (performance.now() - t) / 1000;
  t = performance.now();
  const oursAuto = await buildPositiveSet(named, dustInWind);
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
      name: 'preprocess, original rule (skip <= 500 px)',
      ours: oursOriginalRule,
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
