/**
 * Seeded fuzzing of the parsers that read outside data other than FITS (which has its own fuzz
 * test): NumPy `.npy`, VOTable (TABLEDATA, BINARY2, DataLink) and review decisions. Each mutated
 * input must either parse or throw the module's typed error, never anything else, and quickly.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ArchiveError, DatasetError, NpyError, createRng, type Rng } from '../src/core/index.js';
import { readNpy } from '../src/fits/index.js';
import { parseVOTable } from '../src/archive/index.js';
import { parseDecisions } from '../src/report/index.js';

const fixtures = join(__dirname, 'fixtures');

/** One seeded mutation: truncate, flip bytes, splice a random slice, or duplicate a slice. */
function mutate(src: Uint8Array, rng: Rng): Uint8Array {
  const out = Uint8Array.from(src);
  switch (rng.int(0, 3)) {
    case 0:
      return out.subarray(0, rng.int(0, out.length));
    case 1: {
      const flips = rng.int(1, 8);
      for (let i = 0; i < flips; i++) out[rng.int(0, out.length - 1)] = rng.int(0, 255);
      return out;
    }
    case 2: {
      const a = rng.int(0, out.length);
      const b = Math.min(out.length, a + rng.int(1, 64));
      return Uint8Array.from([...out.subarray(0, a), ...out.subarray(b)]);
    }
    default: {
      const a = rng.int(0, out.length - 1);
      const b = Math.min(out.length, a + rng.int(1, 64));
      return Uint8Array.from([...out.subarray(0, b), ...out.subarray(a, b), ...out.subarray(b)]);
    }
  }
}

/** Run `parse` on `n` mutations of each input; anything but success or `errorType` fails. */
function fuzz(
  inputs: Uint8Array[],
  n: number,
  seed: number,
  parse: (bytes: Uint8Array) => unknown,
  errorType: new (...args: never[]) => Error,
): { parsed: number; rejected: number; slowestMs: number } {
  const rng = createRng(seed);
  let parsed = 0;
  let rejected = 0;
  let slowestMs = 0;
  for (let i = 0; i < n; i++) {
    const bytes = mutate(inputs[i % inputs.length], rng);
    const t0 = performance.now();
    try {
      parse(bytes);
      parsed++;
    } catch (err) {
      if (!(err instanceof errorType)) {
        throw new Error(
          `mutation ${i} (seed ${seed}) threw ${String(err)} instead of ${errorType.name}`,
        );
      }
      rejected++;
    } finally {
      slowestMs = Math.max(slowestMs, performance.now() - t0);
    }
  }
  // A parse that takes this long on a few kB is a hang in the making.
  expect(slowestMs).toBeLessThan(1000);
  console.log(
    `fuzz ${errorType.name} (seed ${seed}): ${n} mutations, ${parsed} parsed, ${rejected} clean errors, 0 crashes, slowest ${slowestMs.toFixed(1)} ms`,
  );
  return { parsed, rejected, slowestMs };
}

describe('parser fuzzing', () => {
  it('readNpy: 2000 mutations of the golden arrays parse or throw NpyError', () => {
    const inputs = ['b335_cropCenter100.npy', 'serpens_cropMax100.npy'].map(
      (f) => new Uint8Array(readFileSync(join(fixtures, 'reference', 'golden', f))),
    );
    const r = fuzz(inputs, 2000, 11, (b) => readNpy(b, { name: 'fuzz.npy' }), NpyError);
    expect(r.rejected).toBeGreaterThan(0);
    expect(r.parsed).toBeGreaterThan(0);
  });

  it('parseVOTable: 2000 mutations of TAP and DataLink answers parse or throw ArchiveError', () => {
    const inputs = [
      'obscore-keysearch.tabledata.xml',
      'obscore-keysearch.binary2.xml',
      'alma-datalink.xml',
      'pyvo-errorstatus.xml',
    ].map((f) => new Uint8Array(readFileSync(join(fixtures, 'archive', f))));
    const r = fuzz(inputs, 2000, 12, (b) => parseVOTable(b), ArchiveError);
    expect(r.rejected).toBeGreaterThan(0);
    expect(r.parsed).toBeGreaterThan(0);
  });

  it('parseVOTable: 1500 mutations of astropy’s regression.xml and astropy-written BINARY/BINARY2 parse or throw ArchiveError', () => {
    const inputs = ['regression.xml', 'varray.binary.xml', 'varray.binary2.xml'].map(
      (f) => new Uint8Array(readFileSync(join(fixtures, 'votable', f))),
    );
    const r = fuzz(inputs, 1500, 14, (b) => parseVOTable(b), ArchiveError);
    expect(r.rejected).toBeGreaterThan(0);
    expect(r.parsed).toBeGreaterThan(0);
  });

  it('parseDecisions: 1000 mutations of a decisions.json parse or throw DatasetError', () => {
    const json = JSON.stringify({
      version: 1,
      decisions: [
        { id: 'a.fits[0]:flip-lr', file: 'a.fits', decision: 'reject' },
        { id: 'b.fits[0]', file: 'b.fits', decision: 'keep' },
      ],
    });
    const inputs = [new TextEncoder().encode(json)];
    const r = fuzz(
      inputs,
      1000,
      13,
      (b) => parseDecisions(new TextDecoder().decode(b)),
      DatasetError,
    );
    expect(r.rejected).toBeGreaterThan(0);
  });

  const binary2 = (fields: string, stream: string): string =>
    `<?xml version="1.0"?><VOTABLE version="1.4"><RESOURCE type="results"><TABLE>${fields}` +
    `<DATA><BINARY2><STREAM encoding="base64">${stream}</STREAM></BINARY2></DATA></TABLE></RESOURCE></VOTABLE>`;

  it('a BINARY2 stream with malformed base64 is an ArchiveError (was a DOMException)', () => {
    expect(() => parseVOTable(binary2('<FIELD name="x" datatype="int"/>', 'AAAA=AAA'))).toThrow(
      ArchiveError,
    );
  });

  it('rows that consume no bytes end the parse with an ArchiveError instead of looping forever', () => {
    expect(() => parseVOTable(binary2('', 'AAAA'))).toThrow(/hold no data/);
    expect(() =>
      parseVOTable(binary2('<FIELD name="v" datatype="int" arraysize="*"/>', '//////////8=')),
    ).toThrow(ArchiveError);
  });
});
