/**
 * Saving and loading models on the local file system in the standard TensorFlow.js layers format
 * (`model.json` + `weights.bin`), plus `meta.json`. Every file is written as `name.part` and
 * renamed when complete, so a crash never leaves a half-written model that looks whole.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.node.js';
import * as tf from '@tensorflow/tfjs';
import { ModelError } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { ensureBackend } from './backend.js';
import type { LoadedModel } from './io.js';
import { MODEL_FILES, type ModelMeta } from './meta.js';
// Whoever loads the Node file functions gets the Node backend hooks and worker threads too.
import './platform.node.js';

const writeAtomic = writeFileAtomic;

async function readOrThrow(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new ModelError(`cannot read ${path}: ${(e as Error).message}`, path, { cause: e });
  }
}

/**
 * A `tf.io.IOHandler` for a directory: `save` writes `model.json` and one `weights.bin` shard
 * (via `.part` + rename; weights first, so a `model.json` always has its weights), `load` reads
 * them back. Usable directly with `model.save(fileSystemHandler(dir))` and
 * `tf.loadLayersModel(fileSystemHandler(dir))`.
 */
export function fileSystemHandler(dir: string): tf.io.IOHandler {
  const modelPath = join(dir, MODEL_FILES.model);
  return {
    async save(artifacts: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      if (artifacts.modelTopology instanceof ArrayBuffer) {
        throw new ModelError(`cannot save a binary model topology to ${dir}`, dir);
      }
      await mkdir(dir, { recursive: true });
      const weights =
        artifacts.weightData === undefined
          ? new ArrayBuffer(0)
          : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      await writeAtomic(join(dir, MODEL_FILES.weights), new Uint8Array(weights));
      const json: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology ?? {},
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs ?? [] }],
        ...(artifacts.trainingConfig ? { trainingConfig: artifacts.trainingConfig } : {}),
        ...(artifacts.userDefinedMetadata
          ? { userDefinedMetadata: artifacts.userDefinedMetadata }
          : {}),
      };
      await writeAtomic(modelPath, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      let json: tf.io.ModelJSON;
      try {
        json = JSON.parse((await readOrThrow(modelPath)).toString('utf8')) as tf.io.ModelJSON;
      } catch (e) {
        if (e instanceof ModelError) throw e;
        throw new ModelError(`${modelPath} is not valid JSON: ${(e as Error).message}`, modelPath);
      }
      if (json.modelTopology === undefined || !Array.isArray(json.weightsManifest)) {
        throw new ModelError(`${modelPath} is not a TensorFlow.js layers model`, modelPath);
      }
      return tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const b = await readOrThrow(join(dir, p));
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

/**
 * Saves `model` into `dir` (created if needed): `model.json`, `weights.bin` and `meta.json` with
 * `version` (this library's) and `createdAt` filled in. A browser loads the same directory with
 * `loadModelFromUrl`. Returns the metadata written.
 */
export async function saveModel(
  model: tf.LayersModel,
  dir: string,
  meta: ModelMeta,
): Promise<ModelMeta> {
  const full: ModelMeta = { ...meta, version: VERSION, createdAt: new Date().toISOString() };
  try {
    await model.save(fileSystemHandler(dir));
    await writeAtomic(join(dir, MODEL_FILES.meta), JSON.stringify(full, null, 2) + '\n');
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(`cannot save model to ${dir}: ${(e as Error).message}`, dir, { cause: e });
  }
  return full;
}

/**
 * Loads a model directory written by {@link saveModel}.
 *
 * @throws ModelError naming the file that is missing or malformed.
 */
export async function loadModel(dir: string): Promise<LoadedModel> {
  await ensureBackend();
  const model = await tf.loadLayersModel(fileSystemHandler(dir));
  const metaPath = join(dir, MODEL_FILES.meta);
  let meta: ModelMeta;
  try {
    meta = JSON.parse((await readOrThrow(metaPath)).toString('utf8')) as ModelMeta;
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(`${metaPath} is not valid JSON: ${(e as Error).message}`, metaPath);
  }
  return { model, meta };
}
