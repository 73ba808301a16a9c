/**
 * What the training augmentation costs (docs/performance.md, "Augmentation between the steps"):
 * milliseconds per `augmentBatch` call of 32 48x48 images with the default profile's options,
 * drawing fresh noise per image or cutting it from a noise field, then `trainModel`'s images per
 * second on the profile's network with and without the augmentation (random images, two epochs).
 *
 *   npx tsx scripts/augment-rate.ts [images=3200]
 */
import { createRng } from '../src/core/random.js';
import { dustInWind } from '../src/dataset/profile.js';
import {
  augmentBatch,
  createModel,
  createNoiseField,
  imageLevels,
  trainModel,
} from '../src/model/index.js';
import { resolveTrainAugment } from '../src/model/augment-batch.js';

const n = Number(process.argv[2] ?? 3200);
const [m, h, w] = [32, 48, 48];
const per = h * w;
const rng = createRng(3);
const images = Float32Array.from({ length: n * per }, () => rng.normal());
const options = resolveTrainAugment(dustInWind.train.augment);

// One batch, augmented over and over (after a warm-up), both ways.
const batch = images.subarray(0, m * per);
const out = new Float32Array(m * per);
const levels = imageLevels(batch, m, per);
let t = performance.now();
const field = createNoiseField(h, w, options.noiseCorrelation, createRng(5));
console.log(`noise field ${field.size}x${field.size}: ${(performance.now() - t).toFixed(0)} ms`);
for (const [name, f] of [
  ['fresh noise per image', undefined],
  ['noise cut from the field', field],
] as const) {
  const r = createRng(1);
  for (let i = 0; i < 50; i++) augmentBatch(batch, out, m, h, w, levels, options, r, f);
  const reps = 300;
  t = performance.now();
  for (let i = 0; i < reps; i++) augmentBatch(batch, out, m, h, w, levels, options, r, f);
  console.log(
    `augmentBatch, ${name}: ${((performance.now() - t) / reps).toFixed(2)} ms per batch of ${m}`,
  );
}

const labels = Int32Array.from({ length: n }, (_, i) => i & 1);
for (const augment of [false, dustInWind.train.augment]) {
  const model = await createModel({ ...dustInWind.model, seed: 1 });
  const history = await trainModel(
    model,
    { images, labels, shape: [n, h, w, 1] },
    {
      ...dustInWind.train,
      epochs: 2,
      augment,
      earlyStopping: undefined,
      learningRateSchedule: 'constant',
    },
  );
  console.log(
    `trainModel, ${augment === false ? 'no augmentation' : "the profile's augmentation"}: ${history.imagesPerSecond.toFixed(0)} images/s`,
  );
  model.dispose();
}
