import { describe, expect, it } from 'vitest';
import { createRng, shuffleInPlace } from '../src/core/random.js';
import {
  parseShard,
  selectShard,
  shardFromEnv,
  shardOf,
  stableHash,
} from '../src/pipeline/shard.js';

const urls = Array.from(
  { length: 1000 },
  (_, i) =>
    `https://almascience.eso.org/dataPortal/member.uid___A001_X${(0x1200 + i).toString(16)}_X1.cont.I.pbcor.fits`,
);

describe('stableHash', () => {
  it('matches an independent implementation of FNV-1a + fmix32 (the sharding contract)', () => {
    // Values from a 6-line Python implementation over the UTF-8 bytes (see shard.ts).
    expect(stableHash('')).toBe(2872998923);
    expect(stableHash('a')).toBe(444641715);
    const url =
      'https://almascience.eso.org/dataPortal/member.uid___A001_X12a2_X10d.cont.I.pbcor.fits';
    expect(stableHash(url)).toBe(1106187637);
    expect(shardOf(url, 4)).toBe(1106187637 % 4);
  });

  it('hashes non-ASCII text by its UTF-8 bytes', () => {
    // Python over bytes C3 A9; the Latin-1 byte E9 alone would give 3136788073.
    expect(stableHash('\u00e9')).toBe(2387039943);
    expect(stableHash('\u00e9')).not.toBe(stableHash('\u00e9'.normalize('NFD')));
  });
});

describe('selectShard', () => {
  it('4 shards partition the list exactly, whatever its order', () => {
    const shuffled = urls.slice();
    shuffleInPlace(shuffled, createRng(7));
    const seen = new Map<string, number>();
    for (let index = 0; index < 4; index++) {
      const a = selectShard(urls, { index, count: 4 });
      const b = selectShard(shuffled, { index, count: 4 });
      expect(new Set(b)).toEqual(new Set(a));
      for (const u of a) {
        expect(seen.has(u)).toBe(false);
        seen.set(u, index);
      }
    }
    expect(seen.size).toBe(urls.length);
  });

  it('splits URLs that differ only in a few characters evenly', () => {
    for (const count of [2, 3, 4, 7, 16]) {
      const sizes = Array.from(
        { length: count },
        (_, index) => selectShard(urls, { index, count }).length,
      );
      const mean = urls.length / count;
      for (const s of sizes) expect(Math.abs(s - mean)).toBeLessThan(0.25 * mean);
    }
  });

  it('keeps input order and does not mutate the input', () => {
    const items = urls.slice(0, 50).map((url, i) => ({ url, i }));
    const copy = JSON.parse(JSON.stringify(items));
    const shard = selectShard(items, { index: 2, count: 3 });
    expect(items).toEqual(copy);
    const order = shard.map((x) => x.i);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(shard.every((x) => shardOf(x.url, 3) === 2)).toBe(true);
  });

  it('uses a custom key when given one', () => {
    const items = urls.slice(0, 40).map((u) => ({ href: u }));
    const shard = selectShard(items, { index: 0, count: 2, key: (x) => x.href });
    expect(shard.map((x) => x.href)).toEqual(
      selectShard(urls.slice(0, 40), { index: 0, count: 2 }),
    );
  });

  it('rejects invalid shards and keyless items', () => {
    expect(() => selectShard(urls, { index: 4, count: 4 })).toThrow(RangeError);
    expect(() => selectShard(urls, { index: -1, count: 4 })).toThrow(RangeError);
    expect(() => selectShard(urls, { index: 0, count: 0 })).toThrow(RangeError);
    expect(() => selectShard([{ name: 'x' }], { index: 0, count: 2 })).toThrow(TypeError);
  });
});

describe('parseShard', () => {
  it('reads i/n and rejects anything else, naming the text', () => {
    expect(parseShard('0/4')).toEqual({ index: 0, count: 4 });
    expect(parseShard(' 3 / 4 ')).toEqual({ index: 3, count: 4 });
    expect(() => parseShard('4/4')).toThrow(/"4\/4"/);
    expect(() => parseShard('1/0')).toThrow(RangeError);
    expect(() => parseShard('1-4')).toThrow(/i\/n/);
    expect(() => parseShard('-1/4')).toThrow(RangeError);
  });
});

describe('shardFromEnv', () => {
  it('is undefined outside a job array', () => {
    expect(shardFromEnv({})).toBeUndefined();
    expect(shardFromEnv({ SLURM_JOB_ID: '12' })).toBeUndefined();
  });

  it('maps --array=0-3 task ids to shards 0..3 of 4', () => {
    for (let id = 0; id < 4; id++) {
      expect(
        shardFromEnv({
          SLURM_ARRAY_TASK_ID: String(id),
          SLURM_ARRAY_TASK_COUNT: '4',
          SLURM_ARRAY_TASK_MIN: '0',
          SLURM_ARRAY_TASK_MAX: '3',
        }),
      ).toEqual({ index: id, count: 4 });
    }
  });

  it('subtracts SLURM_ARRAY_TASK_MIN (--array=1-4) and divides by the step (--array=0-6:2)', () => {
    expect(
      shardFromEnv({
        SLURM_ARRAY_TASK_ID: '1',
        SLURM_ARRAY_TASK_COUNT: '4',
        SLURM_ARRAY_TASK_MIN: '1',
      }),
    ).toEqual({ index: 0, count: 4 });
    expect(
      shardFromEnv({
        SLURM_ARRAY_TASK_ID: '4',
        SLURM_ARRAY_TASK_COUNT: '4',
        SLURM_ARRAY_TASK_MIN: '1',
      }),
    ).toEqual({ index: 3, count: 4 });
    expect(
      shardFromEnv({
        SLURM_ARRAY_TASK_ID: '6',
        SLURM_ARRAY_TASK_COUNT: '4',
        SLURM_ARRAY_TASK_MIN: '0',
        SLURM_ARRAY_TASK_STEP: '2',
      }),
    ).toEqual({ index: 3, count: 4 });
  });

  it('throws on inconsistent variables instead of guessing a shard', () => {
    expect(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: '2' })).toThrow(/SLURM_ARRAY_TASK_COUNT/);
    expect(() =>
      shardFromEnv({
        SLURM_ARRAY_TASK_ID: '9',
        SLURM_ARRAY_TASK_COUNT: '3',
        SLURM_ARRAY_TASK_MIN: '1',
      }),
    ).toThrow(/--shard/);
    expect(() => shardFromEnv({ SLURM_ARRAY_TASK_ID: 'x', SLURM_ARRAY_TASK_COUNT: '3' })).toThrow(
      /SLURM_ARRAY_TASK_ID/,
    );
  });
});
