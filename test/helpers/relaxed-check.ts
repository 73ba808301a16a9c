// Run by test/model-engine-relaxed.test.ts in a Node started with --experimental-wasm-relaxed-simd:
// the engine's relaxed-SIMD build (fused multiply-add) must pick itself and compute the gradients
// TensorFlow.js's cpu backend computes, on shapes that take the direct, Winograd and
// channel-softmax kernels, with one and two threads. Prints one JSON line.
import * as tf from '@tensorflow/tfjs';
import { engineSimd } from '../../src/model/engine/engine.js';
import { ODD, SOFTMAX, WINO, engineGradientError } from './engine-fixtures.js';

await tf.setBackend('cpu');
let worst = 0;
for (const config of [ODD, WINO, SOFTMAX]) {
  for (const threads of [1, 2]) {
    worst = Math.max(worst, await engineGradientError(config, 'categoricalCrossentropy', threads));
  }
}
console.log(JSON.stringify({ simd: engineSimd(), worst }));
