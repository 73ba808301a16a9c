/**
 * Saving and loading models on the local file system in the standard TensorFlow.js layers format
 * (`model.json` + `weights.bin`), plus `meta.json`. Every file is written as `name.part` and
 * renamed when complete, so a crash never leaves a half-written model that looks whole.
 */
import { realpath } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { isAbsolute, join, sep } from 'node:path';
import { writeFileAtomic } from '../core/atomic.node.js';
import { makeDirectory, openRegularFile, readRegularFile } from '../core/files.node.js';
import * as tf from '@tensorflow/tfjs';
import { ModelError, systemErrorText } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { currentBackend } from './backend.js';
import { checkLoadedModel, outputUnits, type LoadedModel } from './io.js';
import { checkModelMeta, MODEL_FILES, type ModelMeta } from './meta.js';

/** Largest `model.json` or `meta.json` read (ours are a few kB). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;

async function readOrThrow(path: string): Promise<Buffer> {
  try {
    return await readRegularFile(path, MAX_JSON_BYTES);
  } catch (e) {
    throw new ModelError(`cannot read ${path}: ${systemErrorText(e)}`, path, { cause: e });
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
      await makeDirectory(dir);
      const weights =
        artifacts.weightData === undefined
          ? new ArrayBuffer(0)
          : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      await writeFileAtomic(join(dir, MODEL_FILES.weights), new Uint8Array(weights));
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
      await writeFileAtomic(modelPath, JSON.stringify(json));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    async load(): Promise<tf.io.ModelArtifacts> {
      let parsed: unknown;
      try {
        parsed = JSON.parse((await readOrThrow(modelPath)).toString('utf8'));
      } catch (e) {
        if (e instanceof ModelError) throw e;
        throw new ModelError(`${modelPath} is not valid JSON: ${(e as Error).message}`, modelPath);
      }
      const json = checkModelJson(parsed, modelPath);
      const groups = json.weightsManifest;
      return tf.io.getModelArtifactsForJSON(json, async () => {
        const specs: tf.io.WeightsManifestEntry[] = [];
        const buffers: ArrayBuffer[] = [];
        const root = await realpath(dir);
        for (const group of groups) {
          specs.push(...group.weights);
          const need = groupBytes(group, modelPath);
          let got = 0;
          for (const p of group.paths) {
            const b = await readWeightsFile(dir, root, p, need - got, modelPath);
            got += b.byteLength;
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer);
          }
          if (got !== need) {
            throw new ModelError(
              `${join(dir, group.paths.join(', '))}: ${got} bytes, fewer than the ${need} the manifest's weights need (truncated)`,
              modelPath,
            );
          }
        }
        return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
      });
    },
  };
}

/** Bytes per stored value of a weight (its quantised type when quantised). */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

/**
 * `model.json` checked before TensorFlow.js reads it: an object with a `modelTopology` object
 * and a `weightsManifest` of groups `{ paths: [text...], weights: [{ name, shape, dtype }] }`
 * whose types have a known size. ModelError naming the file otherwise.
 */
function checkModelJson(value: unknown, source: string): tf.io.ModelJSON {
  const bad = (why: string): ModelError =>
    new ModelError(`${source} is not a TensorFlow.js layers model: ${why}`, source);
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isRecord(value)) throw bad('expected a JSON object');
  if (!isRecord(value.modelTopology)) throw bad('modelTopology is not an object');
  const manifest = value.weightsManifest;
  if (!Array.isArray(manifest)) throw bad('weightsManifest is not a list');
  for (const group of manifest as unknown[]) {
    if (
      !isRecord(group) ||
      !Array.isArray(group.paths) ||
      !group.paths.every((p) => typeof p === 'string') ||
      !Array.isArray(group.weights)
    ) {
      throw bad('a weightsManifest group is not { paths: [...], weights: [...] }');
    }
    for (const w of group.weights as unknown[]) {
      const spec = isRecord(w) ? w : {};
      const q = isRecord(spec.quantization) ? spec.quantization.dtype : undefined;
      if (
        typeof spec.name !== 'string' ||
        !Array.isArray(spec.shape) ||
        !spec.shape.every((n) => Number.isSafeInteger(n) && (n as number) >= 0) ||
        typeof spec.dtype !== 'string' ||
        !(String(q ?? spec.dtype) in DTYPE_BYTES)
      ) {
        throw bad(`weight ${JSON.stringify(w)} is not { name, shape, dtype } of a supported type`);
      }
    }
  }
  return value as unknown as tf.io.ModelJSON;
}

/** Bytes the weights of one manifest group occupy in its files. */
function groupBytes(group: tf.io.WeightsManifestConfig[number], source: string): number {
  let bytes = 0;
  for (const w of group.weights) {
    const type = w.quantization?.dtype ?? w.dtype;
    bytes += w.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[type];
  }
  if (!Number.isSafeInteger(bytes))
    throw new ModelError(`${source}: the manifest's weights are too large`, source);
  return bytes;
}

/**
 * One weights file named by the manifest, read only when it is a regular file inside the model
 * folder (no absolute path, no `..`, no symbolic link leading out) and no larger than the bytes
 * its group still needs, so a manifest cannot make the loader read another file or a device.
 */
async function readWeightsFile(
  dir: string,
  root: string,
  name: string,
  maxBytes: number,
  source: string,
): Promise<Buffer> {
  const refuse = (why: string): ModelError =>
    new ModelError(`${source}: weights path ${JSON.stringify(name)} ${why}`, source);
  if (
    name === '' ||
    name.includes('\0') ||
    isAbsolute(name) ||
    /^[a-z]:/i.test(name) ||
    name.split(/[\\/]/).some((part) => part === '..')
  ) {
    throw refuse('is not a file name inside the model folder');
  }
  const path = join(dir, name);
  let real: string;
  try {
    real = await realpath(path);
  } catch (e) {
    throw new ModelError(`cannot read ${path}: ${systemErrorText(e)}`, path, { cause: e });
  }
  if (!real.startsWith(root + sep)) throw refuse('leads outside the model folder');
  let file: { handle: FileHandle; size: number };
  try {
    file = await openRegularFile(real);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTREG' || code === 'EISDIR') throw refuse('is not a regular file');
    throw new ModelError(`cannot read ${path}: ${systemErrorText(e)}`, path, { cause: e });
  }
  const { handle, size } = file;
  try {
    if (size > maxBytes) {
      throw new ModelError(
        `${path}: ${size} bytes, more than the ${maxBytes} the manifest's weights need (a damaged or foreign file)`,
        path,
      );
    }
    const out = Buffer.alloc(size);
    const { bytesRead } = await handle.read(out, 0, size, 0);
    if (bytesRead !== size) throw new ModelError(`${path}: file shrank while being read`, path);
    return out;
  } finally {
    await handle.close();
  }
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
    await writeFileAtomic(join(dir, MODEL_FILES.meta), JSON.stringify(full, null, 2) + '\n');
  } catch (e) {
    if (e instanceof ModelError) throw e;
    throw new ModelError(`cannot save model to ${dir}: ${(e as Error).message}`, dir, { cause: e });
  }
  return full;
}

/**
 * Loads a model directory written by {@link saveModel}. Every file is checked before it is
 * used: `model.json` must be a layers model whose weight files lie inside `dir` (no absolute
 * path, no `..`, no link leading out), are regular files and hold exactly the bytes the
 * manifest's weights need; the network must take images and give class scores with finite
 * weights; `meta.json` must name one class per output (see `checkModelMeta`).
 *
 * @throws ModelError naming the file that is missing, malformed or damaged.
 */
export async function loadModel(dir: string): Promise<LoadedModel> {
  await currentBackend();
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(fileSystemHandler(dir));
  } catch (e) {
    if (e instanceof ModelError) throw e;
    const modelPath = join(dir, MODEL_FILES.model);
    throw new ModelError(
      `${modelPath}: cannot build the model: ${(e as Error).message}`,
      modelPath,
      {
        cause: e,
      },
    );
  }
  checkLoadedModel(model, join(dir, MODEL_FILES.weights));
  const metaPath = join(dir, MODEL_FILES.meta);
  let json: unknown;
  try {
    json = JSON.parse((await readOrThrow(metaPath)).toString('utf8'));
  } catch (e) {
    model.dispose();
    if (e instanceof ModelError) throw e;
    throw new ModelError(`${metaPath} is not valid JSON: ${(e as Error).message}`, metaPath);
  }
  try {
    return { model, meta: checkModelMeta(json, metaPath, outputUnits(model)) };
  } catch (e) {
    model.dispose();
    throw e;
  }
}
