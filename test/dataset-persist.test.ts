import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ndarray from 'ndarray';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DatasetError } from '../src/core/errors.js';
import { createRng } from '../src/core/random.js';
import { writeNpy } from '../src/fits/index.js';
import {
  buildNegativeSet,
  buildPositiveSet,
  concatDatasets,
  originalDustInWind,
  resolveProfile,
  splitDataset,
  synthesize,
} from '../src/dataset/index.js';
import type { Dataset } from '../src/dataset/index.js';
import {
  importNpyCrops,
  loadDataset,
  readExcludeList,
  saveDataset,
} from '../src/dataset/index.node.js';

// Crops in pixels (`sky: null`): the synthetic images carry no WCS or beam.
const profile = resolveProfile({
  name: 'persist-test',
  preprocess: { cropSize: 48, inputSize: 24, sky: null },
  linear: { factor: 1, sizeRange: [30, 60] },
});

async function build(seed: number): Promise<Dataset> {
  const rng = createRng(seed);
  const img = (kind: 'disk' | 'wind', i: number) => ({
    image: synthesize(rng.fork(), { kind, size: 96 }),
    source: `${kind}-${i}.fits`,
  });
  const neg = await buildNegativeSet(
    [0, 1, 2, 3].map((i) => img('disk', i)),
    profile,
    { seed },
  );
  const pos = await buildPositiveSet(
    [0, 1].map((i) => img('wind', i)),
    profile,
    { seed },
  );
  return concatDatasets([neg, pos]);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alma-persist-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('saveDataset / loadDataset', () => {
  it('round-trips images, labels, provenance, split membership and profile', async () => {
    const ds = await build(1);
    const { train, test } = splitDataset(ds, { seed: 2 });
    const marked = concatDatasets([train, test]);
    await saveDataset(marked, join(dir, 'a'));
    const back = await loadDataset(join(dir, 'a'), { profile });
    expect(back.shape).toEqual(marked.shape);
    expect(back.images).toEqual(marked.images);
    expect(back.labels).toEqual(marked.labels);
    expect(back.samples).toEqual(marked.samples);
    expect(back.classNames).toEqual(['negative', 'positive']);
    expect(back.profile?.name).toBe('persist-test');
    expect(back.samples.filter((s) => s.split === 'test').length).toBe(test.shape[0]);
    const manifest = JSON.parse(await readFile(join(dir, 'a', 'manifest.json'), 'utf8'));
    expect(manifest.counts).toEqual({
      negative: 8,
      positive:
        test.labels.filter((l) => l === 1).length + train.labels.filter((l) => l === 1).length,
    });
    expect(manifest.library).toMatch(/^\d+\.\d+\.\d+/);
  });
  it('writes byte-identical files for the same seed, different ones for another', async () => {
    await saveDataset(await build(7), join(dir, 'x1'));
    await saveDataset(await build(7), join(dir, 'x2'));
    await saveDataset(await build(8), join(dir, 'x3'));
    for (const f of ['images.npy', 'labels.npy', 'manifest.json']) {
      const a = await readFile(join(dir, 'x1', f));
      expect(a.equals(await readFile(join(dir, 'x2', f)))).toBe(true);
    }
    const a = await readFile(join(dir, 'x1', 'images.npy'));
    expect(a.equals(await readFile(join(dir, 'x3', 'images.npy')))).toBe(false);
    expect(existsSync(join(dir, 'x1', 'images.npy.part'))).toBe(false);
  });
  it('writes .npy files that NumPy loads as float32 [n, h, w, 1] and int32 [n]', async () => {
    const ds = await build(3);
    await saveDataset(ds, join(dir, 'np'));
    const bytes = await readFile(join(dir, 'np', 'images.npy'));
    expect(bytes.subarray(1, 6).toString('latin1')).toBe('NUMPY');
    const header = bytes.subarray(10, 10 + bytes.readUInt16LE(8)).toString('latin1');
    expect(header).toContain("'descr': '<f4'");
    expect(header).toContain(`'shape': (${ds.shape.join(', ')})`);
    const python = '/usr/bin/python3';
    let hasNumpy = existsSync(python);
    try {
      if (hasNumpy) execFileSync(python, ['-c', 'import numpy']);
    } catch {
      hasNumpy = false;
    }
    if (!hasNumpy) return;
    const out = execFileSync(python, [
      '-c',
      'import sys, numpy as np; a = np.load(sys.argv[1]); l = np.load(sys.argv[2]); print(a.dtype, a.shape, l.dtype, l.shape, float(a.sum()), int(l.sum()))',
      join(dir, 'np', 'images.npy'),
      join(dir, 'np', 'labels.npy'),
    ])
      .toString()
      .trim()
      .split(' ');
    const sum = ds.images.reduce((s, v) => s + v, 0);
    expect(out.slice(0, 1)).toEqual(['float32']);
    expect(out.join(' ')).toContain(`(${ds.shape.join(', ')})`);
    expect(out.join(' ')).toContain(`int32 (${ds.shape[0]},)`);
    expect(Number(out[out.length - 2])).toBeCloseTo(sum, 0);
    expect(Number(out[out.length - 1])).toBe(ds.labels.reduce((s, v) => s + v, 0));
  });
  it('refuses a missing manifest, mismatched arrays and another profile, naming the file', async () => {
    await expect(loadDataset(join(dir, 'absent'))).rejects.toThrow(/absent.*manifest\.json/);
    await saveDataset(await build(4), join(dir, 'bad'));
    await writeFile(join(dir, 'bad', 'labels.npy'), writeNpy(ndarray(new Int32Array(3), [3])));
    await expect(loadDataset(join(dir, 'bad'))).rejects.toThrow(/labels\.npy/);
    await saveDataset(await build(4), join(dir, 'other'));
    const other = resolveProfile({ ...profile, threshold: 0.9 });
    await expect(loadDataset(join(dir, 'other'), { profile: other })).rejects.toThrow(DatasetError);
  });
  it('loads a dataset whose profile was recorded before a default changed, and still refuses an edited one', async () => {
    // The profile a real demo dataset recorded on 2026-12-07 before the cosine learning-rate
    // default (no learningRateSchedule key, 25 epochs): it was refused as "edited by hand".
    const recorded = JSON.parse(
      await readFile(new URL('./fixtures/profile-before-cosine.json', import.meta.url), 'utf8'),
    ).profile;
    await saveDataset(await build(5), join(dir, 'old'));
    const manifestPath = join(dir, 'old', 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8'));
    await writeFile(manifestPath, JSON.stringify({ ...manifest, profile: recorded }));
    const back = await loadDataset(join(dir, 'old'));
    expect(back.profile?.hash).toBe(recorded.hash);
    expect(back.profile?.settings?.train.learningRateSchedule).toBeUndefined();
    expect(back.profile?.settings?.train.epochs).toBe(25);
    const edited = structuredClone(recorded);
    edited.settings.train.epochs = 30;
    await writeFile(manifestPath, JSON.stringify({ ...manifest, profile: edited }));
    await expect(loadDataset(join(dir, 'old'))).rejects.toThrow(/edited by hand/);
  });
});

describe('importNpyCrops', () => {
  it("imports the original's [n, 400, 400] crops as central inputs, one group per crop", async () => {
    const crops = new Float32Array(3 * 400 * 400);
    for (let i = 0; i < 3; i++) crops[i * 160000 + 200 * 400 + 200] = i + 1;
    const path = join(dir, 'pos.npy');
    await writeFile(path, writeNpy(ndarray(crops, [3, 400, 400])));
    // The original's crops, made into inputs the original's way (central 100 px, min-max).
    const ds = await importNpyCrops([{ path, label: 1 }], originalDustInWind);
    expect(ds.shape).toEqual([3, 100, 100, 1]);
    expect([...ds.labels]).toEqual([1, 1, 1]);
    expect(ds.samples.map((s) => s.id)).toEqual(['pos.npy[0]', 'pos.npy[1]', 'pos.npy[2]']);
    // The crop's centre pixel lands at the input's centre, normalised to 1.
    expect(ds.images[50 * 100 + 50]).toBe(1);
    expect(new Set(ds.samples.map((s) => s.sources[0])).size).toBe(3);
    await writeFile(join(dir, 'flat.npy'), writeNpy(ndarray(new Float32Array(10), [10])));
    await expect(
      importNpyCrops([{ path: join(dir, 'flat.npy'), label: 0 }], originalDustInWind),
    ).rejects.toThrow(/flat\.npy/);
  });
});

describe('readExcludeList', () => {
  it('reads arrays, exclude objects and review decisions (ids only: a rejected sample never drops its whole file)', async () => {
    const write = async (name: string, v: unknown): Promise<string> => {
      await writeFile(join(dir, name), JSON.stringify(v));
      return join(dir, name);
    };
    expect(await readExcludeList(await write('e1.json', ['a.fits', 'b.fits:flip-lr']))).toEqual([
      'a.fits',
      'b.fits:flip-lr',
    ]);
    expect(await readExcludeList(await write('e2.json', { exclude: ['c.fits'] }))).toEqual([
      'c.fits',
    ]);
    const decisions = {
      version: 1,
      decisions: [
        { id: 'gm(a.fits|b.fits:flip-lr)', file: 'positives/gm-12.png', decision: 'reject' },
        { id: 'cand-3', file: 'archive/member.cont.fits', decision: 'reject' },
        { id: 'cand-4', file: 'archive/other.fits', decision: 'keep' },
      ],
    };
    expect(await readExcludeList(await write('e3.json', decisions))).toEqual([
      'gm(a.fits|b.fits:flip-lr)',
      'cand-3',
    ]);
    await expect(readExcludeList(await write('e4.json', { nope: 1 }))).rejects.toThrow(/e4\.json/);
    await expect(readExcludeList(join(dir, 'none.json'))).rejects.toThrow(/none\.json/);
  });
});
