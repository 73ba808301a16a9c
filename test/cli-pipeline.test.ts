import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/main.js';
import { createRng } from '../src/core/random.js';
import { buildNegativeSet, buildPositiveSet } from '../src/dataset/build.js';
import { concatDatasets } from '../src/dataset/dataset.js';
import { saveDataset } from '../src/dataset/persist.node.js';
import { resolveProfile, type TargetProfileInput } from '../src/dataset/profile.js';
import { splitDataset } from '../src/dataset/split.js';
import { synthesize } from '../src/dataset/synthesize.js';
import { writeFitsFile } from '../src/fits/index.node.js';

const dir = mkdtempSync(join(tmpdir(), 'alma-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// A small profile so the commands run in seconds: 32 px inputs, one narrow conv block. Crops in
// pixels (`sky: null`): the synthetic images and one.fits carry no WCS or beam.
const profileInput: TargetProfileInput = {
  name: 'tiny-test',
  preprocess: { cropSize: 64, inputSize: 32, sky: null },
  positive: { maxPairs: 40 },
  model: {
    convBlocks: [{ filters: 4, kernelSize: 3, poolSize: 2, activation: 'relu' }],
    denseUnits: 8,
  },
  train: { epochs: 2, batchSize: 16 },
};
const profilePath = join(dir, 'profile.json');

async function run(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = vi
    .spyOn(console, 'log')
    .mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  const write = vi
    .spyOn(process.stderr, 'write')
    .mockImplementation((chunk: string | Uint8Array) => (err.push(String(chunk)), true));
  process.exitCode = undefined;
  try {
    const code = await main(['node', 'alma-classifier', ...args]);
    return { code, out: out.join('\n'), err: err.join('') };
  } finally {
    log.mockRestore();
    write.mockRestore();
    process.exitCode = undefined;
  }
}

beforeAll(async () => {
  writeFileSync(profilePath, JSON.stringify(profileInput));
  const profile = resolveProfile(profileInput);
  const rng = createRng(5);
  const pos = Array.from({ length: 4 }, (_, i) => ({
    image: synthesize(rng.fork(), { kind: 'wind', size: 96 }),
    source: `wind-${i}.fits`,
  }));
  const neg = Array.from({ length: 8 }, (_, i) => ({
    image: synthesize(rng.fork(), { kind: 'noise', size: 96 }),
    source: `noise-${i}.fits`,
  }));
  const ds = concatDatasets([
    await buildNegativeSet(neg, profile),
    await buildPositiveSet(pos, profile),
  ]);
  const parts = splitDataset(ds, { test: 0.25, seed: 1 });
  await saveDataset(concatDatasets([parts.train, parts.test]), join(dir, 'dataset'));
  await writeFitsFile(join(dir, 'one.fits'), pos[0].image);
});

describe('CLI train / evaluate / classify', () => {
  it('train writes a model and prints the held-out metrics', async () => {
    const r = await run(
      'train',
      '--data',
      join(dir, 'dataset'),
      '--out',
      join(dir, 'model'),
      '--profile',
      profilePath,
      '--epochs',
      '2',
    );
    expect(r.code).toBe(0);
    // Threshold and calibration come from the validation sources; figures are per source file.
    expect(r.out).toMatch(/threshold \(validation, f1\): \d\.\d{3}/);
    expect(r.out).toMatch(/calibration \(validation\): temperature \d/);
    expect(r.out).toMatch(/confusion matrix at threshold \d\.\d{3} \(\d+ sources\)/);
    expect(r.out).toMatch(/accuracy \d\.\d{3}/);
    expect(existsSync(join(dir, 'model', 'model.json'))).toBe(true);
    const meta = JSON.parse(readFileSync(join(dir, 'model', 'meta.json'), 'utf8'));
    expect(meta.profileName).toBe('tiny-test');
    expect(meta.classNames).toEqual(['negative', 'positive']);
  });

  it('evaluate prints metrics as JSON', async () => {
    const r = await run(
      'evaluate',
      '--model',
      join(dir, 'model'),
      '--data',
      join(dir, 'dataset'),
      '--json',
    );
    expect(r.code).toBe(0);
    const e = JSON.parse(r.out);
    const m = e.metrics;
    expect(m.confusion.tp + m.confusion.fp + m.confusion.tn + m.confusion.fn).toBe(m.n);
    // One score per source file, at the threshold the model was saved with.
    expect(e.sources).toHaveLength(m.n);
    const meta = JSON.parse(readFileSync(join(dir, 'model', 'meta.json'), 'utf8'));
    expect(e.threshold).toBe(meta.threshold);
    // Scored as the threshold was fitted: averaged over the flips the model records.
    expect(meta.tta).toBe('flips');
    expect(e.tta).toEqual(['identity', 'flipLR', 'flipUD', 'rot180']);
    const onePass = await run(
      'evaluate',
      '--model',
      join(dir, 'model'),
      '--data',
      join(dir, 'dataset'),
      '--tta',
      'none',
      '--json',
    );
    expect(onePass.code).toBe(0);
    expect(JSON.parse(onePass.out).tta).toBe(false);
    expect(onePass.err).toContain(
      "warning: the model's threshold and calibration were fitted on scores made as the mean over the four axis flips",
    );
  });

  it('classify writes candidates.json, copies positives, and exits 1 naming an unreadable file', async () => {
    const outFile = join(dir, 'candidates.json');
    const r = await run(
      'classify',
      '--model',
      join(dir, 'model'),
      '--out',
      outFile,
      '--threshold',
      '0',
      '--copy-positives',
      join(dir, 'positives'),
      join(dir, 'one.fits'),
      join(dir, 'nope.fits'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toContain('nope.fits');
    expect(r.err).not.toMatch(/\n\s+at /); // no stack trace
    const c = JSON.parse(readFileSync(outFile, 'utf8'));
    expect(c.length).toBeGreaterThan(0);
    expect(c[0].file).toBe(join(dir, 'one.fits'));
    expect(existsSync(join(dir, 'positives', 'one.fits'))).toBe(true);
  });

  it('a missing dataset is a one-line error and exit code 1', async () => {
    const r = await run('train', '--data', join(dir, 'nothing'), '--out', join(dir, 'm2'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^alma-classifier: .*nothing/);
  });
});
