/**
 * Saliency overlays: the input image in grey with a saliency map on top in a perceptual
 * colormap, transparent where the map is small, so what drove a score shows against the source
 * itself. Browser-safe.
 */
import type { Image2D } from '../core/index.js';
import { colormapTableShared, lutIndex, type ColormapName } from './colormaps.js';
import {
  encodeRgbaPng,
  renderRgba,
  type RenderOptions,
  type RgbaImage,
  type Stretch,
} from './render.js';

/**
 * Options of {@link renderSaliencyOverlay}: how the grey input is drawn (as `renderRgba`) and
 * how the saliency is laid over it. Defaults in {@link DEFAULT_SALIENCY_OVERLAY_OPTIONS}.
 */
export interface SaliencyOverlayOptions extends Pick<
  RenderOptions,
  'stretchParameter' | 'vmin' | 'vmax' | 'zscale' | 'scale' | 'flipY'
> {
  /**
   * Stretch of the grey input (as `renderRgba`). Default `'zscale'`, the display astronomers
   * use: it shows the noise and faint structure, so a map that lights up noise or an edge reads
   * as such.
   */
  stretch?: Stretch;
  /** Colormap of the saliency. Default `'viridis'` (perceptually uniform). */
  colormap?: ColormapName;
  /**
   * Which values light up: `'absolute'` (the magnitude, whatever the sign: everything that
   * moved the score) or `'positive'` (only what supported the positive class; negative values
   * stay transparent). Default `'absolute'`.
   */
  values?: 'absolute' | 'positive';
  /**
   * Saliency drawn with the last colour and full `opacity`. Default: the largest value shown
   * (so each map uses the whole colormap); give one value to compare several maps.
   */
  saliencyMax?: number;
  /** Fraction of `saliencyMax` below which the overlay is fully transparent. Default 0.1. */
  threshold?: number;
  /** Opacity at `saliencyMax`, rising linearly from 0 at `threshold`. Default 0.75. */
  opacity?: number;
  /**
   * Brightness of the grey image's white, in [0, 1]: below 1 the input is dimmed so the
   * colormap's light end stays visible over a bright source. Default 0.8.
   */
  brightness?: number;
}

/** The options that draw the grey input, passed to `renderRgba` when given. */
const GREY_KEYS = [
  'stretch',
  'stretchParameter',
  'vmin',
  'vmax',
  'zscale',
  'scale',
  'flipY',
] as const satisfies readonly (keyof SaliencyOverlayOptions)[];

/** Defaults of {@link SaliencyOverlayOptions} (`saliencyMax`, `vmin`, `vmax` follow the data). */
export const DEFAULT_SALIENCY_OVERLAY_OPTIONS: Readonly<
  Required<
    Pick<
      SaliencyOverlayOptions,
      'stretch' | 'colormap' | 'values' | 'threshold' | 'opacity' | 'brightness'
    >
  >
> = Object.freeze({
  stretch: 'zscale',
  colormap: 'viridis',
  values: 'absolute',
  threshold: 0.1,
  opacity: 0.75,
  brightness: 0.8,
});

/**
 * The overlay as RGBA pixels (see {@link renderSaliencyOverlay}), for a canvas.
 *
 * @param input - the image the saliency explains, `[rows, cols]` (not modified)
 * @param saliency - the map, same shape (not modified); NaN counts as 0
 * @param opts - see {@link SaliencyOverlayOptions}
 * @throws RangeError for different shapes, a bad `threshold`, `opacity`, `brightness` or
 *   `saliencyMax`, or anything `renderRgba` refuses
 */
export function renderSaliencyRgba(
  input: Image2D,
  saliency: Image2D,
  opts: SaliencyOverlayOptions = {},
): RgbaImage {
  const o = { ...DEFAULT_SALIENCY_OVERLAY_OPTIONS, ...opts };
  const [rows, cols] = input.shape as [number, number];
  const [sr, sc] = saliency.shape as [number, number];
  if (sr !== rows || sc !== cols) {
    throw new RangeError(`saliency is ${sr}x${sc} but the image is ${rows}x${cols}`);
  }
  if (!(o.threshold >= 0 && o.threshold < 1)) {
    throw new RangeError(`threshold must be in [0, 1), got ${o.threshold}`);
  }
  if (!(o.opacity >= 0 && o.opacity <= 1)) {
    throw new RangeError(`opacity must be in [0, 1], got ${o.opacity}`);
  }
  if (!(o.brightness >= 0 && o.brightness <= 1)) {
    throw new RangeError(`brightness must be in [0, 1], got ${o.brightness}`);
  }
  const lut = colormapTableShared(o.colormap);
  const greyOpts: RenderOptions = {
    colormap: 'gray',
    stretch: DEFAULT_SALIENCY_OVERLAY_OPTIONS.stretch,
  };
  for (const k of GREY_KEYS) {
    if (o[k] !== undefined) Object.assign(greyOpts, { [k]: o[k] });
  }
  const grey = renderRgba(input, greyOpts);
  const shown = (v: number): number =>
    !Number.isFinite(v) ? 0 : o.values === 'absolute' ? Math.abs(v) : Math.max(0, v);
  let max = o.saliencyMax;
  if (max === undefined) {
    max = 0;
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) max = Math.max(max, shown(saliency.get(r, c)));
    }
  } else if (!(max > 0) || !Number.isFinite(max)) {
    throw new RangeError(`saliencyMax must be a positive finite number, got ${max}`);
  }
  // Colour and opacity of each image pixel, then laid over every display pixel it covers.
  const over = new Float32Array(rows * cols * 4);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const t = max > 0 ? Math.min(1, shown(saliency.get(r, c)) / max) : 0;
      if (t <= o.threshold) continue;
      const u = (t - o.threshold) / (1 - o.threshold);
      const i = 3 * lutIndex(u);
      const p = 4 * (r * cols + c);
      over[p] = lut[i];
      over[p + 1] = lut[i + 1];
      over[p + 2] = lut[i + 2];
      over[p + 3] = o.opacity * u;
    }
  }
  const { width, height, data } = grey;
  if (o.brightness < 1) {
    for (let p = 0; p < data.length; p += 4) {
      for (let k = 0; k < 3; k++) data[p + k] = Math.round(data[p + k] * o.brightness);
    }
  }
  const s = width / cols;
  const flip = o.flipY ?? true;
  for (let y = 0; y < height; y++) {
    const row = Math.trunc(y / s);
    const r = flip ? rows - 1 - row : row;
    for (let x = 0; x < width; x++) {
      const q = 4 * (r * cols + Math.trunc(x / s));
      const a = over[q + 3];
      if (a === 0) continue;
      // Porter-Duff "over": the overlay on the grey image (which is transparent where NaN).
      const p = 4 * (y * width + x);
      const ga = data[p + 3] / 255;
      const oa = a + ga * (1 - a);
      for (let k = 0; k < 3; k++) {
        data[p + k] = Math.round((over[q + k] * a + data[p + k] * ga * (1 - a)) / oa);
      }
      data[p + 3] = Math.round(oa * 255);
    }
  }
  return grey;
}

/**
 * A saliency overlay as PNG bytes (8-bit RGBA): `input` in grey (zscale by default, dimmed to
 * `brightness`, row 0 at the bottom by default) with `saliency` in a perceptual colormap on
 * top, its opacity rising with the value, so pixels whose saliency is below `threshold` of the
 * maximum show the grey input unchanged. For the maps of `occlusionSaliency` /
 * `gradientSaliency` beside a candidate's thumbnail.
 *
 * @example
 * ```ts
 * const map = await occlusionSaliency(model, image);
 * const png = renderSaliencyOverlay(image, map, { stretch: 'asinh', scale: 2 });
 * ```
 *
 * @param input - the image the saliency explains, `[rows, cols]` (not modified)
 * @param saliency - the map, same shape (not modified); NaN counts as 0
 * @param opts - see {@link SaliencyOverlayOptions}
 * @returns the PNG file's bytes
 * @throws RangeError as {@link renderSaliencyRgba}
 */
export function renderSaliencyOverlay(
  input: Image2D,
  saliency: Image2D,
  opts: SaliencyOverlayOptions = {},
): Uint8Array {
  return encodeRgbaPng(renderSaliencyRgba(input, saliency, opts));
}
