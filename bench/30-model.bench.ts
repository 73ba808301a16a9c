/**
 * The default CNN (100x100x1, 4,352,770 parameters) against `torch_cnn.py` (the same network in
 * PyTorch on this CPU, all cores) from the same run: training images/s at batch 2 and 32 (Adam
 * 1e-3, binary cross-entropy, random images as the peer uses) and prediction images/s. Ours runs
 * `trainModel` and `predict` with their defaults: the library's training engine on every core
 * (unless @tensorflow/tfjs-node is installed); the title names what trained.
 */
import {
  createModel,
  describeTrainer,
  predict,
  trainModel,
  useFastBackend,
  type TensorData,
} from '../src/model/index.js';
import '../src/model/index.node.js';
import { createRng } from '../src/core/random.js';
import { printTable, runPeer, type BenchRow } from './peers.js';

function randomData(n: number, seed: number): TensorData {
  const r = createRng(seed);
  return {
    images: Float32Array.from({ length: n * 100 * 100 }, () => r.normal()),
    shape: [n, 100, 100, 1],
    labels: Int32Array.from({ length: n }, () => r.int(0, 1)),
  };
}

let trainer = '';

async function trainRate(batchSize: number, images: number): Promise<number> {
  const model = await createModel();
  // One warm-up epoch (kernel setup, worker start-up, optimizer state), then the timed one.
  await trainModel(model, randomData(2 * batchSize, 1), { batchSize, epochs: 1 });
  const h = await trainModel(model, randomData(images, 2), { batchSize, epochs: 1 });
  trainer = describeTrainer(h);
  model.dispose();
  return h.imagesPerSecond;
}

async function predictRate(images: number): Promise<number> {
  const model = await createModel();
  const data = randomData(images, 3);
  await predict(model, data);
  const t = performance.now();
  await predict(model, data);
  const rate = (images * 1000) / (performance.now() - t);
  model.dispose();
  return rate;
}

export default async function bench(): Promise<void> {
  const peer = await runPeer('torch_cnn.py', []);
  const num = (k: string): number | undefined =>
    typeof peer?.[k] === 'number' ? peer[k] : undefined;
  const backend = await useFastBackend();
  const rows: BenchRow[] = [
    {
      name: 'train, batch 2',
      ours: await trainRate(2, 256),
      peer: num('train_bs2_img_per_s'),
      unit: 'img/s',
      better: 'higher',
    },
    {
      name: 'train, batch 32',
      ours: await trainRate(32, 192),
      peer: num('train_bs32_img_per_s'),
      unit: 'img/s',
      better: 'higher',
    },
    {
      name: 'predict',
      ours: await predictRate(256),
      peer: num('predict_img_per_s'),
      unit: 'img/s',
      better: 'higher',
    },
  ];
  printTable(
    `model: default CNN, ${trainer}, '${backend}' backend, vs PyTorch (${String(peer?.torch ?? 'absent')}, ${String(peer?.threads ?? '?')} threads)`,
    rows,
  );
}
