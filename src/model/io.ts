/**
 * Loading saved models in a browser (or any environment with `fetch`): the same directory that
 * `saveModel` writes, served over HTTP or picked as files.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import { ensureBackend } from './backend.js';
import { MODEL_FILES, type ModelMeta } from './meta.js';

/** A loaded model and its metadata. */
export interface LoadedModel {
  /** The network, ready for `predict`. */
  model: tf.LayersModel;
  /** Its `meta.json`. */
  meta: ModelMeta;
}

/**
 * Loads a model saved by `saveModel` from a URL: either the directory (ending in `/`) or its
 * `model.json`; `meta.json` is fetched from the same directory.
 *
 * @throws ModelError naming the URL when a file is missing or malformed.
 */
export async function loadModelFromUrl(url: string): Promise<LoadedModel> {
  await ensureBackend();
  const modelUrl = url.endsWith('/') ? url + MODEL_FILES.model : url;
  const metaUrl = modelUrl.replace(/[^/]*$/, MODEL_FILES.meta);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(modelUrl);
  } catch (e) {
    throw new ModelError(`cannot load model from ${modelUrl}: ${(e as Error).message}`, modelUrl, {
      cause: e,
    });
  }
  let meta: ModelMeta;
  try {
    const res = await fetch(metaUrl);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    meta = (await res.json()) as ModelMeta;
  } catch (e) {
    throw new ModelError(`cannot read ${metaUrl}: ${(e as Error).message}`, metaUrl, { cause: e });
  }
  return { model, meta };
}

/**
 * Loads a model from `File`s a user picked (e.g. `<input type="file" multiple>`): `model.json`,
 * its weight file(s) and `meta.json`, found by name.
 *
 * @throws ModelError when `model.json` or `meta.json` is not among the files.
 */
export async function loadModelFromFiles(files: File[]): Promise<LoadedModel> {
  await ensureBackend();
  const byName = (n: string): File | undefined => files.find((f) => f.name === n);
  const json = byName(MODEL_FILES.model);
  const metaFile = byName(MODEL_FILES.meta);
  if (json === undefined || metaFile === undefined) {
    throw new ModelError(
      `pick ${MODEL_FILES.model}, ${MODEL_FILES.meta} and the weight files together`,
    );
  }
  const weights = files.filter((f) => f !== json && f !== metaFile);
  const model = await tf.loadLayersModel(tf.io.browserFiles([json, ...weights]));
  const meta = JSON.parse(await metaFile.text()) as ModelMeta;
  return { model, meta };
}
