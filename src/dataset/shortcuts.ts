import type { Dataset } from './dataset.js';

/** One transform whose use differs between the classes of a dataset (see {@link transformShortcuts}). */
export interface TransformShortcut {
  /** The transform's kind: its recorded name without parameters (`linear`, `flip`, `padded`, ...). */
  transform: string;
  /** Fraction of each class's samples that carry it, by class name. */
  fractions: Record<string, number>;
  /** Largest difference between two classes' fractions. */
  gap: number;
  /** A sentence saying what the model could learn from it. */
  message: string;
}

/** Options of {@link transformShortcuts}. */
export interface TransformShortcutOptions {
  /** Smallest gap between two classes' fractions that is reported. Default 0.1. */
  tolerance: number;
}

/** Defaults of {@link TransformShortcutOptions}. */
export const DEFAULT_TRANSFORM_SHORTCUT_OPTIONS: TransformShortcutOptions = { tolerance: 0.1 };

/**
 * The kind of a recorded transform: `rotate:-12.50` → `rotate`, `flip:lr` → `flip`,
 * `crop:400@10,20:padded` → `crop` (and `padded`, reported apart), `linear` → `linear`.
 */
function kinds(transform: string): string[] {
  const name = transform.split(':')[0];
  return transform.endsWith(':padded') ? [name, 'padded'] : [name];
}

/**
 * The transforms that could tell a model the class: each kind of transform recorded in the
 * samples' provenance (`SampleInfo.transforms`) whose share of samples differs between classes
 * by at least `tolerance`. A transform applied to one class only (zoom/rotate copies of the
 * negatives alone, geometric means of the positives alone) leaves traces in the pixels
 * (resampling, a second noise draw), and a network learns those traces instead of the target;
 * so does padding when one class's images are small. An empty list means every transform is
 * used alike by every class. The caller decides whether to warn or refuse.
 *
 * @param ds - the dataset
 * @param opts - see {@link TransformShortcutOptions}
 * @returns the asymmetric transforms, largest gap first
 */
export function transformShortcuts(
  ds: Dataset,
  opts: Partial<TransformShortcutOptions> = {},
): TransformShortcut[] {
  const { tolerance } = { ...DEFAULT_TRANSFORM_SHORTCUT_OPTIONS, ...opts };
  const classes = ds.classNames;
  const totals = new Array<number>(classes.length).fill(0);
  const counts = new Map<string, number[]>();
  ds.samples.forEach((s, i) => {
    const label = ds.labels[i] ?? s.label;
    totals[label] = (totals[label] ?? 0) + 1;
    const seen = new Set<string>(s.transforms.flatMap(kinds));
    if (s.parents !== undefined && s.parents.length > 1) seen.add('geometric-mean');
    for (const k of seen) {
      const row = counts.get(k) ?? new Array<number>(classes.length).fill(0);
      row[label] = (row[label] ?? 0) + 1;
      counts.set(k, row);
    }
  });
  const present = classes.map((_, i) => i).filter((i) => totals[i] > 0);
  const out: TransformShortcut[] = [];
  for (const [transform, row] of counts) {
    const fractions: Record<string, number> = {};
    const f = present.map((i) => row[i] / totals[i]);
    present.forEach((i, j) => (fractions[classes[i]] = f[j]));
    const gap = f.length > 1 ? Math.max(...f) - Math.min(...f) : 0;
    if (gap < tolerance) continue;
    const pct = present.map((i, j) => `${Math.round(100 * f[j])} % of ${classes[i]}`).join(', ');
    out.push({
      transform,
      fractions,
      gap,
      message: `transform '${transform}' is applied to ${pct} samples: it predicts the class, so a model can learn it instead of the target`,
    });
  }
  return out.sort((a, b) => b.gap - a.gap || a.transform.localeCompare(b.transform));
}
