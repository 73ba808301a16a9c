// Cubic B-spline machinery shared by rotate and resize, following scipy.ndimage (order 3).

/** The pole of the cubic B-spline's recursive prefilter, sqrt(3) - 2. */
const POLE = Math.sqrt(3) - 2;
/** Beyond this many samples the pole's powers no longer reach float64 precision. */
const HORIZON = Math.ceil(Math.log(1e-20) / Math.log(-POLE));

/**
 * Turn samples into cubic B-spline coefficients in place (scipy.ndimage.spline_filter, order 3,
 * with the mirror-symmetric boundary it uses for modes 'constant' and 'mirror'), along both axes
 * of a row-major `rows x cols` array. Columns are filtered all at once, row by row, to stay
 * cache-friendly.
 */
export function splineFilter3(c: Float64Array, rows: number, cols: number): void {
  const z = POLE;
  // Each 1-D pass has gain (1 - z)(1 - 1/z) = 6; scipy skips axes of length 1.
  const gain = ((1 - z) * (1 - 1 / z)) ** ((cols > 1 ? 1 : 0) + (rows > 1 ? 1 : 0));
  for (let i = 0; i < c.length; i++) c[i] *= gain;
  if (cols > 1) {
    for (let r = 0; r < rows; r++) filterLine(c, r * cols, cols, 1, z);
  }
  if (rows > 1) filterColumns(c, rows, cols, z);
}

function filterLine(c: Float64Array, o: number, n: number, s: number, z: number): void {
  const last = o + (n - 1) * s;
  const zn1 = Math.pow(z, n - 1);
  let c0 = c[o] + zn1 * c[last];
  let zi = z;
  const m = Math.min(n - 1, HORIZON);
  for (let i = 1; i < m; i++) {
    c0 += zi * (c[o + i * s] + zn1 * c[last - i * s]);
    zi *= z;
  }
  c[o] = c0 / (1 - zn1 * zn1);
  for (let j = 1, p = o + s; j < n; j++, p += s) c[p] += z * c[p - s];
  c[last] = ((z * c[last - s] + c[last]) * z) / (z * z - 1);
  for (let p = last - s; p >= o; p -= s) c[p] = z * (c[p + s] - c[p]);
}

function filterColumns(c: Float64Array, n: number, cols: number, z: number): void {
  const lastRow = (n - 1) * cols;
  const zn1 = Math.pow(z, n - 1);
  const norm = 1 / (1 - zn1 * zn1);
  const c0 = new Float64Array(cols);
  for (let k = 0; k < cols; k++) c0[k] = c[k] + zn1 * c[lastRow + k];
  let zi = z;
  const m = Math.min(n - 1, HORIZON);
  for (let i = 1; i < m; i++) {
    const a = i * cols;
    const b = lastRow - a;
    for (let k = 0; k < cols; k++) c0[k] += zi * (c[a + k] + zn1 * c[b + k]);
    zi *= z;
  }
  for (let k = 0; k < cols; k++) c[k] = c0[k] * norm;
  for (let j = 1; j < n; j++) {
    const a = j * cols;
    const b = a - cols;
    for (let k = 0; k < cols; k++) c[a + k] += z * c[b + k];
  }
  const d = z * z - 1;
  const prev = lastRow - cols;
  for (let k = 0; k < cols; k++) c[lastRow + k] = ((z * c[prev + k] + c[lastRow + k]) * z) / d;
  for (let j = n - 2; j >= 0; j--) {
    const a = j * cols;
    const b = a + cols;
    for (let k = 0; k < cols; k++) c[a + k] = z * (c[b + k] - c[a + k]);
  }
}

/**
 * Cubic B-spline weights of the four taps `floor(x) - 1 .. floor(x) + 2` for the fractional
 * part `f = x - floor(x)`, written to `w[at .. at + 3]` (the same formulas as scipy).
 */
export function cubicWeights(f: number, w: Float64Array, at: number): void {
  const z = 1 - f;
  const w0 = (z * z * z) / 6;
  const w1 = (f * f * (f - 2) * 3 + 4) / 6;
  const w2 = (z * z * (z - 2) * 3 + 4) / 6;
  w[at] = w0;
  w[at + 1] = w1;
  w[at + 2] = w2;
  w[at + 3] = 1 - w0 - w1 - w2;
}
