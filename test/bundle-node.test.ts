// A Node application bundled with esbuild keeps the library's Node parts: `#model-platform`
// (package.json `imports`, `node` condition) arrives as a value the engine uses, not as an import
// for effect that `"sideEffects": false` lets a bundler drop. The bundled app trains on two
// engine threads. From the sources always; from dist/ too when it is built (`npm run build`).
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = resolve(__dirname, '..');

/** The app: train a small model with two threads, print what trained it. */
function appSource(from: string): string {
  return `
import * as tf from '@tensorflow/tfjs';
import { createModel, describeTrainer, trainModel } from ${JSON.stringify(from)};
const n = 16, S = 12;
const images = Float32Array.from({ length: n * S * S }, (_, i) => Math.sin(i * 0.37));
const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
const model = await createModel({
  inputShape: [S, S, 1],
  convBlocks: [{ filters: 4, kernelSize: 3, poolSize: 2, activation: 'relu' }],
  denseUnits: 8,
});
const h = await trainModel(model, { images, shape: [n, S, S, 1], labels }, {
  epochs: 1,
  batchSize: 8,
  threads: 2,
});
console.log(JSON.stringify({ trainer: describeTrainer(h), threads: h.engineThreads, backend: tf.getBackend() }));
`;
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alma-bundle-'));
  // The app's own node_modules: this package (by name) and TensorFlow.js.
  await mkdir(join(dir, 'node_modules'));
  await symlink(repo, join(dir, 'node_modules', 'alma-classifier'));
  await symlink(
    await realpath(join(repo, 'node_modules', '@tensorflow')),
    join(dir, 'node_modules', '@tensorflow'),
  );
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function bundleAndRun(
  name: string,
  from: string,
  worker: string,
  conditions: string[],
): Promise<{ warnings: string[]; result: { trainer: string; threads: number; backend: string } }> {
  const app = join(dir, `${name}.mjs`);
  await writeFile(app, appSource(from));
  const out = join(dir, `out-${name}`);
  const r = await build({
    // The engine's worker is a second entry, written beside the app as the engine expects it.
    entryPoints: { app, 'worker.node': worker },
    bundle: true,
    platform: 'node',
    format: 'esm',
    outdir: out,
    conditions,
    // The sources' tsconfig `paths` (for tsx) are left out: the package.json mapping is tested.
    tsconfigRaw: {},
    // TensorFlow.js calls require(); an ES module bundle needs one.
    banner: {
      js: "import { createRequire as __alma_cr } from 'node:module'; const require = __alma_cr(import.meta.url);",
    },
    logLevel: 'silent',
  });
  // Run from elsewhere: the bundle needs nothing beside it but its worker.
  const { stdout } = await run(process.execPath, [join(out, 'app.js')], {
    cwd: tmpdir(),
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const last = stdout.trim().split('\n').pop() as string;
  return { warnings: r.warnings.map((w) => w.text), result: JSON.parse(last) };
}

describe('a Node app bundled with esbuild', () => {
  it('from the sources trains on two engine threads', async () => {
    const { warnings, result } = await bundleAndRun(
      'src',
      join(repo, 'src', 'index.node.ts'),
      join(repo, 'src', 'model', 'engine', 'worker.node.ts'),
      ['alma-source'],
    );
    expect(warnings).toEqual([]);
    expect(result).toEqual({ trainer: 'training engine (2 threads)', threads: 2, backend: 'cpu' });
  });

  it.skipIf(!existsSync(join(repo, 'dist', 'index.node.js')))(
    'from the built package (dist/) trains on two engine threads',
    async () => {
      const { warnings, result } = await bundleAndRun(
        'dist',
        'alma-classifier',
        'alma-classifier/engine-worker',
        [],
      );
      expect(warnings).toEqual([]);
      expect(result.threads).toBe(2);
      expect(result.trainer).toBe('training engine (2 threads)');
    },
  );
});
