// Screen a training recipe in one run (docs/model.md, "Third round"): train on independent
// synthetic scenes, score per source on held-out scenes, on the three real images, and on the
// evaluation-only second generator (bench/quality/second-generator.ts), never used for training.
//
//   npx tsx scripts/screen-recipe.ts
//
// Settings come from the environment:
//   N=2000              scenes per class (4,000 scenes), grouped by scene into test, validation
//                       and training parts
//   TEST=0.25 VAL=0.15  fractions of the scenes held out for test and for validation
//   SEED=1              seed of the scenes, the split and training
//   PROFILE='{...}'     a TargetProfileInput over the default profile, e.g.
//                       '{"train":{"epochs":40,"learningRateSchedule":"cosine"}}'
//   SCENE='{...}'       synthesizeScene options over the demo's (DEMO_SCENE_OPTIONS)
//   TRAINGEN=second     train on the second generator's scenes instead (its own ceiling)
//   NSECOND=400         second-generator scenes scored (half with a wind); 0 skips them
//   NFRESH=0            also score this many fresh scenes of the demo's generator, always the
//                       same ones (seed 9000) whatever N, SEED and TEST: a fixed yardstick for
//                       comparing recipes whose held-out parts differ
// The figures of docs/model.md's screening tables are single runs of this script (seed 1).
import { createRng } from '../src/core/random.js';
import type { Image2D } from '../src/core/image2d.js';
import { FitsHeader, type FitsCard } from '../src/fits/header.js';
import { readFitsFile, requireImage } from '../src/fits/index.node.js';
import { buildNegativeSet, buildPositiveSet, type SourceImage } from '../src/dataset/build.js';
import { concatDatasets } from '../src/dataset/dataset.js';
import { preprocess } from '../src/dataset/preprocess.js';
import { resolveProfile, type TargetProfileInput } from '../src/dataset/profile.js';
import { skyScaleFromHeader } from '../src/dataset/sky-scale.js';
import { synthesizeScene } from '../src/dataset/synthesize-scene.js';
import { computeMetrics } from '../src/model/metrics.js';
import { scoreWithModel } from '../src/model/tta.js';
import { baselineWindScore } from '../src/model/baseline.js';
import { trainAndCalibrate } from '../src/pipeline/train-flow.js';
import { DEMO_SCENE_OPTIONS } from '../src/pipeline/demo.node.js';
import { generateSecondScene } from '../bench/quality/second-generator.js';
import { FITS_DIR, REAL_FITS } from '../test/helpers/fits-fixtures.js';

const env = process.env;
const N = Number(env.N ?? 2000);
const SEED = Number(env.SEED ?? 1);
const NSECOND = Number(env.NSECOND ?? 400);
const NFRESH = Number(env.NFRESH ?? 0);
const t0 = performance.now();
const lap = (m: string): void =>
  console.log(`[${((performance.now() - t0) / 1000).toFixed(1)} s] ${m}`);

const input = JSON.parse(env.PROFILE ?? '{}') as TargetProfileInput;
const profile = resolveProfile({
  ...input,
  name: 'screen',
  train: { ...input.train, seed: SEED },
});
const S = profile.preprocess.inputSize;
const scene = { ...DEMO_SCENE_OPTIONS, ...(JSON.parse(env.SCENE ?? '{}') as object) };

/** One training scene of either generator, with its sky scale and a name saying what it is. */
function trainingScene(i: number, rng: ReturnType<typeof createRng>): SourceImage {
  const positive = i % 2 === 1;
  let image: Image2D;
  let cards: FitsCard[];
  let name: string;
  if (env.TRAINGEN === 'second') {
    const s = generateSecondScene(rng.fork(), { label: positive ? 1 : 0, size: 256, index: i });
    [image, cards, name] = [s.image, s.cards, s.kind];
    windSnr.set(`scene-${i}-${name}`, Number(s.params.windPeakSigma ?? NaN));
  } else {
    const s = synthesizeScene(rng.fork(), { ...scene, label: positive ? 'positive' : 'negative' });
    [image, cards, name] = [s.image, s.cards, s.kind];
    windSnr.set(`scene-${i}-${name}`, Number(s.params.windSnr ?? NaN));
  }
  const sky = skyScaleFromHeader(new FitsHeader(cards));
  return { image, source: `scene-${i}-${name}`, ...(sky ? { sky } : {}) };
}

/** The wind's peak S/N of each training scene (either generator's), by source name. */
const windSnr = new Map<string, number>();
const rng = createRng(1000 + SEED);
const pos: SourceImage[] = [];
const neg: SourceImage[] = [];
for (let i = 0; i < 2 * N; i++) (i % 2 === 1 ? pos : neg).push(trainingScene(i, rng));
lap(`${2 * N} scenes (${env.TRAINGEN === 'second' ? 'second generator' : 'synthesizeScene'})`);
const ds = concatDatasets([
  await buildNegativeSet(neg, profile, { seed: SEED }),
  await buildPositiveSet(pos, profile, { seed: SEED }),
]);
const r = await trainAndCalibrate(ds, {
  profile,
  split: { seed: SEED, test: Number(env.TEST ?? 0.25), validation: Number(env.VAL ?? 0.15) },
  evaluation: { resamples: 200 },
});
const m = r.evaluation!.metrics;
lap(`trained (best epoch ${r.history.bestEpoch + 1}, threshold ${r.meta.threshold?.toFixed(3)})`);
console.log(`held-out per source: n ${m.n} ROC AUC ${m.rocAuc.toFixed(4)} F1 ${m.f1.toFixed(3)}`);

/** ROC AUC of some positives against all the negatives. */
function aucAgainst(pos: number[], neg: number[]): number {
  return computeMetrics([...pos, ...neg], [...pos.map(() => 1), ...neg.map(() => 0)]).rocAuc;
}

// Where the held-out errors are: each kind's recall or false-positive rate at the threshold, and
// the winds by their peak S/N (fifths of the held-out winds).
{
  const thr = r.meta.threshold ?? 0.5;
  const rows = r.evaluation!.sources.map((s) => ({
    kind: String(s.source).replace(/^scene-\d+-/, ''),
    label: s.label,
    score: s.score,
    windSnr: windSnr.get(String(s.source)) ?? NaN,
  }));
  const neg = rows.filter((x) => x.label === 0).map((x) => x.score);
  const kinds = [...new Set(rows.map((x) => x.kind))].sort();
  for (const k of kinds) {
    const xs = rows.filter((x) => x.kind === k);
    const positive = xs[0].label === 1;
    const rate = xs.filter((x) => x.score >= thr).length / xs.length;
    console.log(
      `  ${k.padEnd(14)} ${String(xs.length).padStart(4)} ${positive ? 'recall' : 'false-positive rate'} ${rate.toFixed(3)}` +
        (positive
          ? `, ROC AUC against all negatives ${aucAgainst(
              xs.map((x) => x.score),
              neg,
            ).toFixed(3)}`
          : ''),
    );
  }
  const winds = rows.filter((x) => x.label === 1).sort((a, b) => a.windSnr - b.windSnr);
  for (let b = 0; b < 5; b++) {
    const xs = winds.slice(
      Math.floor((b * winds.length) / 5),
      Math.floor(((b + 1) * winds.length) / 5),
    );
    if (xs.length === 0) continue;
    console.log(
      `  winds ${xs[0].windSnr.toFixed(1)}–${xs[xs.length - 1].windSnr.toFixed(1)}σ: recall ${(xs.filter((x) => x.score >= thr).length / xs.length).toFixed(3)}, ` +
        `ROC AUC against all negatives ${aucAgainst(
          xs.map((x) => x.score),
          neg,
        ).toFixed(3)}`,
    );
  }
}

/** The model's raw (uncalibrated) scores of prepared inputs, `S x S` each. */
async function scores(inputs: Image2D[]): Promise<Float32Array> {
  const x = new Float32Array(inputs.length * S * S);
  inputs.forEach((img, i) => x.set(img.data.subarray(0, S * S), i * S * S));
  return scoreWithModel(r, {
    images: x,
    shape: [inputs.length, S, S, 1],
    labels: new Int32Array(inputs.length),
  });
}

if (NFRESH > 0) {
  const rngF = createRng(9000);
  const fresh: Image2D[] = [];
  const freshLabels: number[] = [];
  for (let i = 0; i < NFRESH; i++) {
    const positive = i % 2 === 1;
    const s = synthesizeScene(rngF.fork(), { ...scene, label: positive ? 'positive' : 'negative' });
    const sky = skyScaleFromHeader(new FitsHeader(s.cards));
    fresh.push(
      preprocess(s.image, profile, { source: `fresh-${i}`, ...(sky ? { sky } : {}) }).input,
    );
    freshLabels.push(positive ? 1 : 0);
  }
  const fm = computeMetrics(Array.from(await scores(fresh)), freshLabels);
  console.log(
    `${NFRESH} fresh scenes of the demo's generator (seed 9000): ROC AUC ${fm.rocAuc.toFixed(4)}`,
  );
}

for (const file of Object.values(REAL_FITS)) {
  const fits = await readFitsFile(`${FITS_DIR}${file}`);
  const sky = skyScaleFromHeader(fits.hdus[fits.imageHdu ?? 0].header);
  const p = preprocess(requireImage(fits), profile, { source: file, ...(sky ? { sky } : {}) });
  const [s] = await scores([p.input]);
  console.log(
    `real ${file.slice(0, 32)}: ${s.toFixed(3)} (threshold ${r.meta.threshold?.toFixed(3)})`,
  );
}

const rng2 = createRng(5000 + SEED);
const inputs: Image2D[] = [];
const labels: number[] = [];
const sigma: number[] = [];
const base: number[] = [];
for (let i = 0; i < NSECOND; i++) {
  const s = generateSecondScene(rng2.fork(), { label: i % 2 === 1 ? 1 : 0, size: 256, index: i });
  const sky = skyScaleFromHeader(new FitsHeader(s.cards));
  inputs.push(
    preprocess(s.image, profile, { source: `second-${i}`, ...(sky ? { sky } : {}) }).input,
  );
  labels.push(s.label);
  sigma.push(s.label === 1 ? Number(s.params.windPeakSigma) : Infinity);
  base.push(baselineWindScore(s.image).score);
}
const sc = NSECOND > 0 ? Array.from(await scores(inputs)) : [];
for (const lo of NSECOND > 0 ? [0, 5, 10, 20] : []) {
  const keep = labels.map((l, i) => l === 0 || sigma[i] >= lo);
  const pick = <T>(a: T[]): T[] => a.filter((_, i) => keep[i]);
  console.log(
    `second generator, winds from ${lo}σ: ROC AUC ${computeMetrics(pick(sc), pick(labels)).rocAuc.toFixed(4)} ` +
      `(baseline ${computeMetrics(pick(base), pick(labels)).rocAuc.toFixed(4)}, ${pick(labels).filter((l) => l === 1).length} winds)`,
  );
}
lap('done');
