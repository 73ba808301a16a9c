/**
 * `npm run bench -- quality`: what the demo's model is worth, measured on sources it never saw.
 *
 * For each seed (1, 2, 3; `QUALITY_SEEDS=1,2` to change) the whole demo runs (`runDemo`: 8,000
 * synthetic scenes, three grouped parts, training with early stopping, calibration and threshold
 * on validation) and the bench prints:
 * - per source on the demo's held-out synthetic sources: ROC AUC and F1 with 95 % bootstrap
 *   intervals, and the model-free baseline's ROC AUC on the same sources;
 * - the real images: every flip of B335 (trained on), Serpens South C7 and COS850 (held out),
 *   against the threshold;
 * - on a second, independent generator (`bench/quality/second-generator.ts`, never used for
 *   training, other disk and wind shapes): ROC AUC over all its scenes (winds from 3σ) and over
 *   those whose wind peaks at 5σ or more (the demo's training floor), with the baseline's on the
 *   same scenes, and completeness by wind brightness.
 * Then the mean and spread over seeds, and the time of a 5-fold grouped cross-validation of the
 * default model on seed 1's dataset. Nothing here is fitted on a test part.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng } from '../src/core/random.js';
import { FitsHeader } from '../src/fits/header.js';
import { loadDataset } from '../src/dataset/persist.node.js';
import { preprocess } from '../src/dataset/preprocess.js';
import { skyScaleFromHeader } from '../src/dataset/sky-scale.js';
import { baselineWindScore } from '../src/model/baseline.js';
import { applyTemperature } from '../src/model/calibration.js';
import { loadModel } from '../src/model/io.node.js';
import { computeMetrics, summarizeSpread, type Spread } from '../src/model/metrics.js';
import { scoreWithModel } from '../src/model/tta.js';
import { crossValidate, formatCrossValidation } from '../src/pipeline/cross-validate.js';
import { runDemo, type DemoResult } from '../src/pipeline/demo.node.js';
import { generateSecondScene } from './quality/second-generator.js';
import { fixtures } from './peers.js';

/** Second-generator scenes scored per seed (half with a wind), and their side in pixels. */
const SECOND_COUNT = Number(process.env.QUALITY_SECOND ?? 400);
const SECOND_SIZE = 256;

interface SecondSet {
  inputs: Float32Array;
  labels: number[];
  windSigma: number[];
  baseline: number[];
  kinds: string[];
}

/** The second generator's scenes, prepared as the model's inputs (one fixed set for all seeds). */
function secondSet(profileInput: Parameters<typeof preprocess>[1]): SecondSet {
  const rng = createRng(20261207);
  const S = profileInput.preprocess.inputSize;
  const inputs = new Float32Array(SECOND_COUNT * S * S);
  const labels: number[] = [];
  const windSigma: number[] = [];
  const baseline: number[] = [];
  const kinds: string[] = [];
  for (let i = 0; i < SECOND_COUNT; i++) {
    const s = generateSecondScene(rng.fork(), {
      label: i % 2 === 1 ? 1 : 0,
      size: SECOND_SIZE,
      index: i,
    });
    const sky = skyScaleFromHeader(new FitsHeader(s.cards));
    const p = preprocess(s.image, profileInput, { source: `second-${i}`, ...(sky ? { sky } : {}) });
    for (let r = 0; r < S; r++)
      for (let c = 0; c < S; c++) inputs[i * S * S + r * S + c] = p.input.get(r, c);
    labels.push(s.label);
    windSigma.push(s.label === 1 ? Number(s.params.windPeakSigma) : NaN);
    baseline.push(baselineWindScore(s.image).score);
    kinds.push(s.kind);
  }
  return { inputs, labels, windSigma, baseline, kinds };
}

function auc(scores: ArrayLike<number>, labels: readonly number[], keep: (i: number) => boolean) {
  const s: number[] = [];
  const l: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    if (!keep(i)) continue;
    s.push(scores[i]);
    l.push(labels[i]);
  }
  return computeMetrics(s, l).rocAuc;
}

const f3 = (v: number): string => (Number.isFinite(v) ? v.toFixed(3) : 'n/a');
const spread = (s: Spread): string =>
  `${f3(s.mean)} ± ${f3(s.std)} (${f3(s.min)}–${f3(s.max)}, ${s.n} seeds)`;

export default async function bench(): Promise<void> {
  const seeds = (process.env.QUALITY_SEEDS ?? '1,2,3').split(',').map(Number);
  const work = await mkdtemp(join(tmpdir(), 'alma-quality-'));
  const rows: Record<string, number[]> = {};
  const add = (k: string, v: number): void => {
    (rows[k] ??= []).push(v);
  };
  let second: SecondSet | undefined;
  let firstDemo: { dir: string; result: DemoResult } | undefined;
  console.log('\n## quality: the demo model on sources it never saw\n');
  try {
    for (const seed of seeds) {
      const dir = join(work, `seed-${seed}`);
      const t0 = performance.now();
      const result = await runDemo({
        out: dir,
        seed,
        realDir: join(fixtures, 'fits'),
        saliency: 0,
        log: () => undefined,
      });
      const demoSeconds = (performance.now() - t0) / 1000;
      firstDemo ??= { dir, result };
      const e = result.evaluation;
      if (!e) throw new Error(`seed ${seed}: the demo has no test evaluation`);
      const ci = e.intervals?.metrics;
      console.log(
        `seed ${seed}: demo ${demoSeconds.toFixed(0)} s; held-out synthetic, ${e.metrics.n} sources: ` +
          `ROC AUC ${f3(e.metrics.rocAuc)} [${f3(ci?.rocAuc.lower ?? NaN)}, ${f3(ci?.rocAuc.upper ?? NaN)}], ` +
          `F1 ${f3(e.metrics.f1)} [${f3(ci?.f1.lower ?? NaN)}, ${f3(ci?.f1.upper ?? NaN)}] at threshold ${f3(e.threshold)}; ` +
          `baseline ROC AUC ${f3(result.baseline?.rocAuc ?? NaN)}`,
      );
      add('demo seconds', demoSeconds);
      add('test ROC AUC', e.metrics.rocAuc);
      add('test F1', e.metrics.f1);
      add('test baseline ROC AUC', result.baseline?.rocAuc ?? NaN);
      const real = result.realImages
        .map(
          (r) =>
            `${r.file.slice(0, 6)}${r.transform === 'none' ? '' : `:${r.transform}`} ${f3(r.score)}${r.right ? '' : ' WRONG'}`,
        )
        .join(', ');
      const allRight = result.realImages.length === 6 && result.realImages.every((r) => r.right);
      add('real images right', allRight ? 1 : 0);
      console.log(`        real (threshold ${f3(e.threshold)}): ${real}`);

      const loaded = await loadModel(join(dir, 'model'));
      second ??= secondSet(result.profile);
      const S = result.profile.preprocess.inputSize;
      const raw = await scoreWithModel(loaded, {
        images: second.inputs,
        shape: [SECOND_COUNT, S, S, 1],
        labels: Int32Array.from(second.labels),
      });
      const scores = applyTemperature(raw, loaded.meta.calibration?.temperature ?? 1);
      const sv = second;
      const bright = (i: number): boolean => sv.labels[i] === 0 || sv.windSigma[i] >= 5;
      const all = auc(scores, sv.labels, () => true);
      const b5 = auc(scores, sv.labels, bright);
      const base = auc(sv.baseline, sv.labels, () => true);
      const base5 = auc(sv.baseline, sv.labels, bright);
      const threshold = loaded.meta.threshold ?? 0.5;
      const recall = (lo: number, hi: number): string => {
        const idx = sv.labels.flatMap((l, i) =>
          l === 1 && sv.windSigma[i] >= lo && sv.windSigma[i] < hi ? [i] : [],
        );
        const hit = idx.filter((i) => scores[i] >= threshold).length;
        return `${hit}/${idx.length}`;
      };
      const fp = sv.labels.filter((l, i) => l === 0 && scores[i] >= threshold).length;
      console.log(
        `        second generator, ${SECOND_COUNT} scenes: ROC AUC ${f3(all)} (baseline ${f3(base)}); ` +
          `winds ≥ 5σ: ${f3(b5)} (baseline ${f3(base5)}); recall at the threshold by wind peak ` +
          `3–5σ ${recall(0, 5)}, 5–10σ ${recall(5, 10)}, 10–20σ ${recall(10, 20)}, ≥ 20σ ${recall(20, Infinity)}; ` +
          `false positives ${fp}/${sv.labels.filter((l) => l === 0).length}`,
      );
      add('second ROC AUC', all);
      add('second ROC AUC (winds ≥ 5σ)', b5);
      add('second baseline ROC AUC', base);
      add('second baseline ROC AUC (winds ≥ 5σ)', base5);
      loaded.model.dispose();
    }
    console.log('\nover seeds:');
    for (const [k, v] of Object.entries(rows))
      console.log(`  ${k.padEnd(38)} ${spread(summarizeSpread(v))}`);

    if (firstDemo && process.env.QUALITY_CV !== '0') {
      const ds = await loadDataset(join(firstDemo.dir, 'dataset'));
      const t = performance.now();
      const cv = await crossValidate(ds, {
        profile: firstDemo.result.profile,
        k: 5,
        seed: 1,
        evaluation: { resamples: 0 },
      });
      console.log(`\n${formatCrossValidation(cv)}`);
      console.log(
        `  5-fold cross-validation of the default model: ${((performance.now() - t) / 1000).toFixed(0)} s`,
      );
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
