import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ndarray from 'ndarray';
import { afterAll, describe, expect, it } from 'vitest';
import { NpyError } from '../src/core/index.js';
import { readNpy, writeNpy } from '../src/fits/index.js';
import { readNpyFile, writeNpyFile } from '../src/fits/index.node.js';

const goldenDir = new URL('./fixtures/reference/golden/', import.meta.url).pathname;
const tmp = mkdtempSync(join(tmpdir(), 'npy-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function hasNumpy(): boolean {
  if (!existsSync('/usr/bin/python3')) return false;
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const numpy = hasNumpy();

/** Hand-build a .npy file, the way NumPy lays one out, from a header dict and raw body bytes. */
function npyBytes(dict: string, body: Uint8Array, version = 1): Uint8Array {
  const prefix = version === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const text = dict.padEnd(total - prefix - 1, ' ') + '\n';
  const out = new Uint8Array(total + body.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const dv = new DataView(out.buffer);
  if (version === 1) dv.setUint16(8, total - prefix, true);
  else dv.setUint32(8, total - prefix, true);
  for (let i = 0; i < text.length; i++) out[prefix + i] = text.charCodeAt(i);
  out.set(body, total);
  return out;
}

describe('readNpy', () => {
  it('reads every golden reference array with the shape its header states', () => {
    const files = readdirSync(goldenDir).filter((f) => f.endsWith('.npy'));
    expect(files.length).toBeGreaterThanOrEqual(13);
    for (const f of files) {
      const bytes = readFileSync(join(goldenDir, f));
      const a = readNpy(bytes, { name: f });
      const header = new TextDecoder().decode(bytes.subarray(10, 10 + bytes.readUInt16LE(8)));
      const shape = /\((\d+), (\d+)\)/.exec(header)!;
      expect(a.shape, f).toEqual([Number(shape[1]), Number(shape[2])]);
      expect(a.data, f).toBeInstanceOf(header.includes('<f8') ? Float64Array : Float32Array);
    }
  });

  it('golden b335_cropCenter100 holds the centre 100x100 of B335 (pixel 50,50 = FITS [500,500])', async () => {
    const a = await readNpyFile(join(goldenDir, 'b335_cropCenter100.npy'));
    expect(a.shape).toEqual([100, 100]);
    // values are small Jy/beam numbers, none NaN in B335
    let finite = 0;
    for (let i = 0; i < a.data.length; i++) if (Number.isFinite(a.data[i])) finite++;
    expect(finite).toBe(10000);
    expect(Math.abs(a.get(50, 50))).toBeLessThan(0.01);
  });

  it('reads big-endian float64 and int32 into native values', () => {
    const body = new Uint8Array(16);
    const dv = new DataView(body.buffer);
    dv.setFloat64(0, 1.5, false);
    dv.setFloat64(8, -2.25e-300, false);
    const a = readNpy(npyBytes("{'descr': '>f8', 'fortran_order': False, 'shape': (2,), }", body));
    expect(Array.from(a.data)).toEqual([1.5, -2.25e-300]);
    const ib = new Uint8Array(8);
    new DataView(ib.buffer).setInt32(0, -7, false);
    new DataView(ib.buffer).setInt32(4, 123456789, false);
    const b = readNpy(npyBytes("{'descr': '>i4', 'fortran_order': False, 'shape': (1, 2), }", ib));
    expect(b.data).toBeInstanceOf(Int32Array);
    expect([b.get(0, 0), b.get(0, 1)]).toEqual([-7, 123456789]);
  });

  it('reads a version 2 header', () => {
    const body = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const a = readNpy(
      npyBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", body, 2),
    );
    expect(Array.from(a.data)).toEqual([1, 2, 3]);
  });

  it('transposes a Fortran-order array into C order', () => {
    // numpy: np.asfortranarray([[1, 2, 3], [4, 5, 6]]) stores 1 4 2 5 3 6
    const body = new Uint8Array(new Int32Array([1, 4, 2, 5, 3, 6]).buffer);
    const a = readNpy(npyBytes("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", body));
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(a.get(1, 0)).toBe(4);
  });

  it('reads bool as 0/1 bytes and rejects other bool bytes', () => {
    const a = readNpy(
      npyBytes(
        "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }",
        new Uint8Array([1, 0, 1]),
      ),
    );
    expect(Array.from(a.data)).toEqual([1, 0, 1]);
    expect(() =>
      readNpy(
        npyBytes("{'descr': '|b1', 'fortran_order': False, 'shape': (1,), }", new Uint8Array([7])),
      ),
    ).toThrow(NpyError);
  });

  it('refuses unsupported dtypes, bad magic and truncated data with NpyError naming the file', () => {
    const c16 = npyBytes(
      "{'descr': '<c16', 'fortran_order': False, 'shape': (1,), }",
      new Uint8Array(16),
    );
    expect(() => readNpy(c16, { name: 'x.npy' })).toThrow(/x\.npy: unsupported dtype '<c16'/);
    expect(() => readNpy(new Uint8Array(20), { name: 'y.npy' })).toThrow(
      /y\.npy: not a \.npy file/,
    );
    const short = npyBytes(
      "{'descr': '<f8', 'fortran_order': False, 'shape': (1000000000,), }",
      new Uint8Array(8),
    );
    expect(() => readNpy(short)).toThrow(/data truncated/);
  });

  it('returns a copy: mutating the result leaves the input bytes unchanged', () => {
    const bytes = writeNpy(ndarray(new Float32Array([1, 2]), [2]));
    const before = bytes.slice();
    const a = readNpy(bytes);
    a.data[0] = 99;
    expect(bytes).toEqual(before);
  });
});

describe('writeNpy', () => {
  it('round-trips float32, float64, int32, uint8 and bool exactly, NaN included', () => {
    const cases = [
      ndarray(new Float32Array([NaN, -0, 1.5, 3.4e38, 1e-45, -7]), [2, 3]),
      ndarray(new Float64Array([NaN, Math.PI, -1e-300]), [3]),
      ndarray(new Int32Array([-2147483648, 0, 2147483647, 5]), [2, 2]),
      ndarray(new Uint8Array([0, 255, 7]), [1, 3]),
    ];
    const descrs = ["'<f4'", "'<f8'", "'<i4'", "'|u1'"];
    for (const [i, c] of cases.entries()) {
      const bytes = writeNpy(c);
      expect(new TextDecoder().decode(bytes.subarray(10, 40))).toContain(descrs[i]);
      const back = readNpy(bytes);
      expect(back.shape).toEqual(c.shape);
      expect(back.data.constructor).toBe(c.data.constructor);
      expect(Array.from(back.data)).toEqual(Array.from(c.data));
    }
    const bool = writeNpy(ndarray(new Uint8Array([1, 0]), [2]), { dtype: 'bool' });
    expect(new TextDecoder().decode(bool.subarray(10, 40))).toContain("'|b1'");
    expect(Array.from(readNpy(bool).data)).toEqual([1, 0]);
  });

  it('writes a strided view in its logical order with a 64-byte aligned header', () => {
    const base = ndarray(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
    const t = base.transpose(1, 0); // 3x2: [[1,4],[2,5],[3,6]]
    const bytes = writeNpy(t);
    const headerLen = bytes[8] | (bytes[9] << 8);
    expect((10 + headerLen) % 64).toBe(0);
    expect(bytes[10 + headerLen - 1]).toBe(0x0a);
    const back = readNpy(bytes);
    expect(back.shape).toEqual([3, 2]);
    expect(Array.from(back.data)).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('refuses bool for non-0/1 data and unsupported storage', () => {
    expect(() => writeNpy(ndarray(new Uint8Array([2]), [1]), { dtype: 'bool' })).toThrow(NpyError);
    expect(() => writeNpy(ndarray(new Float32Array([1]), [1]), { dtype: 'bool' })).toThrow(
      /dtype bool needs a Uint8Array/,
    );
    expect(() => writeNpy(ndarray(new Int16Array([2]), [1]))).toThrow(
      /storage must be one of Float32Array, Float64Array, Int32Array, Uint8Array/,
    );
  });

  it.skipIf(!numpy)('NumPy loads what writeNpy writes, for every dtype', async () => {
    const arrays = {
      f4: ndarray(new Float32Array([1.5, NaN, -2]), [1, 3]),
      f8: ndarray(new Float64Array([Math.PI, -1e-300]), [2]),
      i4: ndarray(new Int32Array([-5, 6, 7, 8]), [2, 2]),
      u1: ndarray(new Uint8Array([0, 200]), [2]),
    };
    for (const [k, a] of Object.entries(arrays)) await writeNpyFile(join(tmp, `${k}.npy`), a);
    writeFileSync(
      join(tmp, 'b1.npy'),
      writeNpy(ndarray(new Uint8Array([1, 0, 1]), [3]), { dtype: 'bool' }),
    );
    const script = [
      'import numpy as np, json, sys',
      'd = sys.argv[1]',
      "out = {k: (str(np.load(f'{d}/{k}.npy').dtype), np.load(f'{d}/{k}.npy').tolist()) for k in ['f4','f8','i4','u1','b1']}",
      'print(json.dumps(out).replace("NaN", "null"))',
    ].join('\n');
    const got = JSON.parse(
      execFileSync('/usr/bin/python3', ['-c', script, tmp]).toString(),
    ) as Record<string, [string, unknown]>;
    expect(got.f4).toEqual(['float32', [[1.5, null, -2]]]);
    expect(got.f8).toEqual(['float64', [Math.PI, -1e-300]]);
    expect(got.i4).toEqual([
      'int32',
      [
        [-5, 6],
        [7, 8],
      ],
    ]);
    expect(got.u1).toEqual(['uint8', [0, 200]]);
    expect(got.b1).toEqual(['bool', [true, false, true]]);
  });

  it.skipIf(!numpy)('reads what NumPy writes in big-endian Fortran order', () => {
    const path = join(tmp, 'np-big-f.npy');
    execFileSync('/usr/bin/python3', [
      '-c',
      `import numpy as np; np.save('${path}', np.asfortranarray(np.arange(6, dtype='>f8').reshape(2, 3)))`,
    ]);
    const a = readNpy(readFileSync(path));
    expect(a.shape).toEqual([2, 3]);
    expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
