/**
 * The training step of the pipeline with saving: {@link trainAndCalibrate} (three grouped parts,
 * early stopping, calibration and threshold on validation, evaluation per source on test), and
 * the model saved with its profile, threshold and temperature so that `classify` prepares and
 * scores new images exactly as the training images were.
 */
import { relative, resolve } from 'node:path';
import type { Dataset } from '../dataset/dataset.js';
import { saveModel } from '../model/io.node.js';
import type { LoadedModel } from '../model/io.js';
import {
  trainAndCalibrate,
  type TrainAndCalibrateOptions,
  type TrainAndCalibrateResult,
} from './train-flow.js';

export { datasetParts } from './train-flow.js';

/** Options of {@link trainFromDataset}: those of {@link trainAndCalibrate} and where to save. */
export interface TrainFlowOptions extends TrainAndCalibrateOptions {
  /** Folder to save the model in (`model.json`, `weights.bin`, `meta.json`). Default: not saved. */
  out?: string;
  /** The dataset's folder, recorded in the model's `meta.dataset` (relative to `out`) for `retrain`. */
  datasetDir?: string;
}

/** What {@link trainFromDataset} returns: {@link trainAndCalibrate}'s result and the saved model. */
export interface TrainFlowResult extends TrainAndCalibrateResult {
  /** The trained model with the metadata it was (or would be) saved with. */
  loaded: LoadedModel;
}

/**
 * Train, calibrate and evaluate the profile's model on a dataset ({@link trainAndCalibrate})
 * and save it to `opts.out` when given.
 *
 * @param ds - a prepared dataset (`prepare` / `loadDataset`)
 * @param opts - see {@link TrainFlowOptions}
 */
export async function trainFromDataset(
  ds: Dataset,
  opts: TrainFlowOptions,
): Promise<TrainFlowResult> {
  const result = await trainAndCalibrate(ds, opts);
  if (opts.out !== undefined && opts.datasetDir !== undefined) {
    result.meta.dataset = relative(resolve(opts.out), resolve(opts.datasetDir)) || '.';
  }
  const meta =
    opts.out !== undefined ? await saveModel(result.model, opts.out, result.meta) : result.meta;
  return { ...result, meta, loaded: { model: result.model, meta } };
}
