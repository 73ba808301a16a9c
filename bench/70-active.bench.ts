/**
 * `npm run bench -- active`: a simulated review campaign. How many of the winds in an unseen
 * pool does the astronomer have in front of them after a few rounds of review and retraining,
 * when the loop chooses what to review (active learning), against reviewing at random and
 * against reviewing only the highest scores?
 *
 * - Start: the demo's model and labels (`runDemo` into a temporary folder; `ACTIVE_DEMO=<dir>`
 *   reuses a demo output, `ACTIVE_SOURCES` sets its synthetic sources, default the demo's 8,000).
 * - Pool: `ACTIVE_POOL` (default 2000) images made apart from the training data, a few percent
 *   with a wind (`ACTIVE_WINDS`, default 3 %): `synthesizeScene` with the demo's scene options
 *   but its own seed stream (`ACTIVE_GENERATOR=scene`, the default), or the independent second
 *   generator (`ACTIVE_GENERATOR=second`, other disk and wind shapes).
 * - Each round (`ACTIVE_ROUNDS`, default 5) a strategy picks 20 unreviewed images; the
 *   "astronomer" (the true labels) keeps the winds and rejects the rest; the model is fine-tuned
 *   from its previous weights (`fineTune`, 3 epochs) on a replay of the demo's training part
 *   (512 samples) plus every image reviewed so far, rejected ones weighted as hard negatives.
 *   Strategies: `loop` (`selectForReview`: 12 highest scores, 6 most uncertain by MC dropout,
 *   2 at random), `random` (20 at random), `top` (the 20 highest scores).
 * - Reported after each round, on `recall` lines: the fraction of all the pool's winds within the
 *   top 100 of the list the astronomer is left with (winds confirmed so far first, rejected images
 *   dropped, the rest by the new model's score), and of the model's ranking of the whole pool
 *   alone (`model recall`), with the winds confirmed by review.
 *
 * Everything is seeded (`ACTIVE_SEED`, default 1); the same settings give the same figures.
 * Knobs for experiments: `ACTIVE_ROUNDS`, `ACTIVE_REPLAY` (512), `ACTIVE_EPOCHS` (3),
 * `ACTIVE_LR` (the fine-tuning learning rate as a fraction of the model's, 0.5),
 * `ACTIVE_KEEP_WEIGHT` (1) and `ACTIVE_REJECT_WEIGHT` (2), the loss weights of reviewed images,
 * `ACTIVE_LOOP` (the loop's mix as top,uncertain,random; default 12,6,2) and
 * `ACTIVE_STRATEGIES` (the strategies run, default loop,random,top; each campaign is seeded on
 * its own, so a subset gives the same figures as the full run).
 * Figures and what they say: `docs/review-loop.md`.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRng, shuffleInPlace, type Rng } from '../src/core/random.js';
import { FitsHeader } from '../src/fits/header.js';
import { labelledInputDataset, type LabelledInput } from '../src/dataset/apply-labels.js';
import { concatDatasets, subsetDataset, type Dataset } from '../src/dataset/dataset.js';
import { labelId, type LabelRecord } from '../src/dataset/labels.js';
import { loadDataset } from '../src/dataset/persist.node.js';
import { preprocess } from '../src/dataset/preprocess.js';
import { resolveSavedProfile, type TargetProfile } from '../src/dataset/profile.js';
import { skyScaleFromHeader } from '../src/dataset/sky-scale.js';
import { synthesizeScene } from '../src/dataset/synthesize-scene.js';
import { createImage2D } from '../src/core/image2d.js';
import { applyTemperature } from '../src/model/calibration.js';
import { loadModel } from '../src/model/io.node.js';
import type { LoadedModel } from '../src/model/io.js';
import { scoreWithModel } from '../src/model/tta.js';
import { predictWithUncertainty } from '../src/model/uncertainty.js';
import { DEMO_SCENE_OPTIONS, runDemo } from '../src/pipeline/demo.node.js';
import { fineTune, replayIndices, selectForReview } from '../src/pipeline/retrain.js';
import { generateSecondScene } from './quality/second-generator.js';

const POOL = Number(process.env.ACTIVE_POOL ?? 2000);
const WIND_FRACTION = Number(process.env.ACTIVE_WINDS ?? 0.03);
const ROUNDS = Number(process.env.ACTIVE_ROUNDS ?? 5);
const PER_ROUND = 20;
const TOP_K = 100;
const SEED = Number(process.env.ACTIVE_SEED ?? 1);
const GENERATOR = (process.env.ACTIVE_GENERATOR ?? 'scene') as 'scene' | 'second';
const REPLAY = Number(process.env.ACTIVE_REPLAY ?? 512);
const EPOCHS = Number(process.env.ACTIVE_EPOCHS ?? 3);
/** Loss weights of the reviewed images: kept (winds) and rejected (hard negatives). */
const KEEP_WEIGHT = Number(process.env.ACTIVE_KEEP_WEIGHT ?? 1);
const REJECT_WEIGHT = Number(process.env.ACTIVE_REJECT_WEIGHT ?? 2);
/** Learning rate of the fine-tuning, as a fraction of the model's. */
const LR_FACTOR = Number(process.env.ACTIVE_LR ?? 0.5);
/** The strategies run, in this order. */
const STRATEGIES = (process.env.ACTIVE_STRATEGIES ?? 'loop,random,top')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is Strategy => s === 'loop' || s === 'random' || s === 'top');
/** The loop's mix: highest scores, most uncertain, random. */
const [LOOP_TOP, LOOP_UNCERTAIN, LOOP_RANDOM] = (process.env.ACTIVE_LOOP ?? '12,6,2')
  .split(',')
  .map(Number);
/** Candidates nearest the threshold whose spread MC dropout measures (the rest are far from it). */
const SPREAD_SHORTLIST = 200;

type Strategy = 'loop' | 'random' | 'top';

interface Pool {
  inputs: Float32Array;
  labels: Uint8Array;
  size: number;
  hashes: string[];
}

/** The pool: its own seed stream, `WIND_FRACTION` of it winds at random places. */
function makePool(profile: TargetProfile, seed: number): Pool {
  const S = profile.preprocess.inputSize;
  const rng = createRng(0xac71 ^ (seed * 7919));
  const winds = Math.round(POOL * WIND_FRACTION);
  const order = shuffleInPlace(
    Array.from({ length: POOL }, (_, i) => i),
    rng.fork(),
  );
  const isWind = new Uint8Array(POOL);
  for (const i of order.slice(0, winds)) isWind[i] = 1;
  const inputs = new Float32Array(POOL * S * S);
  const hashes: string[] = [];
  for (let i = 0; i < POOL; i++) {
    const own: Rng = rng.fork();
    const positive = isWind[i] === 1;
    const scene =
      GENERATOR === 'second'
        ? generateSecondScene(own, { label: positive ? 1 : 0, size: 128, index: i })
        : synthesizeScene(own, {
            ...DEMO_SCENE_OPTIONS,
            label: positive ? 'positive' : 'negative',
          });
    const sky = skyScaleFromHeader(new FitsHeader(scene.cards));
    const p = preprocess(scene.image, profile, { source: `pool-${i}`, ...(sky ? { sky } : {}) });
    for (let r = 0; r < S; r++)
      for (let c = 0; c < S; c++) inputs[i * S * S + r * S + c] = p.input.get(r, c);
    hashes.push(`pool${String(i).padStart(12, '0')}`.slice(-16));
  }
  return { inputs, labels: isWind, size: S, hashes };
}

/** The pool image `i` as a model input. */
function poolInput(pool: Pool, i: number) {
  const per = pool.size * pool.size;
  return createImage2D(pool.size, pool.size, pool.inputs.slice(i * per, (i + 1) * per));
}

/** The label the astronomer gives pool image `i`. */
function review(pool: Pool, i: number): LabelRecord {
  const object = { hash: pool.hashes[i], hdu: 0, peak: [0, 0] as [number, number] };
  return {
    v: 1,
    id: labelId(object),
    kind: 'candidate',
    label: pool.labels[i] === 1 ? 'keep' : 'reject',
    who: 'simulated astronomer',
    when: '2025-01-01T00:00:00Z',
    object,
  };
}

/** Calibrated scores of the whole pool. */
async function scorePool(loaded: LoadedModel, pool: Pool): Promise<Float64Array> {
  const n = pool.labels.length;
  const raw = await scoreWithModel(loaded, {
    images: pool.inputs,
    shape: [n, pool.size, pool.size, 1],
    labels: new Int32Array(n),
  });
  return applyTemperature(raw, loaded.meta.calibration?.temperature ?? 1);
}

/** Fraction of the pool's winds among the `TOP_K` first of `ranked`. */
function recallAt(pool: Pool, ranked: number[]): number {
  const total = pool.labels.reduce((a, b) => a + b, 0);
  let found = 0;
  for (const i of ranked.slice(0, TOP_K)) found += pool.labels[i];
  return found / total;
}

interface RoundFigures {
  round: number;
  recall: number;
  modelRecall: number;
  confirmed: number;
  seconds: number;
}

async function campaign(
  strategy: Strategy,
  start: LoadedModel,
  replay: Dataset,
  pool: Pool,
  threshold: number,
  log: (line: string) => void,
): Promise<RoundFigures[]> {
  const reviewed = new Set<number>();
  const labels: LabelledInput[] = [];
  let current = start;
  let scores = await scorePool(current, pool);
  const rng = createRng(SEED * 31 + strategy.length);
  const figures: RoundFigures[] = [];
  const ranked = (s: Float64Array): number[] =>
    Array.from(s.keys()).sort((a, b) => s[b] - s[a] || a - b);
  const report = (round: number, seconds: number): void => {
    const byScore = ranked(scores);
    const confirmed = [...reviewed].filter((i) => pool.labels[i] === 1).sort((a, b) => a - b);
    const list = [...confirmed, ...byScore.filter((i) => !reviewed.has(i))];
    const f = {
      round,
      recall: recallAt(pool, list),
      modelRecall: recallAt(pool, byScore),
      confirmed: confirmed.length,
      seconds,
    };
    figures.push(f);
    log(
      `  ${strategy.padEnd(6)} round ${round}: recall@${TOP_K} ${f.recall.toFixed(3)} ` +
        `(model recall ${f.modelRecall.toFixed(3)}, ${f.confirmed} winds confirmed, ${reviewed.size} reviewed, ${seconds.toFixed(0)} s)`,
    );
  };
  report(0, 0);
  for (let round = 1; round <= ROUNDS; round++) {
    const t0 = performance.now();
    const open = Array.from(scores.keys()).filter((i) => !reviewed.has(i));
    let picks: number[];
    if (strategy === 'random') {
      picks = shuffleInPlace([...open], rng).slice(0, PER_ROUND);
    } else if (strategy === 'top') {
      picks = open.sort((a, b) => scores[b] - scores[a] || a - b).slice(0, PER_ROUND);
    } else {
      // MC-dropout spread for the shortlist nearest the threshold; the rest are far from it.
      const near = [...open]
        .sort((a, b) => Math.abs(scores[a] - threshold) - Math.abs(scores[b] - threshold) || a - b)
        .slice(0, SPREAD_SHORTLIST);
      const per = pool.size * pool.size;
      const pixels = new Float32Array(near.length * per);
      near.forEach((i, k) => pixels.set(pool.inputs.subarray(i * per, (i + 1) * per), k * per));
      const u = await predictWithUncertainty(current.model, pixels, {
        samples: 10,
        seed: round,
        tta: current.meta.tta ?? 'none',
      });
      const std = new Map(near.map((i, k) => [i, u.std[k]]));
      const items = open.map((i) => ({
        score: scores[i],
        ...(std.has(i) ? { std: std.get(i) } : {}),
      }));
      picks = selectForReview(items, {
        threshold,
        seed: SEED * 1000 + round,
        top: LOOP_TOP,
        uncertain: LOOP_UNCERTAIN,
        random: LOOP_RANDOM,
      }).map((p) => open[p.index]);
    }
    for (const i of picks) {
      reviewed.add(i);
      labels.push({ label: review(pool, i), input: poolInput(pool, i) });
    }
    const labelled = labelledInputDataset(labels, replay.classNames, {
      hardNegativeWeight: REJECT_WEIGHT,
    });
    for (const s of labelled.samples)
      if (s.reviewed === 'keep' && KEEP_WEIGHT !== 1) s.weight = KEEP_WEIGHT;
    const data = concatDatasets([replay, labelled]);
    const tuned = await fineTune(current, data, {
      epochs: EPOCHS,
      seed: SEED * 100 + round,
      learningRate: (start.meta.trainConfig?.learningRate ?? 2e-3) * LR_FACTOR,
    });
    if (current !== start) current.model.dispose();
    current = { model: tuned.model, meta: start.meta };
    scores = await scorePool(current, pool);
    report(round, (performance.now() - t0) / 1000);
  }
  if (current !== start) current.model.dispose();
  return figures;
}

export default async function bench(): Promise<void> {
  const log = (line: string): void => console.log(line);
  log(
    `\n== active: simulated review campaign (pool ${POOL}, ${WIND_FRACTION * 100} % winds, ${ROUNDS} rounds of ${PER_ROUND}) ==`,
  );
  let demoDir = process.env.ACTIVE_DEMO;
  let tmp: string | undefined;
  const t0 = performance.now();
  if (
    demoDir === undefined ||
    !(await stat(join(demoDir, 'model', 'meta.json')).catch(() => false))
  ) {
    tmp = await mkdtemp(join(tmpdir(), 'alma-active-'));
    demoDir = join(tmp, 'demo');
    log(`running the demo into ${demoDir} (its model and labels are the start)`);
    await runDemo({
      out: demoDir,
      seed: SEED,
      ...(process.env.ACTIVE_SOURCES
        ? { syntheticSources: Number(process.env.ACTIVE_SOURCES) }
        : {}),
      log: () => undefined,
    });
  }
  try {
    const start = await loadModel(join(demoDir, 'model'));
    const profile = resolveSavedProfile(start.meta.profile);
    const threshold = start.meta.threshold ?? 0.5;
    const ds = await loadDataset(join(demoDir, 'dataset'));
    const replay = subsetDataset(ds, replayIndices(ds, REPLAY, SEED));
    log(
      `start: the demo's model and dataset (${ds.labels.length} samples; replay ${replay.labels.length}), ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
    const t1 = performance.now();
    const pool = makePool(profile, SEED);
    const winds = pool.labels.reduce((a, b) => a + b, 0);
    log(
      `pool: ${POOL} images (${GENERATOR === 'second' ? 'second generator' : 'synthesizeScene, own seed stream'}), ${winds} winds, ${((performance.now() - t1) / 1000).toFixed(0)} s`,
    );
    const results: Partial<Record<Strategy, RoundFigures[]>> = {};
    for (const s of STRATEGIES) results[s] = await campaign(s, start, replay, pool, threshold, log);
    log(
      `recall of all ${winds} winds within the top ${TOP_K} after each round (model recall in brackets):`,
    );
    log(`  round  ${STRATEGIES.map((s) => s.padEnd(15)).join(' ')}`);
    for (let r = 0; r <= ROUNDS; r++) {
      log(
        `  ${String(r).padStart(5)}  ${STRATEGIES.map((s) => {
          const f = results[s]![r];
          return `${f.recall.toFixed(3)} (${f.modelRecall.toFixed(3)})`.padEnd(15);
        }).join(' ')}`,
      );
    }
    const last = (s: Strategy): number | undefined => results[s]?.[ROUNDS].recall;
    const fmt = (v: number | undefined): string => (v === undefined ? 'not run' : v.toFixed(3));
    const [loop, random] = [last('loop'), last('random')];
    log(
      `recall after ${ROUNDS} rounds: loop ${fmt(loop)}, random ${fmt(random)}, top-score ${fmt(last('top'))}` +
        (loop !== undefined && random !== undefined
          ? `; loop / random ${(loop / random).toFixed(2)}x`
          : '') +
        ` (aim: >= 0.8 and >= 1.5x); total ${((performance.now() - t0) / 1000).toFixed(0)} s`,
    );
  } finally {
    if (tmp !== undefined) await rm(tmp, { recursive: true, force: true });
  }
}
