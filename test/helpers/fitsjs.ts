/**
 * fitsjs 0.6.6 (a browser library) driven from Node, to measure it against our reader
 * (`scripts/fitsjs-defects.ts`, `test/fits-fitsjs.test.ts`; docs/fits.md says why the library
 * does not use it). Three entry points:
 *
 * - {@link fitsjsWalk}: its HDU walk. fitsjs walks a file through `Blob#slice` and a
 *   `FileReader`, builds data units through the global `astro`, and hands its result to a
 *   callback; here it gets, for one synchronous call, a Blob-like view of the bytes, a
 *   `FileReader` that answers at once, an `astro` that records each data unit's byte range, and
 *   a completion hook that captures its parser. Those globals are put back in a `finally`. The
 *   library itself never does this: a read must not touch global state.
 * - {@link fitsjsHeader}: its header parser (`astro.FITS.Header`), which needs no globals.
 * - {@link fitsjsPixels}: its pixel decoder (`Image#_getFrame`), a pure function of the bytes.
 */
import fitsjs from 'fitsjs';
import type { FitsjsParser } from 'fitsjs';
import { FitsError } from '../../src/core/errors.js';
import type { FitsHduSpan } from '../../src/fits/layout.js';

/** One HDU as fitsjs sees it. */
export interface FitsjsHdu {
  /** fitsjs's data unit type: `Image`, `Table`, `BinaryTable`, `CompressedImage`, or null. */
  dataType: string | null;
  bitpix: number;
  axes: number[];
  /** Byte range of the data unit in the file (as fitsjs computed it); 0/0 without data. */
  dataOffset: number;
  dataBytes: number;
}

/**
 * The bytes of a file, wholly in memory or not: `bytes(start, end)` returns bytes
 * `[start, end)` (`end` never past `length`), and is only asked for header bytes.
 */
export interface FitsjsSource {
  /** The file's size in bytes. */
  length: number;
  /** Bytes `[start, end)` of the file. */
  bytes(start: number, end: number): Uint8Array;
}

/** A read-only window on the file bytes with the Blob surface fitsjs calls. */
class ByteWindow {
  constructor(
    readonly source: FitsjsSource,
    readonly start: number,
    readonly end: number,
  ) {}

  get size(): number {
    return this.end - this.start;
  }

  slice(begin = 0, end = this.size): ByteWindow {
    const b = Math.min(this.start + Math.max(0, begin), this.end);
    const e = Math.min(this.start + Math.max(0, end), this.end);
    return new ByteWindow(this.source, b, Math.max(b, e));
  }

  /** The window's bytes; past the end of the real bytes (missing final padding) reads zeros. */
  read(): ArrayBuffer {
    const out = new Uint8Array(this.size);
    const stop = Math.min(this.end, this.source.length);
    if (stop > this.start) out.set(this.source.bytes(this.start, stop));
    return out.buffer;
  }
}

type LoadEnd = (e: { target: { result: ArrayBuffer } }) => void;

const fitsNs = fitsjs.astro.FITS;
const base = fitsNs.__super__;

/**
 * Walk the HDUs of a file (its bytes, or a {@link FitsjsSource} that serves its
 * headers) with fitsjs's parser, given the HDU spans our own layout reading found. fitsjs reads only header blocks, so any read outside those spans' headers
 * means it disagrees (it misses an END followed by non-blank cards in the same block, and would
 * then read the whole data unit as header, copying quadratically): that read throws a FitsError
 * at once, bounding its work by the header bytes. It also throws whatever fitsjs throws (strings
 * for headers it rejects).
 */
export function fitsjsWalk(
  file: Uint8Array | FitsjsSource,
  spans: readonly FitsHduSpan[],
  name: string,
): FitsjsHdu[] {
  const source: FitsjsSource =
    file instanceof Uint8Array
      ? { length: file.length, bytes: (start, end) => file.subarray(start, end) }
      : file;
  const window = new ByteWindow(source, 0, spans[spans.length - 1].paddedEnd);
  class SyncFileReader {
    onloadend: LoadEnd | null = null;
    result: ArrayBuffer | null = null;
    readAsArrayBuffer(blob: ByteWindow): void {
      const inHeader = spans.some((s) => blob.start >= s.headerOffset && blob.end <= s.dataOffset);
      if (!inHeader || blob.size === 0) {
        throw new FitsError(
          `${name}: fitsjs read outside the headers (at byte ${blob.start})`,
          name,
        );
      }
      this.result = blob.read();
      this.onloadend?.({ target: { result: this.result } });
    }
  }
  // fitsjs builds each data unit as `new astro.FITS[type](header, blob)`: record where it lies.
  const units = new Map<object, ByteWindow>();
  function DataUnitRecord(header: object, blob: ByteWindow): void {
    units.set(header, blob);
  }
  const astro = {
    FITS: {
      Image: DataUnitRecord,
      Table: DataUnitRecord,
      BinaryTable: DataUnitRecord,
      CompressedImage: DataUnitRecord,
    },
  };
  let parser: FitsjsParser | undefined;
  const verify = fitsNs.HeaderVerify.VerifyFns;
  const g = globalThis as Record<string, unknown>;
  const saved = {
    astro: g.astro,
    FileReader: g.FileReader,
    bitpix: verify.BITPIX,
    invoke: base.invoke,
    warn: console.warn,
  };
  try {
    g.astro = astro;
    g.FileReader = SyncFileReader;
    // FITS allows BITPIX 64 since 2005; fitsjs's check predates that.
    verify.BITPIX = function (this: unknown, ...args: unknown[]): unknown {
      const v = parseInt(String(args[0]), 10);
      return v === 64 ? v : saved.bitpix.apply(this, args);
    };
    base.invoke = function (this: unknown, callback: unknown, opts: unknown, data: unknown) {
      if (
        data !== null &&
        typeof data === 'object' &&
        Array.isArray((data as { hdus?: unknown }).hdus)
      ) {
        parser = data as FitsjsParser;
        return undefined;
      }
      return saved.invoke.call(this, callback, opts, data);
    };
    // fitsjs warns on the console about card order; the caller reports problems itself.
    console.warn = () => {};
    new fitsNs(window, () => {});
  } finally {
    if (saved.astro === undefined) delete g.astro;
    else g.astro = saved.astro;
    if (saved.FileReader === undefined) delete g.FileReader;
    else g.FileReader = saved.FileReader;
    verify.BITPIX = saved.bitpix;
    base.invoke = saved.invoke;
    console.warn = saved.warn;
  }
  if (parser === undefined) throw new FitsError(`${name}: fitsjs did not finish the file`, name);
  return parser.hdus.map(({ header }) => {
    const unit = units.get(header);
    const naxis = Number(header.get('NAXIS')) || 0;
    const axes: number[] = [];
    for (let i = 1; i <= naxis; i++) axes.push(Number(header.get(`NAXIS${i}`)));
    return {
      dataType: header.getDataType(),
      bitpix: Number(header.get('BITPIX')),
      axes,
      dataOffset: unit?.start ?? 0,
      dataBytes: unit?.size ?? 0,
    };
  });
}

/**
 * One header parsed by fitsjs: `get(key)` as fitsjs answers it (null for no card). fitsjs keeps
 * one card per keyword (the last), and may warn on the console about card order: the warnings
 * are returned, not printed.
 */
export function fitsjsHeader(text: string): { get(key: string): unknown; warnings: string[] } {
  const warnings: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(' '));
  try {
    const header = new fitsNs.Header(text);
    return { get: (key) => header.get(key), warnings };
  } finally {
    console.warn = warn;
  }
}

/**
 * Pixels of one image plane decoded by fitsjs's `Image#_getFrame(buffer, bitpix, bzero,
 * bscale)` (what its `getFrame` runs in a worker), from big-endian data bytes (copied: fitsjs
 * swaps in place). BSCALE/BZERO default as fitsjs's `Image` defaults them (`|| 1`, `|| 0`).
 * fitsjs's own exceptions are returned as `error`.
 */
export function fitsjsPixels(
  data: Uint8Array,
  bitpix: number,
  bzero = 0,
  bscale = 1,
): { values: ArrayLike<number>; error?: undefined } | { values?: undefined; error: string } {
  const buffer = data.slice().buffer;
  try {
    const values = fitsNs.Image.prototype._getFrame(buffer, bitpix, bzero, bscale);
    return { values };
  } catch (err) {
    return { error: String(err) };
  }
}
