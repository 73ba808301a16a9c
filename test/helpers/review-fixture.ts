// A small review loop on disk for the review/retrain tests: synthetic scenes written as FITS
// (with WCS and beam), a dataset prepared from some of them, a small model saved with its
// profile (it records the dataset), and a classify run over the others.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRng } from '../../src/core/random.js';
import { writeFitsFile } from '../../src/fits/index.node.js';
import {
  concatDatasets,
  resolveProfile,
  splitDataset,
  synthesizeScene,
  type Dataset,
  type TargetProfile,
} from '../../src/dataset/index.js';
import {
  buildNegativeSetFromFiles,
  buildPositiveSetFromFiles,
  saveDataset,
} from '../../src/dataset/index.node.js';
import { createModel } from '../../src/model/index.js';
import { saveModel } from '../../src/model/index.node.js';
import type { LoadedModel } from '../../src/model/io.js';
import { classify } from '../../src/pipeline/classify.node.js';
import { writeCandidateFiles } from '../../src/pipeline/candidate-files.node.js';
import { DEMO_SCENE_OPTIONS } from '../../src/pipeline/demo.node.js';

/** A 32-pixel input over 24 beams and a two-block network: quick to train in a test. */
export const reviewProfile: TargetProfile = resolveProfile({
  name: 'review-test',
  preprocess: { cropSize: 32, inputSize: 32 },
  model: {
    convBlocks: [
      { filters: 4, kernelSize: 3, poolSize: 2, activation: 'relu' },
      { filters: 8, kernelSize: 3, poolSize: 2, activation: 'relu' },
    ],
    denseUnits: 16,
    convDropout: 0.1,
    denseDropout: 0.2,
  },
  train: { batchSize: 8, epochs: 2, learningRate: 2e-3, seed: 3 },
});

/** What {@link makeReviewFixture} wrote. */
export interface ReviewFixture {
  dir: string;
  modelDir: string;
  datasetDir: string;
  runJson: string;
  runFiles: string[];
  loaded: LoadedModel;
  dataset: Dataset;
}

/** Writes the fixture into `dir`: 8 training scenes, 8 run scenes (half with a wind each). */
export async function makeReviewFixture(dir: string): Promise<ReviewFixture> {
  const rng = createRng(11);
  const write = async (sub: string, n: number): Promise<{ pos: string[]; neg: string[] }> => {
    await mkdir(join(dir, sub), { recursive: true });
    const pos: string[] = [];
    const neg: string[] = [];
    for (let i = 0; i < n; i++) {
      const positive = i % 2 === 1;
      const scene = synthesizeScene(rng.fork(), {
        ...DEMO_SCENE_OPTIONS,
        size: 80,
        label: positive ? 'positive' : 'negative',
      });
      const path = join(dir, sub, `scene-${i}.fits`);
      await writeFitsFile(path, scene.image, scene.cards);
      (positive ? pos : neg).push(path);
    }
    return { pos, neg };
  };
  const train = await write('train', 8);
  const runFiles = await write('run', 8);
  const built = concatDatasets([
    await buildNegativeSetFromFiles(train.neg, reviewProfile, { seed: 1 }),
    await buildPositiveSetFromFiles(train.pos, reviewProfile, { seed: 1 }),
  ]);
  const parts = splitDataset(built, { test: 0.25, validation: 0.25, seed: 1 });
  const dataset = concatDatasets([parts.train, parts.validation, parts.test]);
  const datasetDir = join(dir, 'dataset');
  await saveDataset(dataset, datasetDir);
  const modelConfig = {
    ...reviewProfile.model,
    inputShape: [32, 32, 1] as [number, number, number],
    classes: 2,
    seed: 5,
  };
  const model = await createModel(modelConfig);
  const modelDir = join(dir, 'model');
  const meta = await saveModel(model, modelDir, {
    profileName: reviewProfile.name,
    profile: reviewProfile as unknown as Record<string, unknown>,
    classNames: ['negative', 'positive'],
    threshold: 0.5,
    calibration: { temperature: 1 },
    modelConfig: modelConfig as never,
    trainConfig: { ...reviewProfile.train },
    dataset: '../dataset',
  });
  const loaded = { model, meta };
  const candidates = await classify(loaded, [...runFiles.pos, ...runFiles.neg], {
    keepInputs: true,
  });
  const runJson = join(dir, 'run', 'candidates.json');
  await writeCandidateFiles(candidates, runJson, { positiveLabel: 'positive' });
  return {
    dir,
    modelDir,
    datasetDir,
    runJson,
    runFiles: [...runFiles.pos, ...runFiles.neg],
    loaded,
    dataset,
  };
}
