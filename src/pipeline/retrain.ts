/**
 * The review loop's model steps, browser-safe: choosing what a person should look at next
 * (the highest scores, the most uncertain, a few at random), fine-tuning a model from its own
 * weights on the decisions made so far (with a replay of its training set so it does not forget
 * it), and saying how a re-ranking moved the candidates. The review page runs the same code in
 * the browser as `retrain` and the active-learning benchmark run in Node, so one set of
 * decisions and one seed give one model.
 */
import type * as tf from '@tensorflow/tfjs';
import { createRng, shuffleInPlace } from '../core/random.js';
import type { Dataset } from '../dataset/dataset.js';
import { resolveSavedProfile } from '../dataset/profile.js';
import type { ModelConfig, TensorData, TrainConfig } from '../model/config.js';
import { createModel } from '../model/factory.js';
import type { LoadedModel } from '../model/io.js';
import { trainModel, type TrainHistory } from '../model/train.js';
import type { EpochLog } from '../model/config.js';

/** Why a candidate is on a review page. */
export type ReviewReason = 'top' | 'uncertain' | 'random';

/** Options of {@link selectForReview}; defaults in {@link DEFAULT_REVIEW_SELECTION_OPTIONS}. */
export interface ReviewSelectionOptions {
  /** The highest scores. Default 12. */
  top: number;
  /** The most uncertain: the fewest standard deviations from the threshold. Default 6. */
  uncertain: number;
  /** Chosen at random among the rest, for an unbiased estimate of what the ranking misses. Default 2. */
  random: number;
  /** The score a candidate is called the target at (the model's threshold). Default 0.5. */
  threshold: number;
  /** Seed of the random picks. Default 1. */
  seed: number;
}

/** Defaults of {@link ReviewSelectionOptions}: 20 a round, 12 top, 6 uncertain, 2 random. */
export const DEFAULT_REVIEW_SELECTION_OPTIONS: ReviewSelectionOptions = {
  top: 12,
  uncertain: 6,
  random: 2,
  threshold: 0.5,
  seed: 1,
};

/** One candidate as {@link selectForReview} sees it. */
export interface ScoredItem {
  /** Calibrated score of the target class. */
  score: number;
  /** Spread of the score (MC dropout standard deviation), when measured. */
  std?: number;
}

/** One pick of {@link selectForReview}. */
export interface ReviewPick {
  /** Index into the items. */
  index: number;
  /** Why it was picked. */
  reason: ReviewReason;
}

/** The smallest spread counted, so a confident score far from the threshold stays far. */
const MIN_STD = 0.02;

/**
 * The candidates to review next (active learning): the `top` highest scores, then the
 * `uncertain` ones whose score lies the fewest standard deviations from the threshold
 * (`|score - threshold| / max(std, 0.02)`; without a spread, the closest to the threshold), then
 * `random` more drawn with the seed from the rest. No candidate is picked twice; ties break by
 * index, so the same items and seed give the same picks. Items already decided should be left
 * out by the caller.
 *
 * @param items - the candidates' scores (and spreads)
 * @param opts - see {@link ReviewSelectionOptions}
 * @returns the picks, top first, then uncertain, then random
 */
export function selectForReview(
  items: readonly ScoredItem[],
  opts: Partial<ReviewSelectionOptions> = {},
): ReviewPick[] {
  const o = { ...DEFAULT_REVIEW_SELECTION_OPTIONS, ...opts };
  const key = (s: number): number => (Number.isNaN(s) ? -Infinity : s);
  const order = items.map((_, i) => i);
  const byScore = [...order].sort((a, b) => key(items[b].score) - key(items[a].score) || a - b);
  const picks: ReviewPick[] = [];
  const taken = new Set<number>();
  for (const i of byScore.slice(0, o.top)) {
    picks.push({ index: i, reason: 'top' });
    taken.add(i);
  }
  const distance = (i: number): number => {
    const it = items[i];
    if (Number.isNaN(it.score)) return Infinity;
    return Math.abs(it.score - o.threshold) / Math.max(it.std ?? MIN_STD, MIN_STD);
  };
  const byDoubt = order
    .filter((i) => !taken.has(i))
    .sort((a, b) => distance(a) - distance(b) || a - b);
  for (const i of byDoubt.slice(0, o.uncertain)) {
    picks.push({ index: i, reason: 'uncertain' });
    taken.add(i);
  }
  const rest = order.filter((i) => !taken.has(i));
  shuffleInPlace(rest, createRng(o.seed));
  for (const i of rest.slice(0, o.random)) picks.push({ index: i, reason: 'random' });
  return picks;
}

/** Options of {@link fineTune}; defaults in {@link DEFAULT_FINE_TUNE_OPTIONS}. */
export interface FineTuneOptions {
  /** Passes over the data. Default 4. */
  epochs: number;
  /** Learning rate. Default: half the model's (it is fine-tuned, not trained afresh). */
  learningRate?: number;
  /** Samples per step. Default: the model's training batch size, else 32. */
  batchSize?: number;
  /** Seed of the shuffles, augmentation and dropout. Default 1. */
  seed: number;
  /**
   * Threads sharing each batch (Node). Default `'auto'`; the browser has one. Pass 1 to get the
   * browser's model bit for bit, up to the SIMD build's float rounding.
   */
  threads?: number | 'auto';
  /** @deprecated The old name of {@link FineTuneOptions.threads}, read when `threads` is absent. */
  workers?: number | 'auto';
  /** Called after every epoch. */
  onEpochEnd?: (log: EpochLog) => void;
}

/** Defaults of {@link FineTuneOptions}. */
export const DEFAULT_FINE_TUNE_OPTIONS: FineTuneOptions = { epochs: 4, seed: 1 };

/** What {@link fineTune} returns. */
export interface FineTuneResult {
  /** The new model (the given one is not changed). */
  model: tf.LayersModel;
  /** Its training history. */
  history: TrainHistory;
  /** The training settings used. */
  train: Partial<TrainConfig>;
}

/** The architecture of a loaded model: its saved config, else its profile's. */
export function modelConfigOf(loaded: LoadedModel): Partial<ModelConfig> {
  if (loaded.meta.modelConfig !== undefined) return { ...loaded.meta.modelConfig };
  const profile = resolveSavedProfile(loaded.meta.profile);
  return { ...profile.model, classes: loaded.meta.classNames.length };
}

/**
 * Fine-tune a copy of a model from its own weights: `epochs` passes over `data` (typically a
 * replay of the model's training set plus the reviewed candidates, `labelledInputDataset`),
 * with each sample's weight (`SampleInfo.weight`: hard negatives count more) and the model's
 * own training augmentation, at half its learning rate, with no early stopping (there is no
 * validation part in a review page). Deterministic: the same model, data, options and thread
 * count give the same weights in Node and in a browser (the WebAssembly engine trains in both).
 *
 * @param loaded - the model to start from (not modified)
 * @param data - the training data; a {@link Dataset} lends its samples' weights
 * @param opts - see {@link FineTuneOptions}
 */
export async function fineTune(
  loaded: LoadedModel,
  data: TensorData | Dataset,
  opts: Partial<FineTuneOptions> = {},
): Promise<FineTuneResult> {
  const o = { ...DEFAULT_FINE_TUNE_OPTIONS, ...opts };
  const saved = loaded.meta.trainConfig ?? {};
  const profile = resolveSavedProfile(loaded.meta.profile);
  const base: Partial<TrainConfig> = { ...profile.train, ...saved };
  const model = await createModel(modelConfigOf(loaded));
  model.setWeights(loaded.model.getWeights());
  const samples = 'samples' in data ? data.samples : undefined;
  const weighted = samples?.some((s) => s.weight !== undefined && s.weight !== 1);
  const train: Partial<TrainConfig> = {
    optimizer: base.optimizer ?? 'adam',
    loss: base.loss ?? 'binaryCrossentropy',
    learningRate: o.learningRate ?? (base.learningRate ?? 1e-3) / 2,
    batchSize: o.batchSize ?? base.batchSize ?? 32,
    epochs: o.epochs,
    seed: o.seed,
    shuffle: true,
    ...(base.augment !== undefined ? { augment: base.augment } : {}),
    ...((o.threads ?? o.workers) !== undefined ? { threads: o.threads ?? o.workers } : {}),
  };
  const history = await trainModel(model, data, {
    ...train,
    ...(weighted && samples
      ? { sampleWeight: Float32Array.from(samples, (s) => s.weight ?? 1) }
      : {}),
    ...(o.onEpochEnd ? { onEpochEnd: o.onEpochEnd } : {}),
  });
  return { model, history, train };
}

/**
 * A replay of a dataset for fine-tuning: up to `count` samples of its training part (all of it
 * when it records no split), half of each class where it has them, drawn with the seed and
 * returned in dataset order. What the review page carries, so a retrain in the browser does not
 * forget what the model knew; `retrain --replay N` draws the same.
 *
 * @param ds - the model's dataset
 * @param count - the most samples
 * @param seed - seed of the draw. Default 1
 * @returns indices into `ds`
 */
export function replayIndices(ds: Dataset, count: number, seed = 1): number[] {
  const recorded = ds.samples.length > 0 && ds.samples.every((s) => s.split !== undefined);
  const pool = ds.samples
    .map((s, i) => i)
    .filter((i) => !recorded || ds.samples[i].split === 'train');
  const classes = [...new Set(pool.map((i) => ds.labels[i]))].sort((a, b) => a - b);
  const rng = createRng(seed);
  const chosen: number[] = [];
  const per = Math.ceil(count / Math.max(1, classes.length));
  for (const c of classes) {
    const mine = pool.filter((i) => ds.labels[i] === c);
    shuffleInPlace(mine, rng);
    chosen.push(...mine.slice(0, per));
  }
  return chosen.sort((a, b) => a - b).slice(0, Math.max(0, count));
}

/** How one candidate moved between two rankings. */
export interface RankMove {
  /** The candidate's id. */
  id: string;
  /** Rank before (1 = highest score). */
  before: number;
  /** Rank after. */
  after: number;
  /** Score before. */
  scoreBefore: number;
  /** Score after. */
  scoreAfter: number;
}

/**
 * How a re-ranking moved candidates: every candidate's rank and score before and after, the
 * largest moves first (then by id). Candidates missing from either list are left out.
 *
 * @param before - the candidates and scores before
 * @param after - the same candidates and their new scores
 */
export function rankMoves(
  before: readonly { id: string; score: number }[],
  after: readonly { id: string; score: number }[],
): RankMove[] {
  const rank = (list: readonly { id: string; score: number }[]): Map<string, [number, number]> => {
    const sorted = [...list].sort(
      (a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    return new Map(sorted.map((c, i) => [c.id, [i + 1, c.score]]));
  };
  const a = rank(before);
  const b = rank(after);
  const moves: RankMove[] = [];
  for (const [id, [r0, s0]] of a) {
    const next = b.get(id);
    if (next === undefined) continue;
    moves.push({ id, before: r0, after: next[0], scoreBefore: s0, scoreAfter: next[1] });
  }
  return moves.sort(
    (x, y) =>
      Math.abs(y.after - y.before) - Math.abs(x.after - x.before) ||
      (x.id < y.id ? -1 : x.id > y.id ? 1 : 0),
  );
}
