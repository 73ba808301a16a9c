import { createImage2D } from '../core/index.js';
import type { ColormapName } from './colormaps.js';
import { contourSegments, noiseContourLevels } from './contours.js';
import { escapeHtml } from './html.js';
import { renderPng, renderRgba, type RenderOptions, type Stretch } from './render.js';
import type { ReportSkyView } from './types.js';

/** Options of {@link skyFigureSvg}. Defaults in {@link DEFAULT_SKY_FIGURE_OPTIONS}. */
export interface SkyFigureOptions {
  /** Edge of the image panel, CSS pixels. Default 200. */
  size?: number;
  /** Stretch of the colour scale. Default `'asinh'`, which shows faint winds beside a bright disk. */
  stretch?: Stretch;
  /** The stretch's `a` (see {@link RenderOptions.stretchParameter}). Default 0.1. */
  stretchParameter?: number;
  /** Colormap. Default `'CMRmap_r'`, the report's. */
  colormap?: ColormapName;
  /** Draw contours at ±3, 5, 10, 20, 50, … × rms (when the view has an rms). Default true. */
  contours?: boolean;
  /**
   * Distinguishes this figure's SVG ids (its clip path) from others on the page; letters,
   * digits, `-` and `_` are kept. Default: a counter.
   */
  id?: string;
}

/** Defaults of {@link SkyFigureOptions}. */
export const DEFAULT_SKY_FIGURE_OPTIONS: Readonly<Required<Omit<SkyFigureOptions, 'id'>>> =
  Object.freeze({
    size: 200,
    stretch: 'asinh',
    stretchParameter: 0.1,
    colormap: 'CMRmap_r',
    contours: true,
  });

let figureCount = 0;

/** The ends of the colour scale: −3 rms (or the minimum) to the maximum. */
function limits(view: ReportSkyView): [number, number] {
  let min = Infinity;
  let max = -Infinity;
  const [rows, cols] = view.image.shape as [number, number];
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = view.image.get(r, c);
      if (!Number.isFinite(v)) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min > max) return [0, 1];
  const rms = view.rms;
  const lo = rms !== undefined && rms > 0 ? Math.max(min, -3 * rms) : min;
  return lo < max ? [lo, max] : [lo, lo + 1];
}

/**
 * The render options of a sky view's picture under `opts` (its colour limits, stretch and
 * colormap); the colour bar of {@link skyFigureSvg} is drawn with the same ones.
 *
 * @param view - the view
 * @param opts - see {@link SkyFigureOptions}
 */
export function skyFigureRender(view: ReportSkyView, opts: SkyFigureOptions = {}): RenderOptions {
  const o = { ...DEFAULT_SKY_FIGURE_OPTIONS, ...opts };
  const [vmin, vmax] = limits(view);
  return {
    colormap: o.colormap,
    stretch: o.stretch,
    stretchParameter: o.stretchParameter,
    vmin,
    vmax,
    nanColor: [235, 238, 242, 255],
    flipY: true,
  };
}

/** Round numbers (1, 2, 5 × 10ⁿ) spanning [lo, hi], about `count` of them. */
function niceTicks(lo: number, hi: number, count: number): number[] {
  const span = hi - lo;
  if (!(span > 0)) return [lo];
  const raw = span / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  // The round step nearest the raw one (on a log scale).
  const step = [1, 2, 5, 10]
    .map((m) => m * mag)
    .reduce((best, s) => (Math.abs(Math.log(s / raw)) < Math.abs(Math.log(best / raw)) ? s : best));
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

/** The largest of 1, 2, 5 × 10ⁿ not above `v`. */
function niceBelow(v: number): number {
  const mag = 10 ** Math.floor(Math.log10(v));
  return [5, 2, 1].map((m) => m * mag).find((s) => s <= v) ?? mag;
}

/** A number for an axis label, without float noise. */
function label(v: number): string {
  return String(Number(v.toPrecision(6)));
}

/** The unit to show values in: Jy/beam → mJy/beam or µJy/beam when the values are small. */
function displayUnit(unit: string | undefined, vmax: number): { factor: number; unit: string } {
  const u = unit ?? '';
  if (!/^Jy\b/.test(u)) return { factor: 1, unit: u };
  const big = Math.abs(vmax);
  if (big > 0 && big < 1e-4) return { factor: 1e6, unit: `µ${u}` };
  if (big > 0 && big < 1) return { factor: 1e3, unit: `m${u}` };
  return { factor: 1, unit: u };
}

/**
 * A candidate's crop drawn as a radio astronomer's figure, as SVG: the image with north up and
 * east left, axes of offset from the centre in arcsec (ΔRA growing to the east, left), the beam
 * ellipse in the lower left, a scale bar in arcsec, a N/E compass, a colour bar with its unit
 * and stretch, and contours at ±3, 5, 10, 20, 50 … × rms (negative ones dashed). All text is
 * escaped. The raster parts are PNGs handed to `href`, which returns the URL they are found at
 * (a `data:` URI, or a file beside the page).
 *
 * @param view - the crop, see {@link ReportSkyView}
 * @param href - where the PNG of `part` (`'image'` or `'colorbar'`) is found
 * @param opts - see {@link SkyFigureOptions}
 * @returns the `<svg>` element's markup
 */
export function skyFigureSvg(
  view: ReportSkyView,
  href: (png: Uint8Array, part: 'image' | 'colorbar') => string,
  opts: SkyFigureOptions = {},
): string {
  const o = { ...DEFAULT_SKY_FIGURE_OPTIONS, ...opts };
  const render = skyFigureRender(view, o);
  const vmin = render.vmin as number;
  const vmax = render.vmax as number;
  const [rows, cols] = view.image.shape as [number, number];
  const P = o.size;
  const left = 44;
  const top = 20;
  const barX = left + P + 10;
  const barW = 12;
  const W = barX + barW + 62;
  const H = top + P + 34;
  const n = Math.max(rows, cols);
  const px = P / n; // CSS pixels per image pixel
  const perArcsec = px / view.pixelArcsec;
  const half = (n * view.pixelArcsec) / 2;
  const cx = left + P / 2;
  const cy = top + P / 2;
  const parts: string[] = [];
  parts.push(
    `<svg class="sky-figure" xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="candidate on the sky, north up, east left" font-family="system-ui, sans-serif" font-size="10">`,
  );
  if (view.centerLabel !== undefined) {
    parts.push(
      `<text class="center" x="${cx}" y="12" text-anchor="middle">${escapeHtml(view.centerLabel)}</text>`,
    );
  }
  // The image, row 0 at the bottom.
  const png = renderPng(view.image, render);
  parts.push(
    `<image class="sky" x="${left}" y="${top}" width="${cols * px}" height="${rows * px}" preserveAspectRatio="none" style="image-rendering:pixelated" href="${escapeHtml(href(png, 'image'))}"/>`,
  );
  const clip = `sky-clip-${(opts.id ?? String(++figureCount)).replace(/[^A-Za-z0-9_-]/g, '_')}`;
  parts.push(
    `<clipPath id="${clip}"><rect x="${left}" y="${top}" width="${P}" height="${P}"/></clipPath>`,
  );
  // Contours at multiples of the noise.
  if (o.contours && view.rms !== undefined && view.rms > 0) {
    const levels = noiseContourLevels(view.rms, vmin, vmax);
    // Each level in black or white, whichever stands out from the colour it lies on.
    const probe = createImage2D(1, levels.length || 1);
    levels.forEach((level, i) => probe.set(0, i, level));
    const under = renderRgba(probe, { ...render, flipY: false }).data;
    levels.forEach((level, i) => {
      const d = contourSegments(view.image, level)
        .map(
          ([x0, y0, x1, y1]) =>
            `M${(left + (x0 + 0.5) * px).toFixed(1)} ${(top + (rows - 0.5 - y0) * px).toFixed(1)}L${(left + (x1 + 0.5) * px).toFixed(1)} ${(top + (rows - 0.5 - y1) * px).toFixed(1)}`,
        )
        .join('');
      if (d === '') return;
      const luminance =
        0.2126 * under[4 * i] + 0.7152 * under[4 * i + 1] + 0.0722 * under[4 * i + 2];
      const stroke = luminance > 128 ? '#111111' : '#ffffff';
      parts.push(
        `<path class="contour" data-level="${label(level / (view.rms as number))}" d="${d}" fill="none" stroke="${stroke}" stroke-width="0.8" stroke-opacity="0.8"${level < 0 ? ' stroke-dasharray="2 2"' : ''} clip-path="url(#${clip})"/>`,
      );
    });
  }
  parts.push(
    `<rect class="frame" x="${left}" y="${top}" width="${P}" height="${P}" fill="none" stroke="#1b1f24"/>`,
  );
  // Axes: offsets from the centre, arcsec; east (positive ΔRA) to the left.
  for (const t of niceTicks(-half, half, 4)) {
    const x = cx - t * perArcsec;
    const y = cy - t * perArcsec;
    parts.push(
      `<line x1="${x.toFixed(1)}" y1="${top + P}" x2="${x.toFixed(1)}" y2="${top + P + 4}" stroke="#1b1f24"/>`,
      `<text class="tick x" x="${x.toFixed(1)}" y="${top + P + 13}" text-anchor="middle">${label(t)}</text>`,
      `<line x1="${left - 4}" y1="${y.toFixed(1)}" x2="${left}" y2="${y.toFixed(1)}" stroke="#1b1f24"/>`,
      `<text class="tick y" x="${left - 6}" y="${(y + 3).toFixed(1)}" text-anchor="end">${label(t)}</text>`,
    );
  }
  parts.push(
    `<text class="axis x" x="${cx}" y="${H - 4}" text-anchor="middle">ΔRA (″), east ←</text>`,
    `<text class="axis y" transform="translate(10 ${cy}) rotate(-90)" text-anchor="middle">ΔDec (″), north ↑</text>`,
  );
  // The beam, lower left: the FWHM ellipse, major axis at PA east of north (counter-clockwise).
  if (view.beam !== undefined) {
    const rx = (view.beam.minorArcsec / 2) * perArcsec;
    const ry = (view.beam.majorArcsec / 2) * perArcsec;
    const r = Math.max(rx, ry);
    const bx = left + 6 + r;
    const by = top + P - 6 - r;
    parts.push(
      `<ellipse class="beam" cx="${bx.toFixed(1)}" cy="${by.toFixed(1)}" rx="${rx.toFixed(2)}" ry="${ry.toFixed(2)}" transform="rotate(${(-view.beam.paDeg).toFixed(2)} ${bx.toFixed(1)} ${by.toFixed(1)})" fill="#ffffff" fill-opacity="0.6" stroke="#1b1f24" stroke-width="1"><title>beam ${label(view.beam.majorArcsec)}″ × ${label(view.beam.minorArcsec)}″, PA ${label(view.beam.paDeg)}°</title></ellipse>`,
    );
  }
  // Scale bar, lower right: a round length near a quarter of the field.
  const bar = niceBelow(half / 2);
  const len = bar * perArcsec;
  const sx = left + P - 8 - len;
  const sy = top + P - 10;
  parts.push(
    `<g class="scale-bar"><line x1="${sx.toFixed(1)}" y1="${sy}" x2="${(sx + len).toFixed(1)}" y2="${sy}" stroke="#1b1f24" stroke-width="4"/><line x1="${sx.toFixed(1)}" y1="${sy}" x2="${(sx + len).toFixed(1)}" y2="${sy}" stroke="#ffffff" stroke-width="2"/><text x="${(sx + len / 2).toFixed(1)}" y="${sy - 5}" text-anchor="middle" paint-order="stroke" stroke="#ffffff" stroke-width="2.5">${label(bar)}″</text></g>`,
  );
  // Compass, upper right.
  const kx = left + P - 10;
  const ky = top + 26;
  parts.push(
    `<g class="compass" fill="#1b1f24" paint-order="stroke"><path d="M${kx} ${ky - 16}V${ky}H${kx - 16}" fill="none" stroke="#ffffff" stroke-width="3"/><path d="M${kx} ${ky - 16}V${ky}H${kx - 16}" fill="none" stroke="#1b1f24" stroke-width="1"/><text x="${kx}" y="${ky - 18}" text-anchor="middle" stroke="#ffffff" stroke-width="2.5">N</text><text x="${kx - 22}" y="${ky + 3}" text-anchor="middle" stroke="#ffffff" stroke-width="2.5">E</text></g>`,
  );
  // Colour bar: the same colours, values linear in data from vmin (bottom) to vmax (top).
  const steps = 128;
  const ramp = createImage2D(steps, 1);
  for (let i = 0; i < steps; i++) ramp.set(i, 0, vmin + ((vmax - vmin) * i) / (steps - 1));
  parts.push(
    `<image class="colorbar" x="${barX}" y="${top}" width="${barW}" height="${P}" preserveAspectRatio="none" href="${escapeHtml(href(renderPng(ramp, render), 'colorbar'))}"/>`,
    `<rect x="${barX}" y="${top}" width="${barW}" height="${P}" fill="none" stroke="#1b1f24"/>`,
  );
  const shown = displayUnit(view.unit, vmax);
  for (const t of niceTicks(vmin * shown.factor, vmax * shown.factor, 5)) {
    const y = top + P - ((t / shown.factor - vmin) / (vmax - vmin)) * P;
    parts.push(
      `<line x1="${barX + barW}" y1="${y.toFixed(1)}" x2="${barX + barW + 3}" y2="${y.toFixed(1)}" stroke="#1b1f24"/>`,
      `<text class="tick bar" x="${barX + barW + 5}" y="${(y + 3).toFixed(1)}">${label(t)}</text>`,
    );
  }
  const barLabel = `${shown.unit || 'value'}, ${o.stretch}${view.resampled ? ', resampled N up' : ''}`;
  parts.push(
    `<text class="axis bar" transform="translate(${W - 4} ${cy}) rotate(-90)" text-anchor="middle">${escapeHtml(barLabel)}</text>`,
    '</svg>',
  );
  return parts.join('');
}
