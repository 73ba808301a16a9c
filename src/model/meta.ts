import { ModelError } from '../core/errors.js';
import type { ModelConfig, TrainConfig } from './config.js';
import { isInputRange, type InputRange } from './input-range.js';
import { TEST_TIME_AUGMENTATIONS, type TestTimeAugmentation } from './tta.js';

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
  /**
   * Test-time augmentation: every score is the mean of the model's outputs over these
   * symmetries of the input (`flips`: the four axis flips; `dihedral`: the eight flips and 90°
   * rotations), as the profile's `tta` asked; the threshold and temperature were fitted on such
   * scores, so everything that scores with the model does the same ({@link scoreWithModel}).
   * Absent or `'none'`: one pass (models saved before it existed).
   */
  tta?: TestTimeAugmentation;
  /**
   * How bright the training inputs were at their centre (`trainAndCalibrate` records it): a
   * candidate whose input lies below the 1st or above the 99th percentile is flagged
   * (`Candidate.outsideTraining`), since the model never learnt from such objects.
   */
  trainingInputs?: InputRange;
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

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The `meta.json` of a model folder, checked: an object with `profileName` (text) and
 * `classNames` (at least two distinct names, one per output of the network: `outputUnits`
 * of them, or two for a single sigmoid output); `threshold` a score in [0, 1];
 * `calibration.temperature` a positive number; `tta` one of `none`, `flips`, `dihedral`;
 * `trainingInputs` ordered numbers; `profile`, `metrics`, `normalisation`,
 * `modelConfig`, `trainConfig` objects when present.
 *
 * @param value - the parsed JSON
 * @param source - the file, named in errors
 * @param outputUnits - outputs of the network the meta describes, when known
 * @throws ModelError naming `source` and the first field that is wrong
 */
export function checkModelMeta(value: unknown, source: string, outputUnits?: number): ModelMeta {
  const bad = (why: string): ModelError =>
    new ModelError(`${source}: not a model's meta.json: ${why}`, source);
  if (!isRecord(value))
    throw bad(
      `expected an object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    );
  if (typeof value.profileName !== 'string') throw bad('profileName is not text');
  const names = value.classNames;
  if (
    !Array.isArray(names) ||
    names.length < 2 ||
    !names.every((n) => typeof n === 'string' && n !== '') ||
    new Set(names).size !== names.length
  ) {
    throw bad(`classNames must be two or more distinct names, got ${JSON.stringify(names)}`);
  }
  if (outputUnits !== undefined && names.length !== (outputUnits === 1 ? 2 : outputUnits)) {
    throw bad(`${names.length} classNames for a network with ${outputUnits} outputs`);
  }
  const t = value.threshold;
  if (t !== undefined && !(typeof t === 'number' && t >= 0 && t <= 1)) {
    throw bad(`threshold must be a score in [0, 1], got ${JSON.stringify(t)}`);
  }
  const c = value.calibration;
  if (c !== undefined) {
    const temperature = isRecord(c) ? c.temperature : undefined;
    if (!(typeof temperature === 'number' && Number.isFinite(temperature) && temperature > 0))
      throw bad(
        `calibration.temperature must be a positive number, got ${JSON.stringify(temperature)}`,
      );
  }
  if (
    value.tta !== undefined &&
    !TEST_TIME_AUGMENTATIONS.includes(value.tta as TestTimeAugmentation)
  )
    throw bad(
      `tta must be one of ${TEST_TIME_AUGMENTATIONS.join(', ')}, got ${JSON.stringify(value.tta)}`,
    );
  if (value.trainingInputs !== undefined && !isInputRange(value.trainingInputs))
    throw bad(
      `trainingInputs must hold count, min <= p01 <= median <= p99 <= max, got ${JSON.stringify(value.trainingInputs)}`,
    );
  for (const key of ['profile', 'metrics', 'normalisation', 'modelConfig', 'trainConfig']) {
    if (value[key] !== undefined && !isRecord(value[key]))
      throw bad(`${key} must be an object, got ${JSON.stringify(value[key])}`);
  }
  return value as unknown as ModelMeta;
}
