// The label store (labels.jsonl) and what review decisions do to a dataset: stable ids by
// content, every decision's semantics in prepare and on a built dataset, byte-identical rebuilds.
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile, appendFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from './helpers/cli.js';
import { createRng } from '../src/core/random.js';
import { writeFitsFile } from '../src/fits/index.node.js';
import {
  applyLabelsToDataset,
  buildPositiveSet,
  formatLabelLine,
  labelId,
  latestLabels,
  originalDustInWind,
  parseLabel,
  planLabels,
  resolveProfile,
  summarizeLabels,
  synthesize,
  type LabelRecord,
  type SourceImage,
} from '../src/dataset/index.js';
import {
  appendLabels,
  buildPositiveSetFromFiles,
  fitsDataHash,
  loadDataset,
  preprocessFile,
  readExcludeList,
  readLabels,
} from '../src/dataset/index.node.js';
import { register } from '../src/cli/commands/prepare.js';
import { sampleWeightsOf } from '../src/pipeline/train-flow.js';

let dir: string;
const fixtures = new URL('./fixtures/fits/', import.meta.url).pathname;
const B335 = join(fixtures, 'b335_2017_band6_0.fits');
const SERPENS = join(fixtures, 'serpenssouthc7_2019_band6_0.fits');

/** Pixel crops and the thesis's flips and geometric means, so augmented samples exist. */
const thesis = resolveProfile(
  {
    name: 'labels-test',
    preprocess: { cropSize: 48, inputSize: 24, sky: null },
    positive: { flips: true, geometricMeanPairs: true },
  },
  originalDustInWind,
);

function label(
  over: Partial<LabelRecord> & Pick<LabelRecord, 'id' | 'object' | 'label'>,
): LabelRecord {
  return { v: 1, kind: 'candidate', who: 'tester', when: '2025-01-01T00:00:00Z', ...over };
}

/** Runs `prepare` alone; returns what it printed or the error it threw. */
const prepare = (args: string[]) => runCommand(register, ['prepare', ...args]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alma-labels-'));
  const rng = createRng(3);
  for (const [sub, kind, n] of [
    ['pos', 'wind', 2],
    ['neg', 'disk', 3],
    ['more', 'wind', 2],
  ] as const) {
    await mkdir(join(dir, sub));
    for (let i = 0; i < n; i++) {
      await writeFitsFile(
        join(dir, sub, `${sub}-${kind}-${i}.fits`),
        synthesize(rng.fork(), { kind, size: 96 }),
      );
    }
  }
  await writeFile(join(dir, 'profile.json'), JSON.stringify(thesis));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('label store', () => {
  const object = { hash: '0123456789abcdef', hdu: 0, peak: [10, 12] as [number, number] };
  it('labelId names an object by content hash, HDU, peak and transform', () => {
    expect(labelId(object)).toBe('0123456789abcdef:0:10,12');
    expect(labelId(object, 'flip-lr')).toBe('0123456789abcdef:0:10,12:flip-lr');
  });
  it('formats and parses a line, and refuses lines that are not labels, naming the line', () => {
    const l = label({ id: labelId(object), object, label: 'keep', note: 'clear wind', score: 0.9 });
    const line = formatLabelLine(l);
    expect(line.endsWith('\n')).toBe(true);
    expect(parseLabel(JSON.parse(line))).toEqual(l);
    expect(() => parseLabel({ ...l, label: 'maybe' }, 'x.jsonl:3')).toThrow(/x\.jsonl:3.*'label'/);
    expect(() => parseLabel({ ...l, object: { hash: 'a', hdu: 0 } }, 'x.jsonl:4')).toThrow(
      /x\.jsonl:4.*peak/,
    );
  });
  it('keeps the last decision per id, in id order', () => {
    const a = label({ id: 'b', object, label: 'keep' });
    const b = label({ id: 'a', object, label: 'reject' });
    const c = label({ id: 'b', object, label: 'unsure' });
    expect(latestLabels([a, b, c]).map((l) => [l.id, l.label])).toEqual([
      ['a', 'reject'],
      ['b', 'unsure'],
    ]);
    expect(summarizeLabels([a, b, c])).toMatchObject({ reject: 1, unsure: 1, keep: 0 });
  });
  it('appends across rounds, ignores a torn last line and cuts it off before the next append', async () => {
    const path = join(dir, 'store.jsonl');
    const first = label({ id: 'x', object, label: 'keep' });
    await appendLabels(path, [first]);
    // A crash in the middle of writing the second line.
    await appendFile(
      path,
      formatLabelLine(label({ id: 'y', object, label: 'reject' })).slice(0, 30),
    );
    const torn = await readLabels(path);
    expect(torn.labels).toEqual([first]);
    expect(torn.torn).toEqual([path]);
    const second = label({ id: 'z', object, label: 'unsure' });
    await appendLabels(path, [second]);
    const again = await readLabels(path);
    expect(again.labels).toEqual([first, second]);
    expect(again.torn).toEqual([]);
    // Damage before the last line is not a crash: it is refused, naming the line.
    await writeFile(join(dir, 'damaged.jsonl'), `{"v":1,\n${formatLabelLine(first)}`);
    await expect(readLabels(join(dir, 'damaged.jsonl'))).rejects.toThrow(/damaged\.jsonl:1/);
    await expect(readLabels(join(dir, 'missing.jsonl'))).rejects.toThrow(/missing\.jsonl/);
  });
});

describe('stable ids', () => {
  it('a FITS image hashes the same renamed, moved, gzip-compressed; other pixels do not', async () => {
    const a = await fitsDataHash(join(dir, 'pos', 'pos-wind-0.fits'));
    await mkdir(join(dir, 'moved', 'deeper'), { recursive: true });
    const moved = join(dir, 'moved', 'deeper', 'renamed.fits');
    await copyFile(join(dir, 'pos', 'pos-wind-0.fits'), moved);
    await writeFile(
      join(dir, 'moved', 'renamed.fits.gz'),
      gzipSync(await readFile(join(dir, 'pos', 'pos-wind-0.fits'))),
    );
    expect(await fitsDataHash(moved)).toEqual(a);
    expect(await fitsDataHash(join(dir, 'moved', 'renamed.fits.gz'))).toEqual(a);
    expect((await fitsDataHash(join(dir, 'pos', 'pos-wind-1.fits'))).hash).not.toBe(a.hash);
    expect(a.hash).toMatch(/^[0-9a-f]{16}$/);
  });
  it('sample content ids do not depend on file names, folders or the working folder', async () => {
    const here = await buildPositiveSetFromFiles([join(dir, 'pos', 'pos-wind-0.fits')], thesis);
    const there = await buildPositiveSetFromFiles(
      [relative(process.cwd(), join(dir, 'moved', 'deeper', 'renamed.fits'))],
      thesis,
    );
    expect(here.samples.map((s) => s.contentId)).toEqual(there.samples.map((s) => s.contentId));
    expect(here.samples.map((s) => s.id)).not.toEqual(there.samples.map((s) => s.id));
    const ids = here.samples.map((s) => s.contentId);
    expect(ids[1]).toBe(`${ids[0]}:flip-lr`);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('decision semantics while building', () => {
  it('rejecting one flip of B335 drops that flip and the means made from it, not B335 (36 → 28)', async () => {
    const all = await buildPositiveSetFromFiles([B335, SERPENS], thesis);
    expect(all.labels.length).toBe(36);
    const flip = all.samples.find((s) => s.contentId?.endsWith(':flip-ud') && s.source === B335);
    expect(flip?.contentId).toBeDefined();
    const after = await buildPositiveSetFromFiles([B335, SERPENS], thesis, {
      exclude: [flip!.contentId!],
    });
    // 7 images left, C(7, 2) = 21 means.
    expect(after.labels.length).toBe(7 + 21);
    expect(after.samples.filter((s) => s.sources.includes(B335)).length).toBeGreaterThan(0);
    const gone = new Set(all.samples.map((s) => s.contentId));
    for (const s of after.samples) expect(gone.has(s.contentId)).toBe(true);
    // everything that stays is byte for byte what it was
    const before = new Map(all.samples.map((s, i) => [s.contentId, i]));
    const per = 24 * 24;
    after.samples.forEach((s, i) => {
      const j = before.get(s.contentId)!;
      expect(after.images.subarray(i * per, (i + 1) * per)).toEqual(
        all.images.subarray(j * per, (j + 1) * per),
      );
    });
  });
  it('with capped pairs, a rejected flip removes only its own means', async () => {
    const rng = createRng(9);
    const four: SourceImage[] = Array.from({ length: 4 }, (_, i) => ({
      image: synthesize(rng.fork(), { kind: 'wind', size: 96 }),
      source: `w-${i}.fits`,
    }));
    const capped = resolveProfile({ ...thesis, positive: { maxPairs: 40 } }, originalDustInWind);
    const all = await buildPositiveSet(four, capped, { seed: 2 });
    const flip = all.samples.find((s) => s.contentId?.endsWith(':flip-lr'))!;
    const after = await buildPositiveSet(four, capped, { seed: 2, exclude: [flip.contentId!] });
    const expected = all.samples.filter(
      (s) => s.contentId !== flip.contentId && !s.parents?.includes(flip.id),
    );
    expect(after.samples.map((s) => s.contentId)).toEqual(expected.map((s) => s.contentId));
  });
  it('prepare --labels: matched by content from any folder; keep, reject, unsure', async () => {
    const first = join(dir, 'ds-first');
    const r0 = await prepare([
      '--positives',
      join(dir, 'pos'),
      '--negatives',
      join(dir, 'neg'),
      '--profile',
      join(dir, 'profile.json'),
      '--review',
      '--out',
      first,
    ]);
    expect(r0.error).toBeUndefined();
    const ds0 = await loadDataset(first);
    expect(ds0.labels.length).toBe(3 + 36);
    // The review page names every generated positive by content and tells flips apart.
    const html = await readFile(join(first, 'review', 'review.html'), 'utf8');
    const flip = ds0.samples.find((s) => s.contentId?.endsWith(':flip-ud'))!;
    expect(html).toContain(`data-id="${flip.contentId}"`);
    expect(html).toContain('transform: flip-ud');
    expect(html).toContain('Export labels.jsonl');

    const posHash = await fitsDataHash(join(dir, 'more', 'more-wind-0.fits'));
    const keepPeak = (await preprocessFile(join(dir, 'more', 'more-wind-0.fits'), thesis)).peak;
    const rejHash = await fitsDataHash(join(dir, 'more', 'more-wind-1.fits'));
    const rejPeak = (await preprocessFile(join(dir, 'more', 'more-wind-1.fits'), thesis)).peak;
    const negHash = await fitsDataHash(join(dir, 'neg', 'neg-disk-2.fits'));
    const negPeak = (await preprocessFile(join(dir, 'neg', 'neg-disk-2.fits'), thesis)).peak;
    const keepObj = { hash: posHash.hash, hdu: 0, peak: keepPeak, path: 'nowhere/old-name.fits' };
    const rejObj = { hash: rejHash.hash, hdu: 0, peak: rejPeak };
    const unsureObj = { hash: negHash.hash, hdu: 0, peak: negPeak };
    const store = join(dir, 'labels.jsonl');
    await appendLabels(store, [
      label({ id: labelId(keepObj), object: keepObj, label: 'keep' }),
      label({ id: labelId(rejObj), object: rejObj, label: 'reject' }),
      // unsure about a listed negative: left out
      label({ id: labelId(unsureObj), object: unsureObj, label: 'unsure', kind: 'sample' }),
      label({
        id: flip.contentId!,
        object: { hash: flip.hash!, hdu: 0, peak: flip.peak!, path: flip.source },
        transform: 'flip-ud',
        kind: 'sample',
        label: 'reject',
      }),
    ]);
    const args = (out: string): string[] => [
      '--positives',
      join(dir, 'pos'),
      '--negatives',
      join(dir, 'neg'),
      '--profile',
      join(dir, 'profile.json'),
      '--labels',
      store,
      '--images',
      join(dir, 'more'),
      '--out',
      out,
    ];
    const r1 = await prepare(args(join(dir, 'ds-a')));
    expect(r1.error).toBeUndefined();
    expect(r1.out).toContain('labels: 1 confirmed positive(s), 1 hard negative(s) (weight 2)');
    const ds = await loadDataset(join(dir, 'ds-a'));
    // positives: 3 images x 4 flips, minus the rejected flip = 11, plus C(11, 2) = 55 means
    const pos = ds.samples.filter((s) => s.label === 1);
    expect(pos.length).toBe(11 + 55);
    expect(pos.some((s) => s.contentId === flip.contentId)).toBe(false);
    // the kept candidate joined the positives, augmented like them (flips, means)
    const kept = ds.samples.filter((s) => s.sources.some((x) => x.endsWith('more-wind-0.fits')));
    expect(kept.filter((s) => !s.parents).map((s) => [s.label, s.reviewed])).toEqual([[1, 'keep']]);
    expect(kept.some((s) => s.transforms.includes('flip:lr'))).toBe(true);
    // the rejected candidate is a hard negative, weighted
    const hard = ds.samples.filter((s) => s.reviewed === 'reject');
    expect(hard.map((s) => [s.label, s.weight])).toEqual([[0, 2]]);
    expect(sampleWeightsOf(ds)?.filter((w) => w === 2)).toHaveLength(1);
    // the unsure negative is left out, the other two stay
    expect(ds.samples.filter((s) => s.label === 0).length).toBe(2 + 1);
    expect(ds.samples.some((s) => s.contentId === labelId(unsureObj))).toBe(false);

    // The same store from another working folder and with the files moved: the same dataset,
    // byte for byte.
    const cwd = process.cwd();
    await mkdir(join(dir, 'elsewhere'), { recursive: true });
    process.chdir(join(dir, 'elsewhere'));
    try {
      const r2 = await prepare(args(join(dir, 'ds-b')));
      expect(r2.error).toBeUndefined();
    } finally {
      process.chdir(cwd);
    }
    for (const f of ['images.npy', 'labels.npy']) {
      expect(await readFile(join(dir, 'ds-b', f))).toEqual(await readFile(join(dir, 'ds-a', f)));
    }
    const man = async (d: string) =>
      JSON.parse(await readFile(join(dir, d, 'manifest.json'), 'utf8')) as {
        samples: { contentId?: string; label: number; weight?: number }[];
      };
    expect((await man('ds-b')).samples.map((s) => [s.contentId, s.label, s.weight])).toEqual(
      (await man('ds-a')).samples.map((s) => [s.contentId, s.label, s.weight]),
    );
    // An unchanged store gives the same dataset byte for byte, manifest included.
    const r3 = await prepare(args(join(dir, 'ds-c')));
    expect(r3.error).toBeUndefined();
    for (const f of ['images.npy', 'labels.npy', 'manifest.json']) {
      expect(await readFile(join(dir, 'ds-c', f))).toEqual(await readFile(join(dir, 'ds-a', f)));
    }
  });
  it('a decision whose image cannot be found is reported, not guessed', async () => {
    const object = { hash: 'ffffffffffffffff', hdu: 0, peak: [5, 5] as [number, number] };
    const store = join(dir, 'lost.jsonl');
    await appendLabels(store, [label({ id: labelId(object), object, label: 'keep' })]);
    const r = await prepare([
      '--negatives',
      join(dir, 'neg'),
      '--profile',
      join(dir, 'profile.json'),
      '--labels',
      store,
      '--out',
      join(dir, 'ds-lost'),
    ]);
    expect(r.error).toBeUndefined();
    expect(r.err).toMatch(/label ffffffffffffffff:0:5,5 \(keep\).*not found/);
  });
});

describe('decision semantics on a built dataset', () => {
  it('drops rejected and unsure samples with their means; candidates change or are added', async () => {
    const ds = await buildPositiveSetFromFiles(
      [join(dir, 'pos', 'pos-wind-0.fits'), join(dir, 'pos', 'pos-wind-1.fits')],
      thesis,
    );
    const image = ds.samples[0];
    // a flip of the second image rejected, another marked unsure
    const second = ds.samples.filter(
      (s) => s.source !== image.source && !s.transforms.includes('geometric-mean'),
    );
    const flip = second.find((s) => s.contentId?.endsWith(':flip-both'))!;
    const other = second.find((s) => s.contentId?.endsWith(':flip-lr'))!;
    const elsewhere = { hash: 'aaaaaaaaaaaaaaaa', hdu: 0, peak: [1, 1] as [number, number] };
    const labels: LabelRecord[] = [
      label({ id: flip.contentId!, object: elsewhere, kind: 'sample', label: 'reject' }),
      label({ id: other.contentId!, object: elsewhere, kind: 'sample', label: 'unsure' }),
      // a candidate that is the first positive image, rejected: a hard negative now
      label({
        id: 'c1',
        object: { hash: image.hash!, hdu: 0, peak: [image.peak![0] + 1, image.peak![1]] },
        label: 'reject',
      }),
      label({ id: 'c2', object: elsewhere, label: 'keep' }),
      label({ id: 'c3', object: elsewhere, label: 'unsure' }),
    ];
    const plan = planLabels(labels);
    expect(plan.exclude.sort()).toEqual([flip.contentId, other.contentId].sort());
    const r = applyLabelsToDataset(ds, labels);
    const ids = new Set(r.dataset.samples.map((s) => s.id));
    expect(ids.has(flip.id)).toBe(false);
    expect(ids.has(other.id)).toBe(false);
    for (const s of r.dataset.samples) {
      expect(s.parents?.includes(flip.id) ?? false).toBe(false);
    }
    // the rejected candidate: that image and its flips are weighted negatives, its means left out
    const changed = r.dataset.samples.filter((s) => s.reviewed === 'reject');
    expect(changed.length).toBe(1 + 3);
    expect(changed.every((s) => s.label === 0 && s.weight === 2)).toBe(true);
    expect(
      r.dataset.samples.some((s) => s.parents?.includes(image.id) && s.parents.length > 1),
    ).toBe(false);
    expect([...r.dataset.labels]).toEqual(r.dataset.samples.map((s) => s.label));
    expect(r.unmatched.map((l) => l.id)).toEqual(['c2']);
    // the input is not changed
    expect(ds.samples.length).toBe(36);
  });
  it('an old decisions.json excludes the ids rejected, never their whole files', async () => {
    const path = join(dir, 'decisions.json');
    await writeFile(
      path,
      JSON.stringify({
        version: 1,
        decisions: [
          {
            id: 'b335_2017_band6_0.fits:flip-ud',
            file: 'b335_2017_band6_0.fits',
            decision: 'reject',
          },
          { id: 'x.fits', file: 'x.fits', decision: 'keep' },
        ],
      }),
    );
    expect(await readExcludeList(path)).toEqual(['b335_2017_band6_0.fits:flip-ud']);
  });
});

describe('decisions in training', () => {
  it('a sample weight counts like a class weight of the same size (same seed, same weights)', async () => {
    const { createModel, trainModel } = await import('../src/model/index.js');
    const n = 16;
    const size = 12;
    const rng = createRng(5);
    const images = Float32Array.from({ length: n * size * size }, () => rng.next());
    const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
    const data = { images, shape: [n, size, size, 1] as [number, number, number, number], labels };
    const config = {
      inputShape: [size, size, 1] as [number, number, number],
      convBlocks: [{ filters: 4, kernelSize: 3, poolSize: 2, activation: 'relu' as const }],
      denseUnits: 8,
      convDropout: 0,
      denseDropout: 0,
      seed: 3,
    };
    const train = { epochs: 2, batchSize: 4, seed: 7, threads: 1 };
    const a = await createModel(config);
    await trainModel(a, data, { ...train, classWeight: { 0: 1, 1: 3 } });
    const b = await createModel(config);
    await trainModel(b, data, {
      ...train,
      sampleWeight: Float32Array.from(labels, (l) => (l === 1 ? 3 : 1)),
    });
    const wa = a.getWeights().map((t) => Array.from(t.dataSync()));
    const wb = b.getWeights().map((t) => Array.from(t.dataSync()));
    expect(wb).toEqual(wa);
    const c = await createModel(config);
    await expect(
      trainModel(c, data, { ...train, sampleWeight: new Float32Array(3) }),
    ).rejects.toThrow(/sampleWeight has 3 values for 16 samples/);
  });
  it('train and retrain: a built dataset gains the candidates it lacks, in its training part', async () => {
    const { datasetWithLabels } = await import('../src/pipeline/labelled-dataset.node.js');
    const { splitDataset } = await import('../src/dataset/index.js');
    const built = await buildPositiveSetFromFiles([join(dir, 'pos', 'pos-wind-0.fits')], thesis);
    const parts = splitDataset(built, { test: 0, validation: 0 });
    const ds = parts.train;
    const path = join(dir, 'more', 'more-wind-1.fits');
    const object = {
      hash: (await fitsDataHash(path)).hash,
      hdu: 0,
      peak: (await preprocessFile(path, thesis)).peak,
      path: 'gone/away.fits',
    };
    const labels = [label({ id: labelId(object), object, label: 'reject' })];
    const r = await datasetWithLabels(ds, labels, thesis, { dirs: [join(dir, 'more')] });
    expect(r.missing).toEqual([]);
    expect(r.added.map((s) => [s.label, s.reviewed, s.weight, s.split])).toEqual([
      [0, 'reject', 2, 'train'],
    ]);
    expect(r.dataset.labels.length).toBe(ds.labels.length + 1);
    expect(r.added[0].contentId).toBe(labelId(object));
    // without the file, the decision is reported missing, not guessed
    const lost = await datasetWithLabels(ds, labels, thesis);
    expect(lost.missing.map((l) => l.id)).toEqual([labelId(object)]);
    expect(lost.dataset.labels.length).toBe(ds.labels.length);
  });
});
