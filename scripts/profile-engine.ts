/**
 * Per-kernel profile of the training engine on one thread: milliseconds per training step or per
 * forward pass of a batch, with every kernel call timed (the figures in docs/performance.md).
 *
 *   npx tsx scripts/profile-engine.ts [thesis|profile] [train|predict] [batch] [reps] [relaxed|baseline]
 *
 * `thesis`: createModel()'s default network (100x100x1, conv 32, conv 64, dense 128);
 * `profile`: the dustInWind profile's network (64x64x1, four conv blocks, dense 64).
 * Weights come from the model's initialiser; images are random normal.
 */
import { buildModel, resolveModelConfig } from '../src/model/factory.js';
import { currentBackend } from '../src/model/backend.js';
import { TrainingEngine, compileEngine } from '../src/model/engine/engine.js';
import { dustInWind } from '../src/dataset/profile.js';
import { createRng } from '../src/core/random.js';

const [net = 'thesis', mode = 'predict', batchArg = '32', repsArg = '20'] = process.argv.slice(2);
const batch = Number(batchArg);
const reps = Number(repsArg);

await currentBackend();
const config = resolveModelConfig(net === 'profile' ? dustInWind.model : {});
const model = buildModel(config);

/** CPU time of the process in ms (the machine is shared: wall time swings with the load). */
const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

// Time every kernel: wrap the module's exports before the engine instantiates them.
const times = new Map<string, { ms: number; calls: number }>();
const origInstance = WebAssembly.Instance;
(WebAssembly as { Instance: unknown }).Instance = function (
  module: WebAssembly.Module,
  imports: WebAssembly.Imports,
): WebAssembly.Instance {
  const inst = new origInstance(module, imports);
  const wrapped: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(inst.exports)) {
    if (typeof f !== 'function') {
      wrapped[name] = f;
      continue;
    }
    const fn = f as (...a: number[]) => unknown;
    wrapped[name] = (...a: number[]): unknown => {
      const t = cpuMs();
      const r = fn(...a);
      const e = times.get(name) ?? { ms: 0, calls: 0 };
      e.ms += cpuMs() - t;
      e.calls++;
      times.set(name, e);
      return r;
    };
  }
  return { exports: wrapped } as unknown as WebAssembly.Instance;
};
await compileEngine(false);

const engine = await TrainingEngine.create(model, {
  threads: 1,
  maxBatch: batch,
  optimizer: 'adam',
  learningRate: 1e-3,
  seed: 1,
});
if (typeof engine === 'string') throw new Error(engine);
const [h, w, c] = config.inputShape;
const r = createRng(7);
const x = Float32Array.from({ length: batch * h * w * c }, () => r.normal());
const labels = Int32Array.from({ length: batch }, () => r.int(0, 1));
const weights = new Float32Array(batch).fill(1);
const run = async (): Promise<void> => {
  if (mode === 'train') await engine.step(x, labels, weights, 'binaryCrossentropy');
  else await engine.forward(x, batch);
};
for (let i = 0; i < 3; i++) await run();
times.clear();
const t0 = performance.now();
const c0 = cpuMs();
for (let i = 0; i < reps; i++) await run();
const wall = (performance.now() - t0) / reps;
const cpu = (cpuMs() - c0) / reps;
await engine.close();
const rows = [...times.entries()].sort((a, b) => b[1].ms - a[1].ms);
const total = rows.reduce((s, [, v]) => s + v.ms, 0) / reps;
console.log(
  `${net} ${mode} batch ${batch}, ${engine.simd} build, one thread: ${cpu.toFixed(2)} ms of CPU per ${mode === 'train' ? 'step' : 'batch'} (${((batch * 1000) / cpu).toFixed(0)} img/s; wall ${wall.toFixed(2)} ms), kernels ${total.toFixed(2)} ms`,
);
for (const [name, v] of rows) {
  console.log(
    `${name.padEnd(16)} ${(v.ms / reps).toFixed(3).padStart(9)} ms  ${String(v.calls / reps).padStart(6)} calls`,
  );
}
