import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from './helpers/cli.js';
import { createRng } from '../src/core/random.js';
import { writeFitsFile } from '../src/fits/index.node.js';
import { synthesize } from '../src/dataset/index.js';
import { loadDataset } from '../src/dataset/index.node.js';
import { register } from '../src/cli/commands/prepare.js';

let dir: string;

/** Runs `prepare` alone (the full CLI pulls in every module); returns output or the error thrown. */
const run = (args: string[]) => runCommand(register, args);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'alma-prepare-'));
  const rng = createRng(1);
  for (const [sub, kind, n] of [
    ['pos', 'wind', 2],
    ['neg', 'disk', 3],
  ] as const) {
    await mkdir(join(dir, sub));
    for (let i = 0; i < n; i++) {
      await writeFitsFile(
        join(dir, sub, `${kind}-${i}.fits`),
        synthesize(rng.fork(), { kind, size: 96 }),
      );
    }
  }
  await writeFile(join(dir, 'neg', 'broken.fits'), 'not a FITS file at all');
  await writeFile(
    join(dir, 'profile.json'),
    // The thesis's positive recipe (flips and geometric means), so the review page has both;
    // crops in pixels (`sky: null`), as the synthetic files carry no WCS or beam.
    JSON.stringify({
      name: 'cli-test',
      preprocess: { cropSize: 48, inputSize: 24, sky: null },
      positive: { flips: true, geometricMeanPairs: true },
    }),
  );
  await writeFile(join(dir, 'exclude.json'), JSON.stringify(['disk-2.fits']));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('alma-classifier prepare', () => {
  it('builds and saves a dataset, printing counts per class and what was skipped', async () => {
    const out = join(dir, 'ds');
    const r = await run([
      'prepare',
      '--positives',
      join(dir, 'pos'),
      '--negatives',
      join(dir, 'neg'),
      '--profile',
      join(dir, 'profile.json'),
      '--synthetic-negatives',
      '2',
      '--exclude',
      join(dir, 'exclude.json'),
      '--out',
      out,
    ]);
    expect(r.error).toBeUndefined();
    // 2 real + 2 synthetic negatives; 2 positives → 8 + 28.
    expect(r.out).toMatch(/negative\s+4/);
    expect(r.out).toMatch(/positive\s+36/);
    expect(r.out).toContain('skipped 1 unusable file(s), excluded 1 on review');
    expect(r.err).toContain('broken.fits');
    const ds = await loadDataset(out);
    expect(ds.shape).toEqual([40, 24, 24, 1]);
    expect(ds.profile?.name).toBe('cli-test');
    expect(ds.samples.some((s) => s.source === 'synthetic-disk-0')).toBe(true);
  });
  it('fails with a message naming the profile file when the profile is invalid', async () => {
    await writeFile(join(dir, 'bad.json'), JSON.stringify({ preprocess: { inputSize: 999 } }));
    const r = await run([
      'prepare',
      '--synthetic-negatives',
      '1',
      '--profile',
      join(dir, 'bad.json'),
      '--out',
      join(dir, 'x'),
    ]);
    expect(r.error?.name).toBe('DatasetError');
    expect(r.error?.message).toMatch(/bad\.json.*inputSize/);
  });
  it('--review writes a review page of the generated positives whose rejections --exclude and --labels honour', async () => {
    const out = join(dir, 'ds-review');
    const r = await run([
      'prepare',
      '--positives',
      join(dir, 'pos'),
      '--profile',
      join(dir, 'profile.json'),
      '--review',
      '--out',
      out,
    ]);
    expect(r.error).toBeUndefined();
    const html = await readFile(join(out, 'review', 'review.html'), 'utf8');
    const ds = await loadDataset(out);
    expect(ds.samples.length).toBe(36);
    // every positive sample is on the page under its content id, so a rejection names it
    for (const s of ds.samples) expect(html).toContain(`data-id="${s.contentId}"`);
    expect(html).toContain('Geometric means');
    // reject one flip: it and the geometric means made from it drop out of the next prepare,
    // and nothing else (the decisions.json of an older page names samples by plain id)
    const rejected = ds.samples.find((s) => s.transforms.some((t) => t.startsWith('flip')));
    await writeFile(
      join(dir, 'decisions.json'),
      JSON.stringify({
        version: 1,
        decisions: [{ id: rejected?.id, file: rejected?.source, decision: 'reject' }],
      }),
    );
    const again = await run([
      'prepare',
      '--positives',
      join(dir, 'pos'),
      '--profile',
      join(dir, 'profile.json'),
      '--exclude',
      join(dir, 'decisions.json'),
      '--out',
      join(dir, 'ds-after'),
    ]);
    expect(again.error).toBeUndefined();
    const after = await loadDataset(join(dir, 'ds-after'));
    expect(after.samples.some((s) => s.id === rejected?.id)).toBe(false);
    // 8 images less one flip = 7, and C(7, 2) = 21 means
    expect(after.samples.length).toBe(7 + 21);
  });
  it('--synthetic-negatives gives each image the pixel scale and beam a profile on the sky needs', async () => {
    // The default profile crops 24 beams; images without a scale would all be refused.
    const out = join(dir, 'ds-synthetic');
    const r = await run(['prepare', '--synthetic-negatives', '3', '--out', out]);
    expect(r.error).toBeUndefined();
    expect(r.out).toMatch(/negative\s+3/);
    expect(r.out).toContain('skipped 0 unusable file(s)');
    const ds = await loadDataset(out);
    expect(ds.shape).toEqual([3, 48, 48, 1]);
    for (const s of ds.samples) {
      expect(s.transforms[0]).toMatch(/^sky-scale:/);
      // drawn at the input's sampling: the 24-beam crop fits inside the image
      expect(s.transforms.some((t) => t.endsWith(':padded'))).toBe(false);
    }
  });
  it('needs some input', async () => {
    const r = await run(['prepare', '--out', join(dir, 'y')]);
    expect(r.error).toBeInstanceOf(RangeError);
    expect(r.error?.message).toMatch(/--positives/);
  });
});
