/**
 * A small two-class dataset for training tests: round blobs (label 0) and bars (label 1) at a
 * random angle, one sample per source, with noise. Seeded: the same arguments give the same
 * images, whatever else a test draws.
 */
import { createImage2D } from '../../src/core/image2d.js';
import { createRng } from '../../src/core/random.js';
import { DatasetBuilder, type Dataset } from '../../src/dataset/index.js';

/** Options of {@link blobsAndBars}. */
export interface BlobsAndBarsOptions {
  /** Side of the images, pixels. Default 20. */
  size?: number;
  /** The centre moves uniformly by up to this many pixels along each axis. Default 3; 0 keeps it at the middle. */
  jitter?: number;
  /** Peak drawn uniformly in [min, max]; default a peak of 1. */
  amplitude?: [number, number];
  /** Standard deviation of the Gaussian noise. Default 0.08. */
  noise?: number;
  /** Draw nothing (every pixel 0): a dataset a model cannot learn from. */
  flat?: boolean;
}

/** `n` blobs and bars (alternating, bars at odd indices), sources named `src-<seed>-<i>.fits`. */
export function blobsAndBars(n: number, seed: number, o: BlobsAndBarsOptions = {}): Dataset {
  const size = o.size ?? 20;
  const jitter = o.jitter ?? 3;
  const noise = o.noise ?? 0.08;
  const mid = size / 2;
  const r = createRng(seed);
  const b = new DatasetBuilder(size, ['negative', 'positive']);
  for (let i = 0; i < n; i++) {
    const bar = i % 2 === 1;
    const px = new Float32Array(size * size);
    const cy = jitter > 0 ? mid - jitter + r.next() * 2 * jitter : mid;
    const cx = jitter > 0 ? mid - jitter + r.next() * 2 * jitter : mid;
    const a = r.next() * Math.PI;
    const amp = o.amplitude ? o.amplitude[0] + (o.amplitude[1] - o.amplitude[0]) * r.next() : 1;
    const [s1, s2] = bar ? [4, 1.2] : [2.2, 2.2];
    for (let y = 0; y < size; y++)
      for (let x = 0; x < size; x++) {
        const u = (x - cx) * Math.cos(a) + (y - cy) * Math.sin(a);
        const v = -(x - cx) * Math.sin(a) + (y - cy) * Math.cos(a);
        px[y * size + x] = o.flat
          ? 0
          : amp * Math.exp(-0.5 * ((u / s1) ** 2 + (v / s2) ** 2)) + noise * r.normal();
      }
    const source = `src-${seed}-${i}.fits`;
    b.add(createImage2D(size, size, px), {
      id: source,
      label: bar ? 1 : 0,
      source,
      sources: [source],
      transforms: [],
    });
  }
  return b.build();
}
