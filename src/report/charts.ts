// Small inline-SVG line charts for training curves, ROC and precision–recall.
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

/**
 * An SVG line chart with axes, ticks, labels and a legend. Points with a non-finite coordinate
 * break the line instead of being drawn.
 *
 * @internal
 */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 380;
  const height = spec.height ?? 260;
  const m = { top: 40, right: 14, bottom: 42, left: 54 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const xs = spec.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = spec.series.flatMap((s) => s.points.map((p) => p[1]));
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
  const legendOffsets: number[] = [];
  let offset = 0;
  for (const s of spec.series) {
    legendOffsets.push(offset);
    offset += 30 + 6 * s.name.length;
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
    const lx = m.left + legendOffsets[i];
    const ly = 31;
    parts.push(
      `<line x1="${lx}" x2="${lx + 16}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2"${dash}/>`,
      `<text x="${lx + 20}" y="${ly}" font-size="10" fill="#1b1f24">${escapeHtml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
