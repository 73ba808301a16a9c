/**
 * Loading saved models in a browser (or any environment with `fetch`): the same directory that
 * `saveModel` writes, served over HTTP or picked as files.
 */
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import { currentBackend } from './backend.js';
import { checkModelMeta, MODEL_FILES, type ModelMeta } from './meta.js';

/** A loaded model and its metadata. */
export interface LoadedModel {
  /** The network, ready for `predict`. */
  model: tf.LayersModel;
  /** Its `meta.json`. */
  meta: ModelMeta;
}

/**
 * @internal Check a network just loaded from `source`: one image input `[batch, h, w, c]` and
 * one output `[batch, classes]`, every weight finite. Disposes the model and throws ModelError
 * naming `source` when it is not so (a NaN weight would score every image NaN).
 */
export function checkLoadedModel(model: tf.LayersModel, source: string): void {
  const fail = (why: string): never => {
    model.dispose();
    throw new ModelError(`${source}: ${why}`, source);
  };
  const input = model.inputs.length === 1 ? model.inputs[0].shape : undefined;
  if (
    input === undefined ||
    input.length !== 4 ||
    !input.slice(1).every((n) => typeof n === 'number' && Number.isInteger(n) && n > 0)
  ) {
    fail(
      `the network's input must be images [batch, height, width, channels], got ${JSON.stringify(input)}`,
    );
  }
  const output = model.outputs.length === 1 ? model.outputs[0].shape : undefined;
  if (output === undefined || output.length !== 2 || !(Number(output[1]) >= 1)) {
    fail(`the network's output must be [batch, classes], got ${JSON.stringify(output)}`);
  }
  for (const w of model.weights) {
    const values = w.read().dataSync();
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]))
        fail(`weight ${w.name} holds ${values[i]} (a damaged weights file)`);
    }
  }
}

/** @internal The number of outputs of a model {@link checkLoadedModel} accepted. */
export function outputUnits(model: tf.LayersModel): number {
  return Number(model.outputs[0].shape[1]);
}

/**
 * Loads a model saved by `saveModel` from a URL: either the directory (ending in `/`) or its
 * `model.json`; `meta.json` is fetched from the same directory.
 *
 * @throws ModelError naming the URL when a file is missing, malformed or damaged (see
 *   `loadModel`).
 */
export async function loadModelFromUrl(url: string): Promise<LoadedModel> {
  await currentBackend();
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
  checkLoadedModel(model, modelUrl);
  let json: unknown;
  try {
    const res = await fetch(metaUrl);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    json = await res.json();
  } catch (e) {
    model.dispose();
    throw new ModelError(`cannot read ${metaUrl}: ${(e as Error).message}`, metaUrl, { cause: e });
  }
  return { model, meta: withMeta(model, json, metaUrl) };
}

/** {@link checkModelMeta} for a loaded model, disposing it when the meta is refused. */
function withMeta(model: tf.LayersModel, json: unknown, source: string): ModelMeta {
  try {
    return checkModelMeta(json, source, outputUnits(model));
  } catch (e) {
    model.dispose();
    throw e;
  }
}

/**
 * Loads a model from `File`s a user picked (e.g. `<input type="file" multiple>`): `model.json`,
 * its weight file(s) and `meta.json`, found by name.
 *
 * @throws ModelError when `model.json` or `meta.json` is not among the files, or a file is
 *   damaged (see `loadModel`).
 */
export async function loadModelFromFiles(files: File[]): Promise<LoadedModel> {
  await currentBackend();
  const byName = (n: string): File | undefined => files.find((f) => f.name === n);
  const json = byName(MODEL_FILES.model);
  const metaFile = byName(MODEL_FILES.meta);
  if (json === undefined || metaFile === undefined) {
    throw new ModelError(
      `pick ${MODEL_FILES.model}, ${MODEL_FILES.meta} and the weight files together`,
    );
  }
  const weights = files.filter((f) => f !== json && f !== metaFile);
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(tf.io.browserFiles([json, ...weights]));
  } catch (e) {
    throw new ModelError(
      `cannot load model from ${json.name}: ${(e as Error).message}`,
      json.name,
      {
        cause: e,
      },
    );
  }
  checkLoadedModel(model, json.name);
  let parsed: unknown;
  try {
    parsed = JSON.parse(await metaFile.text());
  } catch (e) {
    model.dispose();
    throw new ModelError(
      `${metaFile.name} is not valid JSON: ${(e as Error).message}`,
      metaFile.name,
    );
  }
  return { model, meta: withMeta(model, parsed, metaFile.name) };
}
