// Small inline-SVG charts: line charts for training curves, ROC and precision–recall, and the
// reliability diagram of calibrated scores.
import { escapeHtml } from './html.js';

/** One line of a {@link lineChart}. */
interface Series {
  name: string;
  points: readonly (readonly [number, number])[];
  color: string;
  dashed?: boolean;
}

interface ChartSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Fixed axis ranges (e.g. [0, 1] for rates); otherwise the data's extent, padded. */
  xDomain?: [number, number];
  yDomain?: [number, number];
  /** Draw the y = x chance line (ROC). */
  diagonal?: boolean;
  /** Mark every point with a dot (short training histories). */
  markers?: boolean;
  width?: number;
  height?: number;
}

/** matplotlib's tab10 blue and orange, so curves look like Keras plots people know. */
export const TRAIN_COLOR = '#1f77b4';
/** Colour of validation curves. */
export const VALIDATION_COLOR = '#ff7f0e';

/** Round tick positions covering [lo, hi]: steps of 1, 2 or 5 × 10^k, about `count` of them. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

function tickLabel(v: number): string {
  const s = Number(v.toPrecision(6)).toString();
  return s.replace('-', '−');
}

function extent(values: number[]): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  const pad = (hi - lo) * 0.05;
  return [lo - pad, hi + pad];
}

/** Axes of a chart: the opening SVG element, title, grid, ticks, frame and axis labels. */
interface Frame {
  /** SVG fragments so far; the caller appends its marks and the closing tag. */
  parts: string[];
  /** Data to pixel coordinates. */
  sx: (x: number) => number;
  sy: (y: number) => number;
  /** Pixel coordinate as written (one decimal). */
  r: (v: number) => string;
  /** Left and top edges of the plot area, in pixels. */
  left: number;
  top: number;
  /** Width and height of the plot area, in pixels. */
  pw: number;
  ph: number;
}

/** The frame of a chart of `xs` against `ys` (their extent, unless fixed domains are given). */
function chartFrame(
  spec: Omit<ChartSpec, 'series' | 'markers'>,
  xs: number[],
  ys: number[],
): Frame {
  const width = spec.width ?? 380;
  const height = spec.height ?? 260;
  const m = { top: 40, right: 14, bottom: 42, left: 54 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const [x0, x1] = spec.xDomain ?? extent(xs);
  const [y0, y1] = spec.yDomain ?? extent(ys);
  const sx = (x: number): number => m.left + ((x - x0) / (x1 - x0)) * pw;
  const sy = (y: number): number => m.top + ph - ((y - y0) / (y1 - y0)) * ph;
  const r = (v: number): string => v.toFixed(1);

  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(spec.title)}">`,
  );
  parts.push(
    `<text x="${r(m.left)}" y="16" font-size="13" font-weight="600" fill="#1b1f24">${escapeHtml(spec.title)}</text>`,
  );
  for (const t of ticks(x0, x1)) {
    parts.push(
      `<line x1="${r(sx(t))}" x2="${r(sx(t))}" y1="${m.top}" y2="${m.top + ph}" stroke="#eaeef2"/>`,
      `<text x="${r(sx(t))}" y="${m.top + ph + 14}" font-size="10" text-anchor="middle" fill="#57606a">${tickLabel(t)}</text>`,
    );
  }
  for (const t of ticks(y0, y1)) {
    parts.push(
      `<line x1="${m.left}" x2="${m.left + pw}" y1="${r(sy(t))}" y2="${r(sy(t))}" stroke="#eaeef2"/>`,
      `<text x="${m.left - 5}" y="${r(sy(t) + 3)}" font-size="10" text-anchor="end" fill="#57606a">${tickLabel(t)}</text>`,
    );
  }
  parts.push(
    `<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#8c959f"/>`,
    `<text x="${r(m.left + pw / 2)}" y="${height - 8}" font-size="11" text-anchor="middle" fill="#1b1f24">${escapeHtml(spec.xLabel)}</text>`,
    `<text transform="translate(13 ${r(m.top + ph / 2)}) rotate(-90)" font-size="11" text-anchor="middle" fill="#1b1f24">${escapeHtml(spec.yLabel)}</text>`,
  );
  if (spec.diagonal) {
    parts.push(
      `<line x1="${r(sx(0))}" y1="${r(sy(0))}" x2="${r(sx(1))}" y2="${r(sy(1))}" stroke="#8c959f" stroke-dasharray="3 3"/>`,
    );
  }
  return { parts, sx, sy, r, left: m.left, top: m.top, pw, ph };
}

/** A legend entry in the top margin: a line swatch (dashed when asked) and its name. */
function legendEntry(x: number, name: string, color: string, dash = ''): string[] {
  const ly = 31;
  return [
    `<line x1="${x}" x2="${x + 16}" y1="${ly - 4}" y2="${ly - 4}" stroke="${color}" stroke-width="2"${dash}/>`,
    `<text x="${x + 20}" y="${ly}" font-size="10" fill="#1b1f24">${escapeHtml(name)}</text>`,
  ];
}

/** Horizontal room a legend entry takes. */
const legendWidth = (name: string): number => 30 + 6 * name.length;

/**
 * An SVG line chart with axes, ticks, labels and a legend. Points with a non-finite coordinate
 * break the line instead of being drawn.
 *
 * @internal
 */
export function lineChart(spec: ChartSpec): string {
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]));
  const { parts, sx, sy, r, left } = chartFrame(spec, xs, ys);
  const legendOffsets: number[] = [];
  let offset = 0;
  for (const s of spec.series) {
    legendOffsets.push(offset);
    offset += legendWidth(s.name);
  }
  spec.series.forEach((s, i) => {
    let d = '';
    let pen = false;
    for (const [x, y] of s.points) {
      if (!Number.isFinite(x) || !Number.isFinite(y)) {
        pen = false;
        continue;
      }
      d += `${pen ? 'L' : 'M'}${r(sx(x))} ${r(sy(y))}`;
      pen = true;
    }
    const dash = s.dashed ? ' stroke-dasharray="5 3"' : '';
    parts.push(
      `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${dash} data-series="${escapeHtml(s.name)}"/>`,
    );
    if (spec.markers) {
      for (const [x, y] of s.points) {
        if (Number.isFinite(x) && Number.isFinite(y)) {
          parts.push(`<circle cx="${r(sx(x))}" cy="${r(sy(y))}" r="2.2" fill="${s.color}"/>`);
        }
      }
    }
    // Legend in the top margin, left to right, so it never covers a curve.
    parts.push(...legendEntry(left + legendOffsets[i], s.name, s.color, dash));
  });
  parts.push('</svg>');
  return parts.join('');
}

/**
 * One bin of a reliability diagram, as `reliabilityDiagram` (model module) computes it:
 * probabilities in `[lower, upper)`, their number, mean and observed frequency of positives.
 */
export interface ReliabilityChartBin {
  /** Lower edge of the bin, in [0, 1]. */
  lower: number;
  /** Upper edge of the bin, in [0, 1]. */
  upper: number;
  /** Samples in the bin. */
  count: number;
  /** Their mean predicted probability (NaN when empty). */
  meanPredicted: number;
  /** Fraction of them that are positive (NaN when empty). */
  observed: number;
}

/** What {@link reliabilityChart} draws: the bins and, when known, the figures for its title. */
export interface ReliabilityChartData {
  /** The bins, in any order. */
  bins: readonly ReliabilityChartBin[];
  /** Expected calibration error, shown in the title when given. */
  ece?: number;
  /** Brier score, shown in the title when given. */
  brier?: number;
}

/** Options of {@link reliabilityChart}. */
export interface ReliabilityChartOptions {
  /** Title; the ECE and Brier score are appended when the data has them. Default `'Reliability diagram'`. */
  title: string;
  /** Legend name of the model's points, e.g. `'validation'` or `'calibrated'`. Default `'model'`. */
  name: string;
  /** Colour of bars and points. Default {@link TRAIN_COLOR}. */
  color: string;
  /** Width in pixels. Default 380. */
  width: number;
  /** Height in pixels. Default 260. */
  height: number;
}

/** Defaults of {@link ReliabilityChartOptions}. */
export const DEFAULT_RELIABILITY_CHART_OPTIONS: ReliabilityChartOptions = {
  title: 'Reliability diagram',
  name: 'model',
  color: TRAIN_COLOR,
  width: 380,
  height: 260,
};

/**
 * An SVG reliability diagram, drawn like the ROC and precision–recall charts: predicted
 * probability across, observed frequency of positives up, the dashed diagonal of perfect
 * calibration, one bar per non-empty bin (its height the observed frequency, spanning the
 * bin), a dot at each bin's (mean predicted, observed) joined by a line, and each bin's
 * sample count written at its foot, so sparse bins read as the weak evidence they are. Empty
 * bins draw nothing. Bars carry `data-count`, `data-observed` and `data-predicted` attributes.
 *
 * @param data - the bins (e.g. the result of `reliabilityDiagram`)
 * @param opts - see {@link ReliabilityChartOptions}
 */
export function reliabilityChart(
  data: ReliabilityChartData,
  opts: Partial<ReliabilityChartOptions> = {},
): string {
  const o = { ...DEFAULT_RELIABILITY_CHART_OPTIONS, ...opts };
  const figures = [
    ...(data.ece !== undefined && Number.isFinite(data.ece) ? [`ECE ${data.ece.toFixed(3)}`] : []),
    ...(data.brier !== undefined && Number.isFinite(data.brier)
      ? [`Brier ${data.brier.toFixed(3)}`]
      : []),
  ];
  const title = figures.length > 0 ? `${o.title} (${figures.join(', ')})` : o.title;
  const { parts, sx, sy, r, left, top, ph } = chartFrame(
    {
      title,
      xLabel: 'mean predicted probability',
      yLabel: 'observed frequency',
      xDomain: [0, 1],
      yDomain: [0, 1.02],
      diagonal: true,
      width: o.width,
      height: o.height,
    },
    [],
    [],
  );
  const bins = [...data.bins]
    .filter((b) => b.count > 0 && Number.isFinite(b.observed) && Number.isFinite(b.meanPredicted))
    .sort((a, b) => a.lower - b.lower);
  const base = top + ph;
  for (const b of bins) {
    const x = sx(b.lower) + 1;
    const w = Math.max(0.5, sx(b.upper) - sx(b.lower) - 2);
    const y = sy(b.observed);
    parts.push(
      `<rect x="${r(x)}" y="${r(y)}" width="${r(w)}" height="${r(base - y)}" fill="${o.color}" fill-opacity="0.22" stroke="${o.color}" stroke-opacity="0.6" data-count="${b.count}" data-observed="${b.observed}" data-predicted="${b.meanPredicted}"/>`,
      `<text x="${r(x + w / 2)}" y="${r(base - 3)}" font-size="9" text-anchor="middle" fill="#57606a">${b.count}</text>`,
    );
  }
  const d = bins.map(
    (b, i) => `${i === 0 ? 'M' : 'L'}${r(sx(b.meanPredicted))} ${r(sy(b.observed))}`,
  );
  parts.push(
    `<path d="${d.join('')}" fill="none" stroke="${o.color}" stroke-width="1.8" data-series="${escapeHtml(o.name)}"/>`,
  );
  for (const b of bins) {
    parts.push(
      `<circle cx="${r(sx(b.meanPredicted))}" cy="${r(sy(b.observed))}" r="2.6" fill="${o.color}"/>`,
    );
  }
  parts.push(
    ...legendEntry(left, o.name, o.color),
    ...legendEntry(
      left + legendWidth(o.name),
      'perfect calibration',
      '#8c959f',
      ' stroke-dasharray="3 3"',
    ),
    '</svg>',
  );
  return parts.join('');
}
