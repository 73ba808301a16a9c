/**
 * Bad input to the CLI ends in one clear line naming what was wrong and exit code 1 — never a
 * stack trace, an internal message, a hang, or a silent empty run (issue 15).
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli as run } from './helpers/cli.js';
import { createRng } from '../src/core/random.js';
import { buildNegativeSet, buildPositiveSet } from '../src/dataset/build.js';
import { concatDatasets } from '../src/dataset/dataset.js';
import { saveDataset } from '../src/dataset/persist.node.js';
import { resolveProfile, type TargetProfileInput } from '../src/dataset/profile.js';
import { synthesize } from '../src/dataset/synthesize.js';
import { writeFitsFile } from '../src/fits/index.node.js';
import { saveTinyModel } from './helpers/products.js';
import { startReplayServer, type ReplayServer } from './helpers/replay-server.js';

const dir = mkdtempSync(join(tmpdir(), 'alma-bad-input-'));
let server: ReplayServer;

/** A failure as the issue wants it: exit 1, one line on stderr matching `message`, no trace. */
function expectCleanError(r: { code: number; err: string }, message: RegExp): void {
  expect(r.code, r.err).toBe(1);
  expect(r.err).toMatch(/^alma-classifier: /);
  expect(r.err).toMatch(message);
  expect(r.err).not.toMatch(/\n\s+at /);
  expect(r.err).not.toMatch(/unexpected error/);
  expect(r.err.length).toBeLessThan(2000);
}

const tiny: TargetProfileInput = {
  name: 'tiny-32',
  // Pixel crops: the synthetic images here carry no WCS or beam.
  preprocess: { cropSize: 64, inputSize: 32, sky: null },
  positive: { maxPairs: 20 },
  model: {
    convBlocks: [{ filters: 2, kernelSize: 3, poolSize: 2, activation: 'relu' }],
    denseUnits: 4,
  },
  train: { epochs: 1, batchSize: 16 },
};

beforeAll(async () => {
  server = await startReplayServer({
    tap: readFileSync(
      join(__dirname, 'fixtures', 'archive', 'obscore-keysearch.binary2.xml'),
      'utf8',
    ),
  });
  writeFileSync(join(dir, 'a-file'), 'in the way');
  writeFileSync(join(dir, 'null.json'), 'null');
  writeFileSync(join(dir, 'tiny.json'), JSON.stringify(tiny));
  writeFileSync(
    join(dir, 'other.json'),
    JSON.stringify({ ...tiny, name: 'other', threshold: 0.7 }),
  );
  const profile = resolveProfile(tiny);
  const rng = createRng(9);
  const make = (kind: 'wind' | 'noise', n: number) =>
    Array.from({ length: n }, (_, i) => ({
      image: synthesize(rng.fork(), { kind, size: 96 }),
      source: `${kind}-${i}.fits`,
    }));
  await saveDataset(
    concatDatasets([
      await buildNegativeSet(make('noise', 8), profile),
      await buildPositiveSet(make('wind', 4), profile),
    ]),
    join(dir, 'dataset'),
  );
  await saveDataset(await buildNegativeSet(make('noise', 4), profile), join(dir, 'negatives-only'));
  mkdirSync(join(dir, 'empty'));
  mkdirSync(join(dir, 'broken'));
  writeFileSync(join(dir, 'broken', 'x.fits'), 'not FITS at all');
  mkdirSync(join(dir, 'nested', 'ous1'), { recursive: true });
  await writeFitsFile(join(dir, 'nested', 'ous1', 'a.fits'), make('wind', 1)[0].image);
  await saveTinyModel(join(dir, 'model'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('search values and flags', () => {
  it('a search value of 40,000 characters is refused, without quoting it back', async () => {
    const r = await run('search', '--keyword', 'x'.repeat(40_000), '--mirror', server.url);
    expectCleanError(r, /is 40000 characters long; at most 1000 are accepted/);
  });

  it('--field __proto__=x is an unknown column, not an internal error', async () => {
    const r = await run('search', '--field', '__proto__=x', '--mirror', server.url);
    expectCleanError(r, /unknown search field "__proto__"/);
    const c = await run('search', '--field', 'constructor=x', '--mirror', server.url);
    expectCleanError(c, /unknown search field "constructor"/);
  });

  it('--released-after must be a calendar date', async () => {
    for (const date of ['2020-13-45', '2021-02-30', '2020-00-10', '2020-01-01T25:00']) {
      const r = await run(
        'search',
        '--target',
        'x',
        '--released-after',
        date,
        '--mirror',
        server.url,
      );
      expectCleanError(r, /not a calendar date of the form YYYY-MM-DD/);
    }
  });

  it('numbers are decimal: --ra 0x10 is refused, and RA lies in [0, 360]', async () => {
    const r = await run('search', '--ra', '0x10', '--dec', '0', '--mirror', server.url);
    expectCleanError(r, /--ra must be a number in \[0, 360\], got "0x10"/);
    const b = await run('search', '--ra', '400', '--dec', '0', '--mirror', server.url);
    expectCleanError(b, /--ra must be a number in \[0, 360\], got "400"/);
    const c = await run('search', '--ra', '10', '--dec', '0b1', '--mirror', server.url);
    expectCleanError(c, /--dec must be .*got "0b1"/);
  });

  it('files --from a JSON null says what it expected', async () => {
    const r = await run('files', '--from', join(dir, 'null.json'), '--mirror', server.url);
    expectCleanError(r, /null\.json: expected the JSON of 'search --json'/);
  });
});

describe('unwritable output places', () => {
  it('search --csv under a file: the path and the reason', async () => {
    const csv = join(dir, 'a-file', 'out.csv');
    const r = await run('search', '--target', 'x', '--mirror', server.url, '--csv', csv);
    expectCleanError(
      r,
      new RegExp(`${csv}: a file is in the way where a folder should be \\(ENOTDIR\\)`),
    );
  });

  it('download --dir under a file, and where mkdir -p would never return', async () => {
    const products = join(dir, 'products.json');
    writeFileSync(
      products,
      JSON.stringify({
        products: [
          {
            url: `${server.url}/files/x.fits`,
            fileName: 'x.fits',
            sizeBytes: 10,
            contentType: 'application/fits',
            semantics: '#this',
            description: '',
            memberOus: 'uid://A001/X1/X1',
            readable: true,
          },
        ],
      }),
    );
    const target = join(dir, 'a-file', 'data');
    const r = await run('download', '--from', products, '--dir', target, '--mirror', server.url);
    expectCleanError(
      r,
      new RegExp(`${target}: cannot create the download folder: a file is in the way`),
    );
    if (process.platform === 'linux' && existsSync('/proc/self')) {
      const t0 = Date.now();
      const p = await run('download', '--from', products, '--dir', '/proc/self/nope/data');
      expectCleanError(p, /\/proc\/self\/nope\/data: cannot create the download folder/);
      expect(Date.now() - t0).toBeLessThan(5000);
    }
  });

  it('prepare --out under a file', async () => {
    const out = join(dir, 'a-file', 'ds');
    const r = await run('prepare', '--synthetic-negatives', '1', '--out', out);
    expectCleanError(
      r,
      new RegExp(`${out}: cannot create the dataset folder: a file is in the way`),
    );
  });
});

describe('train', () => {
  it('--loss and --optimizer names are checked before anything is read', async () => {
    const args = ['train', '--data', join(dir, 'dataset'), '--out', join(dir, 'never')];
    expectCleanError(await run(...args, '--loss', 'bogus'), /unknown loss "bogus": use one of/);
    expectCleanError(
      await run(...args, '--optimizer', 'bogus'),
      /unknown optimizer "bogus": use one of adam, sgd/,
    );
    expect(existsSync(join(dir, 'never'))).toBe(false);
  });

  it('uses the profile the dataset was prepared with, and accepts Keras spellings', async () => {
    const out = join(dir, 'trained');
    const r = await run(
      'train',
      '--data',
      join(dir, 'dataset'),
      '--out',
      out,
      '--loss',
      'binary_crossentropy',
      '--optimizer',
      'Adam',
      '--epochs',
      '1',
    );
    expect(r.code, r.err).toBe(0);
    const meta = JSON.parse(readFileSync(join(out, 'meta.json'), 'utf8'));
    expect(meta.profileName).toBe('tiny-32');
    expect(meta.profile.preprocess.inputSize).toBe(32);
    expect(meta.trainConfig.loss).toBe('binaryCrossentropy');
  }, 120_000);

  it('refuses a --profile that is not the dataset’s', async () => {
    const r = await run(
      'train',
      '--data',
      join(dir, 'dataset'),
      '--out',
      join(dir, 'never'),
      '--profile',
      join(dir, 'other.json'),
    );
    expectCleanError(r, /prepared with profile tiny-32 \(hash [0-9a-f]+\), not with other/);
  });

  it('refuses a dataset with a class missing', async () => {
    const r = await run(
      'train',
      '--data',
      join(dir, 'negatives-only'),
      '--out',
      join(dir, 'never'),
    );
    expectCleanError(r, /has no positive samples \(negative \d+, positive 0\)/);
  });
});

describe('no silent empty runs', () => {
  it('prepare refuses a positives folder without FITS files, or whose every file is unusable', async () => {
    const a = await run(
      'prepare',
      '--positives',
      join(dir, 'empty'),
      '--synthetic-negatives',
      '1',
      '--out',
      join(dir, 'ds-a'),
    );
    expectCleanError(a, /empty: no FITS files .* directly in this folder \(given as --positives\)/);
    const b = await run(
      'prepare',
      '--positives',
      join(dir, 'broken'),
      '--synthetic-negatives',
      '1',
      '--out',
      join(dir, 'ds-b'),
    );
    expectCleanError(b, /broken: no usable positives: every one of the 1 FITS files was skipped/);
    expect(existsSync(join(dir, 'ds-a'))).toBe(false);
    expect(existsSync(join(dir, 'ds-b'))).toBe(false);
  });

  it('prepare without positives warns that train needs them', async () => {
    const r = await run('prepare', '--synthetic-negatives', '2', '--out', join(dir, 'ds-neg'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/warning: the dataset has no positive samples; train needs every class/);
  });

  it('classify on a folder of sub-folders says so and exits 1', async () => {
    const r = await run(
      'classify',
      '--model',
      join(dir, 'model'),
      '--out',
      join(dir, 'cands.json'),
      join(dir, 'nested'),
    );
    expect(r.code).toBe(1);
    expect(r.err).toMatch(
      /nested: no FITS files .* directly in this folder; its 1 sub-folder is not searched: pass it/,
    );
  });
});
