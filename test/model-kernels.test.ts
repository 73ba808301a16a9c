import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import '../src/model/index.node.js';
import { useFastBackend } from '../src/model/index.js';
import { IM2COL_MAX_BATCH, setIm2colMaxBatch } from '../src/model/kernels.js';
import { FusedAdamOptimizer } from '../src/model/optimizers.js';
import { createRng } from '../src/core/random.js';

/** Random values from a seeded generator, with optional repeated values to force ties. */
function values(n: number, seed: number, ties = false): Float32Array {
  const r = createRng(seed);
  return Float32Array.from({ length: n }, () =>
    ties ? Math.round(r.normal() * 2) / 2 : r.normal(),
  );
}

/** Runs `f` on the `cpu` backend and on `wasm` (with our kernels); returns both results. */
async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<[Float32Array[], Float32Array[]]> {
  const run = async (name: string): Promise<Float32Array[]> => {
    await tf.setBackend(name);
    const out = tf.tidy(f);
    const arr = Array.isArray(out) ? out : [out];
    const data = await Promise.all(arr.map(async (t) => (await t.data()) as Float32Array));
    arr.forEach((t) => t.dispose());
    return data;
  };
  const cpu = await run('cpu');
  const wasm = await run('wasm');
  return [cpu, wasm];
}

function expectClose(a: Float32Array[], b: Float32Array[], rtol = 1e-4): void {
  expect(b.length).toBe(a.length);
  a.forEach((x, k) => {
    expect(b[k].length).toBe(x.length);
    const scale = Math.max(1, ...Array.from(x, Math.abs));
    let worst = 0;
    for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - b[k][i]));
    expect(worst / scale).toBeLessThan(rtol);
  });
}

type Pad = 'valid' | 'same';
const convCases: { name: string; x: number[]; f: number[]; stride: number; pad: Pad }[] = [
  {
    name: 'valid, stride 1, one input channel',
    x: [3, 12, 11, 1],
    f: [3, 3, 1, 4],
    stride: 1,
    pad: 'valid',
  },
  {
    name: 'valid, stride 1, many channels',
    x: [2, 9, 10, 5],
    f: [3, 3, 5, 6],
    stride: 1,
    pad: 'valid',
  },
  { name: 'same, stride 1, 5x3 kernel', x: [2, 8, 7, 3], f: [5, 3, 3, 2], stride: 1, pad: 'same' },
  { name: 'valid, stride 2', x: [2, 11, 9, 2], f: [3, 3, 2, 3], stride: 2, pad: 'valid' },
  { name: 'same, stride 2', x: [2, 10, 9, 2], f: [3, 3, 2, 3], stride: 2, pad: 'same' },
];

describe('WASM training kernels match the CPU backend', () => {
  beforeAll(async () => {
    expect(await useFastBackend({ prefer: ['wasm'] })).toBe('wasm');
  });

  for (const [c, strategy] of convCases.flatMap(
    (c) =>
      [
        [c, 'im2col'],
        [c, 'conv'],
      ] as const,
  )) {
    it(`conv2d gradients (filter via ${strategy}, and input) agree: ${c.name}`, async () => {
      const saved = IM2COL_MAX_BATCH;
      setIm2colMaxBatch(strategy === 'conv' ? 1 : 1000);
      const xv = values(
        c.x.reduce((p, q) => p * q),
        1,
      );
      const fv = values(
        c.f.reduce((p, q) => p * q),
        2,
      );
      const [cpu, wasm] = await onBoth(() => {
        const x = tf.tensor4d(xv, c.x as [number, number, number, number]);
        const f = tf.tensor4d(fv, c.f as [number, number, number, number]);
        const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
          tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, c.stride, c.pad))),
        );
        return g([x, f]);
      });
      setIm2colMaxBatch(saved);
      expectClose(cpu, wasm);
    });
  }

  it('max-pool gradient sends each window to its first maximum, as the CPU backend does', async () => {
    // Half-integer values make ties common; a block of negatives checks all-negative windows.
    const xv = values(2 * 9 * 8 * 3, 3, true);
    xv.fill(-3, 0, 24);
    const [cpu, wasm] = await onBoth(() => {
      const x = tf.tensor4d(xv, [2, 9, 8, 3]);
      const g = tf.grad((a: tf.Tensor) =>
        tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, 2, 2, 'valid'), 1.5)),
      );
      const g3 = tf.grad((a: tf.Tensor) => tf.sum(tf.maxPool(a as tf.Tensor4D, 3, 1, 'same')));
      // Odd width and height: the last row and column lie outside every 2x2 window.
      const odd = tf.slice(x, [0, 0, 0, 0], [2, 9, 7, 3]);
      return [g(x), g3(x), g(odd)];
    });
    expectClose(cpu, wasm, 1e-6);
  });

  it('transposed matrix products (dense-layer gradients) agree', async () => {
    const av = values(7 * 33, 4);
    const bv = values(33 * 5, 5);
    const [cpu, wasm] = await onBoth(() => {
      const a = tf.tensor2d(av, [7, 33]);
      const b = tf.tensor2d(bv, [33, 5]);
      return [
        tf.matMul(a, tf.transpose(b), false, true),
        tf.matMul(a, a, true, false),
        tf.matMul(b, b, false, true),
        tf.matMul(tf.transpose(a), tf.transpose(b), true, true),
        // A small left operand times a large transposed one takes the swapped orientation.
        tf.matMul(a.slice([0, 0], [2, 33]), tf.tile(b, [1, 60]), false, false),
        tf.matMul(a.slice([0, 0], [2, 33]), tf.transpose(tf.tile(b, [1, 60])), false, true),
      ];
    });
    expectClose(cpu, wasm);
  });

  it('sums over leading axes (bias gradients) and other axes agree', async () => {
    const xv = values(3 * 5 * 4 * 6, 6);
    const [cpu, wasm] = await onBoth(() => {
      const x = tf.tensor4d(xv, [3, 5, 4, 6]);
      return [tf.sum(x, [0, 1, 2]), tf.sum(x, [0, 1], true), tf.sum(x, 3), tf.sum(x, [1, 2])];
    });
    expectClose(cpu, wasm);
  });

  it('fused dense layer (product, bias, ReLU) agrees in inference and under a gradient tape', async () => {
    const av = values(3 * 200, 7);
    const bv = values(200 * 9, 8);
    const cv = values(9, 9);
    const [cpu, wasm] = await onBoth(() => {
      const a = tf.tensor2d(av, [3, 200]);
      const b = tf.tensor2d(bv, [200, 9]);
      const bias = tf.tensor1d(cv);
      const f = (x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D =>
        tf.fused.matMul({ a: x, b: w, bias, activation: 'relu' }) as tf.Tensor2D;
      const { value, grads } = tf.valueAndGrads((x: tf.Tensor, w: tf.Tensor) =>
        tf.sum(tf.square(f(x as tf.Tensor2D, w as tf.Tensor2D))),
      )([a, b]);
      return [f(a, b), tf.fused.matMul({ a, b, bias, activation: 'linear' }), value, ...grads];
    });
    expectClose(cpu, wasm);
  });

  it('fused Adam follows tf.train.adam step for step', async () => {
    const init = values(500, 10);
    const target = values(500, 11);
    const run = async (backend: string, fused: boolean): Promise<Float32Array> => {
      await tf.setBackend(backend);
      const w = tf.variable(tf.tensor1d(init));
      const y = tf.tensor1d(target);
      const opt = fused ? new FusedAdamOptimizer(0.05) : tf.train.adam(0.05);
      for (let i = 0; i < 5; i++) {
        tf.tidy(() => {
          opt.minimize(() => tf.sum(tf.square(tf.sub(tf.mul(w, w), y))) as tf.Scalar);
        });
      }
      const out = (await w.data()) as Float32Array;
      tf.dispose([w, y]);
      opt.dispose();
      return out;
    };
    const reference = await run('cpu', false);
    const fused = await run('wasm', true);
    expectClose([reference], [fused], 1e-5);
    expect(Math.max(...Array.from(fused, (v, i) => Math.abs(v - init[i])))).toBeGreaterThan(0.1);
  });

  it('Identity shares memory: a clone outlives its disposed source with the same values', async () => {
    await tf.setBackend('wasm');
    const buffers = (): number => tf.engine().backend.numDataIds();
    const before = buffers();
    const x = tf.tensor1d(values(1000, 12));
    const copy = tf.clone(x);
    expect(buffers() - before).toBe(1);
    const expected = await x.data();
    x.dispose();
    expect(await copy.data()).toEqual(expected);
    expect(buffers() - before).toBe(1);
    copy.dispose();
    expect(buffers()).toBe(before);
  });
});
