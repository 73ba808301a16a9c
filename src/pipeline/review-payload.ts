/**
 * The review page's retraining, browser-safe: what `review` puts in the page (the model's
 * weights, the candidates' inputs, a replay of its dataset) and the retraining it runs there on
 * the decisions made so far. Node runs the same function on the same payload, so a page and a
 * script give one model for one set of decisions and one seed.
 */
import * as tf from '@tensorflow/tfjs';
import { createImage2D, type Image2D } from '../core/image2d.js';
import { labelledInputDataset, type LabelledInput } from '../dataset/apply-labels.js';
import { concatDatasets, DatasetBuilder, type Dataset } from '../dataset/dataset.js';
import type { LabelDecision, LabelObject } from '../dataset/labels.js';
import { applyTemperature } from '../model/calibration.js';
import { createModel } from '../model/factory.js';
import type { LoadedModel } from '../model/io.js';
import { scoreWithModel } from '../model/tta.js';
import {
  fineTune,
  modelConfigOf,
  rankMoves,
  selectForReview,
  type RankMove,
  type ReviewPick,
  type ReviewSelectionOptions,
} from './retrain.js';

/** The page's retraining payload: model weights, inputs, replay, options (base64 float32). */
export interface ReviewPayload {
  /** Format version, 1. */
  version: 1;
  /** The model's `meta.json`. */
  meta: LoadedModel['meta'];
  /** Each weight's shape, in `getWeights()` order. */
  weightShapes: number[][];
  /** Every weight, float32 little-endian, concatenated, base64. */
  weights: string;
  /** Side of the inputs. */
  size: number;
  /** The candidates' inputs (`data-input` indexes them), float32 `[n, size, size]`, base64. */
  inputs: string;
  /** Replay samples: float32 `[m, size, size]` base64, their labels and weights. */
  replay: {
    /** Float32 `[m, size, size]`, base64. */
    images: string;
    /** Their labels. */
    labels: number[];
    /** Their loss weights. */
    weights: number[];
  };
  /** Class names of the model. */
  classNames: string[];
  /** Retraining and re-ranking options. */
  options: {
    /** Epochs of a retrain. */
    epochs: number;
    /** Seed of a retrain. */
    seed: number;
    /** Loss weight of a rejected candidate. */
    hardNegativeWeight: number;
    /** The model's threshold. */
    threshold: number;
    /** How the next candidates are picked. */
    selection: ReviewSelectionOptions;
  };
}

/**
 * Float32 values from base64 (little-endian bytes, as the payload stores them).
 *
 * @param text - base64
 */
export function decodeFloat32(text: string): Float32Array {
  const bin = atob(text);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Float32Array(bytes.buffer);
}

/**
 * The payload's model, ready to predict and to fine-tune: the architecture from its metadata,
 * the weights from the payload.
 *
 * @param payload - a review page's payload
 */
export async function payloadModel(payload: ReviewPayload): Promise<LoadedModel> {
  const meta = payload.meta;
  const model = await createModel(modelConfigOf({ model: undefined as never, meta }));
  const flat = decodeFloat32(payload.weights);
  let at = 0;
  const tensors = payload.weightShapes.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const t = tf.tensor(flat.subarray(at, at + n), shape);
    at += n;
    return t;
  });
  model.setWeights(tensors);
  for (const t of tensors) t.dispose();
  return { model, meta };
}

/** One decision on the page, with what retraining needs of its candidate. */
export interface PageDecision {
  /** The candidate's id. */
  id: string;
  /** The decision. */
  label: LabelDecision;
  /** The candidate's object. */
  object: LabelObject;
  /** Index of its input in the payload. */
  inputIndex: number;
}

/** What {@link retrainFromPayload} returns. */
export interface PayloadRetrain {
  /** The retrained model. */
  model: tf.LayersModel;
  /** New calibrated scores of every payload input, by input index. */
  scores: Float64Array;
  /** Samples trained on: replay, then the decided candidates. */
  trainedOn: number;
}

/** The payload's i-th input. */
function inputAt(all: Float32Array, size: number, i: number): Image2D {
  const per = size * size;
  return createImage2D(size, size, all.slice(i * per, (i + 1) * per));
}

/**
 * The training data of a page retrain: the payload's replay samples, then each decided candidate
 * (kept: a positive; rejected: a negative with the hard-negative weight; unsure: left out) as
 * its input (`labelledInputDataset`).
 *
 * @param payload - the page's payload
 * @param decisions - the decisions so far
 */
export function payloadTrainingData(
  payload: ReviewPayload,
  decisions: readonly PageDecision[],
): Dataset {
  const S = payload.size;
  const per = S * S;
  const replayPixels = decodeFloat32(payload.replay.images);
  const builder = new DatasetBuilder(S, payload.classNames);
  payload.replay.labels.forEach((label, k) => {
    const source = `replay-${k}`;
    builder.add(createImage2D(S, S, replayPixels.slice(k * per, (k + 1) * per)), {
      id: source,
      label,
      source,
      sources: [source],
      transforms: ['replay'],
      ...(payload.replay.weights[k] !== 1 ? { weight: payload.replay.weights[k] } : {}),
    });
  });
  const replay = builder.build();
  const inputs = decodeFloat32(payload.inputs);
  const items: LabelledInput[] = decisions
    .filter((d) => d.label !== 'unsure')
    .map((d) => ({
      label: {
        v: 1,
        id: d.id,
        kind: 'candidate',
        label: d.label,
        who: '',
        when: '',
        object: d.object,
      },
      input: inputAt(inputs, S, d.inputIndex),
    }));
  if (items.length === 0) return replay;
  const labelled = labelledInputDataset(items, payload.classNames, {
    hardNegativeWeight: payload.options.hardNegativeWeight,
  });
  return replay.labels.length > 0 ? concatDatasets([replay, labelled]) : labelled;
}

/**
 * Retrain the payload's model on the decisions so far ({@link payloadTrainingData}, `fineTune`
 * from the payload's weights with its epochs and seed, one thread) and score every payload
 * input with the result as the model scores (`scoreWithModel`: averaged over its `meta.tta`
 * symmetries, calibrated with its temperature). Always from the page's
 * model, never from an earlier retrain, so the result depends on the decisions and the seed
 * alone.
 *
 * @param payload - the page's payload
 * @param decisions - the decisions so far
 */
export async function retrainFromPayload(
  payload: ReviewPayload,
  decisions: readonly PageDecision[],
): Promise<PayloadRetrain> {
  const start = await payloadModel(payload);
  const data = payloadTrainingData(payload, decisions);
  const tuned = await fineTune(start, data, {
    epochs: payload.options.epochs,
    seed: payload.options.seed,
    threads: 1,
  });
  start.model.dispose();
  const S = payload.size;
  const inputs = decodeFloat32(payload.inputs);
  const n = inputs.length / (S * S);
  // Scored as the page's model scores (averaged over its meta.tta symmetries).
  const raw = await scoreWithModel(
    { model: tuned.model, meta: payload.meta },
    {
      images: inputs,
      shape: [n, S, S, 1],
      labels: new Int32Array(n),
    },
  );
  return {
    model: tuned.model,
    scores: applyTemperature(raw, payload.meta.calibration?.temperature ?? 1),
    trainedOn: data.labels.length,
  };
}

/** The next picks and moves after a page retrain. */
export interface PageRerank {
  /** The next candidates to review among the undecided, by id. */
  picks: (ReviewPick & {
    /** The candidate's id. */
    id: string;
  })[];
  /** How the candidates moved, largest first. */
  moves: RankMove[];
}

/**
 * Re-rank a page's candidates after a retrain: the next picks among the undecided
 * (`selectForReview` with the payload's options; no uncertainty is measured in the page, so
 * "uncertain" means nearest the threshold) and how every candidate moved.
 *
 * @param payload - the page's payload (its selection options)
 * @param candidates - the page's candidates: id, old score, input index, decided or not
 * @param scores - new scores by input index
 */
export function rerankPage(
  payload: ReviewPayload,
  candidates: readonly { id: string; score: number; inputIndex: number; decided: boolean }[],
  scores: ArrayLike<number>,
): PageRerank {
  const open = candidates.filter((c) => !c.decided);
  const picks = selectForReview(
    open.map((c) => ({ score: scores[c.inputIndex] })),
    payload.options.selection,
  ).map((p) => ({ ...p, id: open[p.index].id }));
  const moves = rankMoves(
    candidates.map((c) => ({ id: c.id, score: c.score })),
    candidates.map((c) => ({ id: c.id, score: scores[c.inputIndex] })),
  );
  return { picks, moves };
}
