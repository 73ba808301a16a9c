import { encode } from 'fast-png';
import type { Image2D } from '../core/index.js';
import { colormapTableShared, lutIndex, type ColormapName } from './colormaps.js';
import { zscaleLimits, type ZScaleOptions } from './zscale.js';

/**
 * How pixel values are mapped to [0, 1] before colouring, with astropy.visualization's
 * definitions applied to `x = clip((v - vmin) / (vmax - vmin), 0, 1)`:
 * - `linear`: `x`
 * - `sqrt`: `√x`
 * - `log`: `log(a·x + 1) / log(a + 1)`, `a` = {@link RenderOptions.stretchParameter} (default 1000)
 * - `asinh`: `asinh(x / a) / asinh(1 / a)`, `a` default 0.1
 * - `zscale`: linear between the limits of IRAF's zscale ({@link zscaleLimits}) instead of the
 *   pixel extremes.
 */
export type Stretch = 'linear' | 'sqrt' | 'log' | 'asinh' | 'zscale';

/** Every {@link Stretch}. */
export const STRETCH_NAMES: readonly Stretch[] = ['linear', 'sqrt', 'log', 'asinh', 'zscale'];

/**
 * An RGBA colour: `[r, g, b, a]` bytes (0–255; `a` defaults to 255) or a CSS hex string
 * `#rgb`, `#rrggbb` or `#rrggbbaa`.
 */
export type Color = readonly [number, number, number, number?] | string;

/** Options of {@link renderPng} and {@link renderRgba}. Defaults in {@link DEFAULT_RENDER_OPTIONS}. */
export interface RenderOptions {
  /** Colormap. Default `'CMRmap_r'` (the thesis's choice). */
  colormap?: ColormapName;
  /** Stretch. Default `'linear'`. */
  stretch?: Stretch;
  /**
   * The `a` of the `log` (default 1000) and `asinh` (default 0.1) stretches, as astropy's
   * `LogStretch(a)` / `AsinhStretch(a)`. Ignored by the other stretches.
   */
  stretchParameter?: number;
  /** Value drawn with the first colour. Default: the smallest finite pixel (zscale's lower limit for `zscale`). */
  vmin?: number;
  /** Value drawn with the last colour. Default: the largest finite pixel (zscale's upper limit for `zscale`). */
  vmax?: number;
  /** Colour of NaN and ±Infinity pixels ("no data"). Default transparent `[0, 0, 0, 0]`, as matplotlib. */
  nanColor?: Color;
  /** Integer magnification: each pixel becomes a `scale × scale` block (nearest neighbour). Default 1. */
  scale?: number;
  /**
   * Draw row 0 at the bottom, the way astronomers view FITS (DS9, `imshow(origin='lower')`), so
   * north is up for a standard ALMA image. Default `true`; `false` draws row 0 at the top, as
   * `matplotlib.pyplot.imsave` does.
   */
  flipY?: boolean;
  /** zscale parameters when `stretch` is `'zscale'`. Default astropy's. */
  zscale?: ZScaleOptions;
}

/** Defaults of {@link RenderOptions} (`vmin`/`vmax` default to the data and are not listed). */
export const DEFAULT_RENDER_OPTIONS: Readonly<
  Required<Omit<RenderOptions, 'vmin' | 'vmax' | 'stretchParameter' | 'zscale'>>
> = Object.freeze({
  colormap: 'CMRmap_r',
  stretch: 'linear',
  nanColor: [0, 0, 0, 0] as const,
  scale: 1,
  flipY: true,
});

/** Default `a` of the stretches that take one (astropy's defaults). */
export const DEFAULT_STRETCH_PARAMETERS: Readonly<Record<'log' | 'asinh', number>> = Object.freeze({
  log: 1000,
  asinh: 0.1,
});

/** RGBA pixels ready for a canvas (`new ImageData(data, width, height)`) or a PNG encoder. */
export interface RgbaImage {
  /** Width in pixels (image columns × scale). */
  width: number;
  /** Height in pixels (image rows × scale). */
  height: number;
  /** `width * height * 4` bytes, row-major from the top-left, RGBA. */
  data: Uint8ClampedArray;
}

/**
 * Colour an image: normalise by `vmin`/`vmax` and the stretch, look up the colormap, and lay the
 * pixels out top-to-bottom for display. Browser-safe; used by {@link renderPng} and usable
 * directly with a canvas.
 *
 * NaN and ±Infinity pixels are drawn in `nanColor` and ignored when finding the default limits.
 * Values outside `[vmin, vmax]` take the end colours. When `vmin === vmax` every finite pixel
 * takes the first colour; an image with no finite pixel is all `nanColor`.
 *
 * @param image - `[rows, cols]` image (not modified)
 * @param opts - rendering options; defaults in {@link DEFAULT_RENDER_OPTIONS}
 * @throws RangeError for an unknown colormap or stretch, `vmin > vmax`, a non-positive or
 *   non-integer `scale`, or a malformed `nanColor`
 */
export function renderRgba(image: Image2D, opts: RenderOptions = {}): RgbaImage {
  const o = { ...DEFAULT_RENDER_OPTIONS, ...opts };
  if (!STRETCH_NAMES.includes(o.stretch)) {
    throw new RangeError(
      `unknown stretch '${String(o.stretch)}'; expected one of ${STRETCH_NAMES.join(', ')}`,
    );
  }
  if (!Number.isInteger(o.scale) || o.scale < 1) {
    throw new RangeError(`scale must be a positive integer, got ${o.scale}`);
  }
  const lut = colormapTableShared(o.colormap);
  const nan = parseColor(o.nanColor);
  const [rows, cols] = image.shape as [number, number];
  const [vmin, vmax] = limits(image, o);
  if (vmin > vmax) throw new RangeError(`vmin (${vmin}) is greater than vmax (${vmax})`);
  const toUnit = stretchFunction(o.stretch, o.stretchParameter);
  const span = vmax - vmin;

  // Colour each source pixel once, then replicate for the scale.
  const colors = new Uint8ClampedArray(rows * cols * 4);
  for (let r = 0; r < rows; r++) {
    const outRow = o.flipY ? rows - 1 - r : r;
    for (let c = 0; c < cols; c++) {
      const v = image.get(r, c);
      const p = 4 * (outRow * cols + c);
      if (!Number.isFinite(v)) {
        colors[p] = nan[0];
        colors[p + 1] = nan[1];
        colors[p + 2] = nan[2];
        colors[p + 3] = nan[3];
        continue;
      }
      let x = span > 0 ? (v - vmin) / span : 0;
      x = x < 0 ? 0 : x > 1 ? 1 : x;
      const i = 3 * lutIndex(toUnit(x));
      colors[p] = lut[i];
      colors[p + 1] = lut[i + 1];
      colors[p + 2] = lut[i + 2];
      colors[p + 3] = 255;
    }
  }
  if (o.scale === 1) return { width: cols, height: rows, data: colors };

  const s = o.scale;
  const width = cols * s;
  const height = rows * s;
  const data = new Uint8ClampedArray(width * height * 4);
  const src = new Uint32Array(colors.buffer);
  const dst = new Uint32Array(data.buffer);
  for (let y = 0; y < height; y++) {
    const srcRow = Math.trunc(y / s) * cols;
    const dstRow = y * width;
    for (let x = 0; x < width; x++) dst[dstRow + x] = src[srcRow + Math.trunc(x / s)];
  }
  return { width, height, data };
}

/**
 * Render an image to PNG bytes (8-bit RGBA) with a colormap and a stretch; see
 * {@link renderRgba} for the mapping, NaN handling and orientation (row 0 at the bottom by
 * default). Browser-safe: no Node APIs, so a web page can show the result via a `Blob` URL.
 *
 * @example
 * ```ts
 * const png = renderPng(image, { colormap: 'viridis', stretch: 'asinh', scale: 2 });
 * ```
 *
 * @param image - `[rows, cols]` image (not modified)
 * @param opts - rendering options; defaults in {@link DEFAULT_RENDER_OPTIONS}
 * @returns the PNG file's bytes
 * @throws RangeError as {@link renderRgba}
 */
export function renderPng(image: Image2D, opts: RenderOptions = {}): Uint8Array {
  return encodeRgbaPng(renderRgba(image, opts));
}

/**
 * The PNG file (8-bit RGBA) of rendered pixels.
 *
 * @internal
 */
export function encodeRgbaPng(rgba: RgbaImage): Uint8Array {
  return encode({
    width: rgba.width,
    height: rgba.height,
    data: new Uint8Array(rgba.data.buffer, rgba.data.byteOffset, rgba.data.byteLength),
    channels: 4,
    depth: 8,
  });
}

function limits(
  image: Image2D,
  o: RenderOptions & { stretch: Stretch },
): [vmin: number, vmax: number] {
  let lo = o.vmin;
  let hi = o.vmax;
  if (lo !== undefined && hi !== undefined) return [lo, hi];
  if (o.stretch === 'zscale') {
    const [zlo, zhi] = zscaleLimits(image, o.zscale);
    return [lo ?? zlo, hi ?? zhi];
  }
  let min = Infinity;
  let max = -Infinity;
  const [rows, cols] = image.shape as [number, number];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = image.get(r, c);
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  // Comparisons with NaN are false, and ±Infinity must not become a limit.
  if (min === -Infinity || max === Infinity) {
    min = Infinity;
    max = -Infinity;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = image.get(r, c);
        if (!Number.isFinite(v)) continue;
        if (v < min) min = v;
        if (v > max) max = v;
      }
    }
  }
  if (min > max) {
    // No finite pixel: everything is drawn in nanColor, so any consistent pair will do.
    min = max = lo ?? hi ?? 0;
  }
  lo ??= min;
  hi ??= max;
  return [lo, hi];
}

function stretchFunction(stretch: Stretch, a: number | undefined): (x: number) => number {
  switch (stretch) {
    case 'linear':
    case 'zscale':
      return (x) => x;
    case 'sqrt':
      return Math.sqrt;
    case 'log': {
      const k = a ?? DEFAULT_STRETCH_PARAMETERS.log;
      const norm = Math.log(k + 1);
      return (x) => Math.log(x * k + 1) / norm;
    }
    case 'asinh': {
      const k = a ?? DEFAULT_STRETCH_PARAMETERS.asinh;
      const norm = Math.asinh(1 / k);
      return (x) => Math.asinh(x / k) / norm;
    }
  }
}

/**
 * Parse a {@link Color} into four bytes.
 *
 * @param color - `[r, g, b, a?]` bytes or `#rgb` / `#rrggbb` / `#rrggbbaa`
 * @throws RangeError for anything else
 */
export function parseColor(color: Color): [number, number, number, number] {
  if (typeof color === 'string') {
    const m = /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(color);
    if (!m) throw new RangeError(`colour '${color}' is not #rgb, #rrggbb or #rrggbbaa`);
    let hex = m[1];
    if (hex.length === 3) hex = [...hex].map((h) => h + h).join('');
    if (hex.length === 6) hex += 'ff';
    return [0, 2, 4, 6].map((i) => parseInt(hex.slice(i, i + 2), 16)) as [
      number,
      number,
      number,
      number,
    ];
  }
  const [r, g, b, a = 255] = color;
  for (const v of [r, g, b, a]) {
    if (!Number.isInteger(v) || v < 0 || v > 255) {
      throw new RangeError(`colour [${color.join(', ')}] needs integer channels in 0–255`);
    }
  }
  return [r, g, b, a];
}
