import ndarray from 'ndarray';
import type { NdArray } from 'ndarray';
import { NpyError } from '../core/errors.js';

/** Pixel storage of an array read by {@link readNpy} or written by {@link writeNpy}. */
export type NpyData = Float32Array | Float64Array | Int32Array | Uint8Array;

/** Element types {@link readNpy} and {@link writeNpy} support, named as NumPy names them. */
export type NpyDtype = 'float32' | 'float64' | 'int32' | 'uint8' | 'bool';

/** Options of {@link readNpy}. */
export interface ReadNpyOptions {
  /** Name used in error messages (a file path, say). Default `'<npy bytes>'`. */
  name?: string;
}

/** Options of {@link writeNpy}. */
export interface WriteNpyOptions {
  /**
   * Write a `Uint8Array` as NumPy `bool` (`|b1`) instead of `uint8`. Default: the dtype that
   * matches the array's storage (`Float32Array` → `<f4`, `Float64Array` → `<f8`,
   * `Int32Array` → `<i4`, `Uint8Array` → `|u1`).
   */
  dtype?: 'bool';
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"

/** The constructor of an {@link NpyData} typed array. */
interface NpyArrayType {
  new (length: number): NpyData;
  readonly BYTES_PER_ELEMENT: number;
  readonly name: string;
}

/** One supported element type: its NumPy name, its `descr` code (byte order aside) and storage. */
interface DtypeInfo {
  dtype: NpyDtype;
  /** `descr` without the byte-order character: `f4`, `u1`, ... */
  code: string;
  /** The typed array holding it; its `BYTES_PER_ELEMENT` is the item size. */
  array: NpyArrayType;
}

/**
 * The supported element types, for reading (by `descr` code) and writing (by storage, first
 * match: a `Uint8Array` is written as `uint8` unless `bool` is asked for).
 */
const DTYPES: readonly DtypeInfo[] = [
  { dtype: 'float32', code: 'f4', array: Float32Array },
  { dtype: 'float64', code: 'f8', array: Float64Array },
  { dtype: 'int32', code: 'i4', array: Int32Array },
  { dtype: 'uint8', code: 'u1', array: Uint8Array },
  { dtype: 'bool', code: 'b1', array: Uint8Array },
];

/** The `descr` a writer puts in the header: little-endian, `|` where byte order is moot. */
const descrOf = (t: DtypeInfo): string => `${t.array.BYTES_PER_ELEMENT === 1 ? '|' : '<'}${t.code}`;

const littleEndianHost = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Read a NumPy `.npy` file (format versions 1, 2 and 3) into an `ndarray` in C order.
 *
 * Supports `float32`, `float64`, `int32`, `uint8` and `bool` in either byte order (`<`, `>`,
 * `|`, `=`); the result is always in the host's native order. A Fortran-ordered file is
 * transposed into C order so that `a.get(i, j)` equals NumPy's `a[i, j]`. `bool` arrays come
 * back as a `Uint8Array` of 0 and 1. NaN values are kept as NaN. The result owns a copy of the
 * pixels, so mutating it never touches `bytes`.
 *
 * @param bytes - the whole `.npy` file
 * @param opts - see {@link ReadNpyOptions}
 * @throws NpyError when the bytes are not `.npy`, the header is malformed, the dtype is not one
 *   of the five above, or the data is shorter than the shape needs
 */
export function readNpy(bytes: Uint8Array, opts: ReadNpyOptions = {}): NdArray<NpyData> {
  const name = opts.name ?? '<npy bytes>';
  const fail = (why: string): never => {
    throw new NpyError(`${name}: ${why}`, name);
  };
  if (bytes.length < 10 || MAGIC.some((b, i) => bytes[i] !== b))
    fail('not a .npy file (bad magic)');
  const major = bytes[6];
  let headerLen: number;
  let headerStart: number;
  if (major === 1) {
    headerLen = bytes[8] | (bytes[9] << 8);
    headerStart = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) fail('truncated header');
    headerLen = (bytes[8] | (bytes[9] << 8) | (bytes[10] << 16) | (bytes[11] << 24)) >>> 0;
    headerStart = 12;
  } else {
    return fail(`unsupported .npy format version ${major}`);
  }
  const dataStart = headerStart + headerLen;
  if (dataStart > bytes.length) fail('truncated header');
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(
    bytes.subarray(headerStart, dataStart),
  );
  const { descr, fortran, shape } = parseHeader(header, fail);

  const order = descr[0];
  const info = DTYPES.find((t) => t.code === descr.slice(1));
  if (!'<>|='.includes(order) || info === undefined) {
    return fail(
      `unsupported dtype '${descr}' (supported: ${DTYPES.map((t) => t.dtype).join(', ')})`,
    );
  }
  const size = info.array.BYTES_PER_ELEMENT;
  const count = shape.reduce((a, b) => a * b, 1);
  const byteCount = count * size;
  if (dataStart + byteCount > bytes.length) {
    fail(
      `data truncated: shape (${shape.join(', ')}) needs ${byteCount} bytes, file has ${bytes.length - dataStart}`,
    );
  }
  const out = new info.array(count);
  const outBytes = new Uint8Array(out.buffer);
  outBytes.set(bytes.subarray(dataStart, dataStart + byteCount));
  const fileLittle = order === '<' || (order === '=' && littleEndianHost);
  if (size > 1 && fileLittle !== littleEndianHost) swapBytes(outBytes, size);
  if (info.dtype === 'bool') {
    for (let i = 0; i < out.length; i++) if (out[i] > 1) fail(`bool value ${out[i]} at index ${i}`);
  }
  if (!fortran || shape.length < 2) return ndarray(out, shape);
  // Fortran order: the file holds the transpose; view it reversed and copy into C order.
  const view = ndarray(out, [...shape].reverse()).transpose(
    ...shape.map((_, i) => shape.length - 1 - i),
  );
  return ndarray(copyC(view, new info.array(count)), shape);
}

/**
 * Write an `ndarray` as a NumPy `.npy` file (format version 1, or 2 when the header would not
 * fit), little-endian, C order. Views with any strides are written in their logical order.
 * NaN values are written as NaN.
 *
 * @param array - the array; its storage picks the dtype (see {@link WriteNpyOptions.dtype})
 * @param opts - see {@link WriteNpyOptions}
 * @throws NpyError when the storage is not one of the supported typed arrays, or `dtype: 'bool'`
 *   is asked for an array that is not a `Uint8Array` of 0 and 1
 */
export function writeNpy(array: NdArray, opts: WriteNpyOptions = {}): Uint8Array {
  const data = array.data as unknown;
  const info =
    opts.dtype === undefined
      ? DTYPES.find((t) => data instanceof t.array)
      : DTYPES.find((t) => t.dtype === opts.dtype);
  if (info === undefined) {
    const arrays = [...new Set(DTYPES.map((t) => t.array.name))].join(', ');
    throw new NpyError(`writeNpy: storage must be one of ${arrays}`);
  }
  if (!(data instanceof info.array))
    throw new NpyError(`writeNpy: dtype ${info.dtype} needs a ${info.array.name}`);
  const descr = descrOf(info);
  const shape = array.shape.slice();
  const count = shape.reduce((a, b) => a * b, 1);
  const values = copyC(array as NdArray<NpyData>, new info.array(count));
  if (info.dtype === 'bool') {
    for (let i = 0; i < values.length; i++) {
      if (values[i] > 1)
        throw new NpyError(`writeNpy: bool array holds ${values[i]} at index ${i}`);
    }
  }
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  // NumPy aligns the data start to 64 bytes and ends the header with a newline.
  let prefix = 10;
  let total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  if (total - prefix > 0xffff) {
    prefix = 12;
    total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  }
  const headerLen = total - prefix;
  const out = new Uint8Array(total + values.byteLength);
  out.set(MAGIC, 0);
  out[6] = prefix === 10 ? 1 : 2;
  out[7] = 0;
  const dv = new DataView(out.buffer);
  if (prefix === 10) dv.setUint16(8, headerLen, true);
  else dv.setUint32(8, headerLen, true);
  const text = dict.padEnd(headerLen - 1, ' ') + '\n';
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  const body = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  out.set(body, total);
  if (!littleEndianHost) swapBytes(out.subarray(total), values.BYTES_PER_ELEMENT);
  return out;
}

function parseHeader(
  header: string,
  fail: (why: string) => never,
): { descr: string; fortran: boolean; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*['"]([^'"]*)['"]/.exec(header)?.[1];
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header)?.[1];
  const shapeText = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined) {
    return fail(`malformed header ${JSON.stringify(header.trim())}`);
  }
  const shape = shapeText
    .split(',')
    .map((s) => s.trim().replace(/L$/, ''))
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : NaN));
  if (shape.some((n) => !Number.isSafeInteger(n))) fail(`bad shape (${shapeText})`);
  return { descr, fortran: fortran === 'True', shape };
}

function swapBytes(bytes: Uint8Array, size: number): void {
  for (let i = 0; i + size <= bytes.length; i += size) {
    for (let a = i, b = i + size - 1; a < b; a++, b--) {
      const t = bytes[a];
      bytes[a] = bytes[b];
      bytes[b] = t;
    }
  }
}

/** Copy any-strided `src` into `out` in C (row-major) order. */
function copyC<T extends NpyData>(src: NdArray<NpyData>, out: T): T {
  const shape = src.shape;
  const stride = src.stride;
  const d = shape.length;
  if (out.length === 0) return out;
  if (d === 0) {
    out[0] = src.data[src.offset];
    return out;
  }
  const idx = new Array<number>(d).fill(0);
  const last = d - 1;
  const n = shape[last];
  const s = stride[last];
  let base = src.offset;
  let k = 0;
  for (;;) {
    for (let j = 0, p = base; j < n; j++, p += s) out[k++] = src.data[p];
    let ax = last - 1;
    while (ax >= 0) {
      idx[ax]++;
      base += stride[ax];
      if (idx[ax] < shape[ax]) break;
      base -= stride[ax] * shape[ax];
      idx[ax] = 0;
      ax--;
    }
    if (ax < 0) return out;
  }
}
