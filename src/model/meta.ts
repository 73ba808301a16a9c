import type { ModelConfig, TrainConfig } from './config.js';

/**
 * What `saveModel` writes beside the weights as `meta.json`, so a saved model says what it finds
 * and how its inputs must be prepared.
 */
export interface ModelMeta {
  /** Name of the target profile the model was trained for, e.g. `dust-in-wind`. */
  profileName: string;
  /** The target profile itself, as JSON. */
  profile?: Record<string, unknown>;
  /** Class names by class index, e.g. `['negative', 'positive']`. */
  classNames: string[];
  /** How inputs were normalised (method and parameters), as JSON. */
  normalisation?: Record<string, unknown>;
  /** Test figures per source at save time, e.g. `{ sources, accuracy, recall, precision, f1, rocAuc }`. */
  metrics?: Record<string, number>;
  /**
   * Score at or above which `classify` calls an image the target: chosen on the validation
   * sources when the model was trained. Default: the profile's `threshold`.
   */
  threshold?: number;
  /**
   * Calibration fitted on the validation sources: scores are `sigmoid(logit(p) / temperature)`
   * (`applyTemperature`). Absent or 1: the raw softmax scores.
   */
  calibration?: {
    /** Temperature `T` (1: none). */
    temperature: number;
  };
  /** The model's architecture config. */
  modelConfig?: ModelConfig;
  /** The training config used. */
  trainConfig?: Partial<TrainConfig>;
  /**
   * The dataset folder the model was trained on, relative to the model's folder (`train`
   * records it), so `retrain` finds it again.
   */
  dataset?: string;
  /** For a model made by `retrain`: the model it started from and the labels it learnt. */
  retrainedFrom?: {
    /** The starting model's folder, relative to this model's. */
    model: string;
    /** Decisions in force: candidates kept, rejected, and samples left out. */
    labels: {
      /** Candidates kept (confirmed positives). */
      keep: number;
      /** Candidates rejected (hard negatives). */
      reject: number;
      /** Dataset samples left out (rejected or unsure, with what was made from them). */
      leftOut: number;
    };
  };
  /** Library version that saved the model; `saveModel` fills it in. */
  version?: string;
  /** ISO 8601 time of saving; `saveModel` fills it in. */
  createdAt?: string;
}

/** File names of a saved model directory. */
export const MODEL_FILES = {
  /** Topology and weight manifest (tfjs layers format). */
  model: 'model.json',
  /** The single weight shard. */
  weights: 'weights.bin',
  /** {@link ModelMeta} as JSON. */
  meta: 'meta.json',
} as const;
