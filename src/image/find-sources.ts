import type { Image2D } from '../core/image2d.js';
import {
  assertImage,
  assertInteger,
  assertNumber,
  assertOneOf,
  finitePixels,
  medianInPlace,
  rowMajor,
} from './internal.js';
import { MAD_TO_STD } from './robust-std.js';

/** One connected object found by {@link findSources}. */
export interface Source {
  /** `[row, col]` of the brightest pixel. */
  peak: [row: number, col: number];
  /** Value of the brightest pixel, in image units (Jy/beam for ALMA images). */
  peakValue: number;
  /** Background-subtracted, value-weighted mean `[row, col]` (sub-pixel). */
  centroid: [row: number, col: number];
  /** Inclusive pixel bounds of the object. */
  bbox: {
    /** First row. */
    rowMin: number;
    /** Last row. */
    rowMax: number;
    /** First column. */
    colMin: number;
    /** Last column. */
    colMax: number;
  };
  /** Number of pixels in the object. */
  pixels: number;
  /**
   * Sum of `value - background` over the object's pixels, in image units times pixels
   * (Jy/beam · pixel; divide by the beam area in pixels for Jy).
   */
  flux: number;
}

/** Options of {@link findSources}. */
export interface FindSourcesOptions {
  /**
   * Detection level in robust standard deviations above the background: a pixel belongs to a
   * source when `value > median + threshold * 1.4826 * MAD`. Default 5.
   */
  threshold?: number;
  /** Objects with fewer pixels are dropped as noise. Default 5. */
  minPixels?: number;
  /** 4 (edge neighbours) or 8 (edge and corner neighbours) connectivity. Default 8. */
  connectivity?: 4 | 8;
}

/** Defaults of {@link FindSourcesOptions}. */
export const DEFAULT_FIND_SOURCES_OPTIONS: Required<FindSourcesOptions> = {
  threshold: 5,
  minPixels: 5,
  connectivity: 8,
};

/**
 * Every object above the detection level, as connected components of the thresholded image
 * (flood fill), brightest peak first; so an image with several objects is not reduced to its
 * brightest one. Background and noise are the median and the MAD-based standard deviation of
 * the finite pixels (see {@link robustStd}).
 *
 * NaN: NaN pixels are never part of a source and separate the objects they lie between.
 *
 * @param img - the image, `[rows, cols]`
 * @param opts - see {@link FindSourcesOptions}
 * @returns the sources, sorted by `peakValue`, descending (ties by position)
 * @throws RangeError on invalid options
 */
export function findSources(img: Image2D, opts: FindSourcesOptions = {}): Source[] {
  const fn = 'findSources';
  assertImage(img, fn);
  const { threshold, minPixels, connectivity } = { ...DEFAULT_FIND_SOURCES_OPTIONS, ...opts };
  assertNumber(threshold, fn, 'threshold');
  assertInteger(minPixels, fn, 'minPixels', 1);
  assertOneOf(connectivity, [4, 8] as const, fn, 'connectivity');
  const finite = finitePixels(img);
  if (finite.length === 0) return [];
  const background = medianInPlace(finite);
  for (let i = 0; i < finite.length; i++) finite[i] = Math.abs(finite[i] - background);
  const sigma = MAD_TO_STD * medianInPlace(finite);
  const level = background + threshold * sigma;
  const [R, C] = img.shape as [number, number];
  const { data, offset } = rowMajor(img);
  const above = new Uint8Array(R * C);
  for (let i = 0; i < above.length; i++) above[i] = data[offset + i] > level ? 1 : 0;
  const sources: Source[] = [];
  const stack = new Int32Array(R * C);
  for (let seed = 0; seed < above.length; seed++) {
    if (above[seed] !== 1) continue;
    const pixels = floodFill(above, R, C, seed, connectivity, stack);
    if (pixels.length < minPixels) continue;
    sources.push(describe(pixels, data, offset, C, background));
  }
  sources.sort(
    (a, b) => b.peakValue - a.peakValue || a.peak[0] - b.peak[0] || a.peak[1] - b.peak[1],
  );
  return sources;
}

/**
 * The indices of the connected region of `mask === 1` that contains `seed`, marking them 2.
 * Shared with {@link principalAngle}.
 *
 * @internal
 */
export function floodFill(
  mask: Uint8Array,
  R: number,
  C: number,
  seed: number,
  connectivity: 4 | 8,
  stack: Int32Array,
): Int32Array {
  let top = 0;
  const members: number[] = [];
  mask[seed] = 2;
  stack[top++] = seed;
  while (top > 0) {
    const p = stack[--top];
    members.push(p);
    const r = (p / C) | 0;
    const c = p - r * C;
    for (let dr = -1; dr <= 1; dr++) {
      const rr = r + dr;
      if (rr < 0 || rr >= R) continue;
      for (let dc = -1; dc <= 1; dc++) {
        if ((dr === 0 && dc === 0) || (connectivity === 4 && dr !== 0 && dc !== 0)) continue;
        const cc = c + dc;
        if (cc < 0 || cc >= C) continue;
        const q = rr * C + cc;
        if (mask[q] === 1) {
          mask[q] = 2;
          stack[top++] = q;
        }
      }
    }
  }
  return Int32Array.from(members);
}

function describe(
  pixels: Int32Array,
  data: ArrayLike<number>,
  offset: number,
  C: number,
  background: number,
): Source {
  let peakIndex = pixels[0];
  let peakValue = -Infinity;
  let flux = 0;
  let sr = 0;
  let sc = 0;
  let rowMin = Infinity;
  let rowMax = -Infinity;
  let colMin = Infinity;
  let colMax = -Infinity;
  for (let k = 0; k < pixels.length; k++) {
    const p = pixels[k];
    const v = data[offset + p];
    const r = (p / C) | 0;
    const c = p - r * C;
    if (v > peakValue || (v === peakValue && p < peakIndex)) {
      peakValue = v;
      peakIndex = p;
    }
    const w = v - background;
    flux += w;
    sr += w * r;
    sc += w * c;
    if (r < rowMin) rowMin = r;
    if (r > rowMax) rowMax = r;
    if (c < colMin) colMin = c;
    if (c > colMax) colMax = c;
  }
  const pr = (peakIndex / C) | 0;
  return {
    peak: [pr, peakIndex - pr * C],
    peakValue,
    centroid: flux > 0 ? [sr / flux, sc / flux] : [pr, peakIndex - pr * C],
    bbox: { rowMin, rowMax, colMin, colMax },
    pixels: pixels.length,
    flux,
  };
}
