import type { Image2D } from '../core/image2d.js';

/**
 * NaN-aware statistics of an image or a cube, computed in float64 as numpy's `nanmin`,
 * `nanmax`, `nanmean`, `nansum` and `unravel_index(nanargmax(data), data.shape)`: `null` where
 * there is no finite pixel. `shape` and `nanArgMax` are in numpy order.
 */
export interface ImageStatistics {
  /** Shape, numpy order (`[rows, cols]`, or the cube's `[stokes, channel, rows, cols]`). */
  shape: number[];
  /** Number of NaN pixels. */
  nanCount: number;
  /** Smallest value that is not NaN. */
  nanMin: number | null;
  /** Largest value that is not NaN. */
  nanMax: number | null;
  /** Mean of the values that are not NaN. */
  nanMean: number | null;
  /** Sum of the values that are not NaN (0 when there are none, as numpy). */
  nanSum: number;
  /** Index of the first largest value in C order, numpy order; null without finite pixels. */
  nanArgMax: number[] | null;
}

/** The statistics of one plane of a cube: its indices, outermost first, and its statistics. */
export interface PlaneStatistics extends ImageStatistics {
  /** Index of the plane on each axis beyond the second, outermost first (numpy order). */
  plane: number[];
}

/**
 * {@link ImageStatistics} of an image, in one pass.
 *
 * @param img - the image, `[rows, cols]`, any strides
 */
export function imageStatistics(img: Image2D): ImageStatistics {
  const [rows, cols] = img.shape as [number, number];
  let nanCount = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let arg: [number, number] | null = null;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = img.get(r, c);
      if (Number.isNaN(v)) {
        nanCount++;
        continue;
      }
      sum += v;
      if (v < min) min = v;
      if (v > max) {
        max = v;
        arg = [r, c];
      }
    }
  }
  const finite = rows * cols - nanCount;
  return {
    shape: [rows, cols],
    nanCount,
    nanMin: finite > 0 ? min : null,
    nanMax: finite > 0 ? max : null,
    nanMean: finite > 0 ? sum / finite : null,
    nanSum: sum,
    nanArgMax: arg,
  };
}

/**
 * The statistics of a whole cube of `shape` from those of its planes (read one at a time, so a
 * cube of any size is summarised in the memory of one plane): the argmax is numpy's
 * `unravel_index(nanargmax(data), data.shape)`, the first maximum in C order.
 *
 * @param planes - every plane's statistics, in C order of their indices
 * @param shape - the cube's shape, numpy order
 */
export function cubeStatistics(
  planes: readonly PlaneStatistics[],
  shape: number[],
): ImageStatistics {
  let best: PlaneStatistics | undefined;
  let nanCount = 0;
  let nanSum = 0;
  let nanMin: number | null = null;
  for (const p of planes) {
    nanCount += p.nanCount;
    nanSum += p.nanSum;
    if (p.nanMin !== null && (nanMin === null || p.nanMin < nanMin)) nanMin = p.nanMin;
    if (p.nanMax !== null && (best === undefined || p.nanMax > (best.nanMax as number))) best = p;
  }
  const finite = shape.reduce((a, b) => a * b, 1) - nanCount;
  return {
    shape,
    nanCount,
    nanMin,
    nanMax: best?.nanMax ?? null,
    nanMean: finite > 0 ? nanSum / finite : null,
    nanSum,
    nanArgMax: best?.nanArgMax ? [...best.plane, ...best.nanArgMax] : null,
  };
}
