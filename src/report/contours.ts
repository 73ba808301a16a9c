import type { Image2D } from '../core/index.js';

/** A contour line segment between two points, `[x0, y0, x1, y1]` in pixel coordinates (col, row). */
export type ContourSegment = [x0: number, y0: number, x1: number, y1: number];

/**
 * The contour of `image` at `level` by marching squares: in each 2×2 cell of pixel centres the
 * crossings on the cell's edges (linear interpolation) are joined; a saddle cell is resolved by
 * the mean of its corners. Cells with a NaN corner draw nothing. Coordinates are pixel centres:
 * `x` = column, `y` = row (row 0 first, not flipped).
 *
 * @param image - the image, `[rows, cols]`
 * @param level - the contour level, in the image's units
 * @returns the segments, unordered
 */
export function contourSegments(image: Image2D, level: number): ContourSegment[] {
  const [rows, cols] = image.shape as [number, number];
  const out: ContourSegment[] = [];
  for (let r = 0; r + 1 < rows; r++) {
    for (let c = 0; c + 1 < cols; c++) {
      const a = image.get(r, c); // (c, r)
      const b = image.get(r, c + 1); // (c+1, r)
      const d = image.get(r + 1, c); // (c, r+1)
      const e = image.get(r + 1, c + 1); // (c+1, r+1)
      if (!Number.isFinite(a + b + d + e)) continue;
      const code =
        (a > level ? 1 : 0) | (b > level ? 2 : 0) | (e > level ? 4 : 0) | (d > level ? 8 : 0);
      if (code === 0 || code === 15) continue;
      const t = (p: number, q: number) => (level - p) / (q - p);
      // Crossing points on the four edges: top (a-b), right (b-e), bottom (d-e), left (a-d).
      const top: [number, number] = [c + t(a, b), r];
      const right: [number, number] = [c + 1, r + t(b, e)];
      const bottom: [number, number] = [c + t(d, e), r + 1];
      const left: [number, number] = [c, r + t(a, d)];
      const seg = (p: [number, number], q: [number, number]) => out.push([p[0], p[1], q[0], q[1]]);
      const centre = (a + b + d + e) / 4 > level;
      switch (code) {
        case 1:
        case 14:
          seg(left, top);
          break;
        case 2:
        case 13:
          seg(top, right);
          break;
        case 3:
        case 12:
          seg(left, right);
          break;
        case 4:
        case 11:
          seg(right, bottom);
          break;
        case 6:
        case 9:
          seg(top, bottom);
          break;
        case 7:
        case 8:
          seg(left, bottom);
          break;
        case 5: // a and e above
          if (centre) {
            seg(left, bottom);
            seg(top, right);
          } else {
            seg(left, top);
            seg(right, bottom);
          }
          break;
        case 10: // b and d above
          if (centre) {
            seg(left, top);
            seg(right, bottom);
          } else {
            seg(top, right);
            seg(left, bottom);
          }
          break;
      }
    }
  }
  return out;
}

/**
 * Contour levels at multiples of the noise: `±3, 5, 10, 20, 50, 100, …` × `rms` up to the
 * image's largest absolute value (negative levels only where the image goes that low).
 *
 * @param rms - the image noise (robust rms)
 * @param min - the image's smallest finite value
 * @param max - the image's largest finite value
 * @param start - the multiples, before the 1-2-5 series takes over. Default `[3, 5, 10]`.
 */
export function noiseContourLevels(
  rms: number,
  min: number,
  max: number,
  start: readonly number[] = [3, 5, 10],
): number[] {
  if (!(rms > 0) || !Number.isFinite(rms)) return [];
  const multiples: number[] = [...start];
  for (let k = 10; multiples.length < 40; k *= 10) {
    for (const m of [2, 5, 10]) if (k * m > (multiples.at(-1) ?? 0)) multiples.push(k * m);
    if (k * 10 * rms > Math.max(max, -min)) break;
  }
  const pos = multiples.filter((m) => m * rms <= max).map((m) => m * rms);
  const neg = multiples.filter((m) => -m * rms >= min).map((m) => -m * rms);
  return [...neg.reverse(), ...pos];
}
