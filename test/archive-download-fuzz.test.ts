/**
 * Seeded fuzzing of the download path against a misbehaving server on 127.0.0.1: random and
 * hostile `Content-Disposition` names (other products' names and `.part`s, files and folders
 * already in the folder, `..`), 5xx/4xx answers, bodies cut by a reset or closed short of their
 * `Content-Length`, stalls, HTML pages instead of FITS, servers that ignore Range, and a disk
 * that writes fewer bytes than asked, drops bytes, or fills up. After every run: each product is
 * either complete and verified under the name its record gives, or absent (at most its `.part`
 * left); the files that were in the folder before are untouched; nothing else is in the folder,
 * and nothing outside it. A last run without faults completes every product.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRng, type Rng } from '../src/core/random.js';
import type { DataProduct } from '../src/archive/datalink.js';
import { DOWNLOAD_RECORD_FILE, type DownloadReport } from '../src/archive/download.js';
import { downloadProducts } from '../src/archive/download.node.js';
import { startReplayServer, type Fault, type ReplayServer } from './helpers/replay-server.js';

const FITS_NAME = 'member.uid___A001_X12a2_X10d._COS850.0005__sci.spw5_7_9_11.cont.I.pbcor.fits';
const FITS = new Uint8Array(readFileSync(new URL(`./fixtures/fits/${FITS_NAME}`, import.meta.url)));
const DATA_START = 2880 * 2; // the fixture's header is two blocks; its data follow

const SEED = Number(process.env.DOWNLOAD_FUZZ_SEED ?? 20_150);
const ROUNDS = 6;
const PRODUCTS = 14;

let server: ReplayServer;
let root: string;
beforeAll(async () => {
  server = await startReplayServer();
  root = mkdtempSync(join(tmpdir(), 'alma-dl-fuzz-'));
});
afterAll(async () => {
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

interface Planned {
  product: DataProduct;
  bytes: Uint8Array;
}

/** Product `i`: a FITS file with its own pixels, or a binary blob; its size known or not. */
function makeProduct(rng: Rng, round: number, i: number): Planned {
  const fits = rng.next() < 0.6;
  let bytes: Uint8Array;
  if (fits) {
    bytes = FITS.slice();
    for (let k = 0; k < 16; k++)
      bytes[DATA_START + ((i * 977 + k * 131) % 10_000)] = rng.int(0, 255);
  } else {
    bytes = Uint8Array.from({ length: rng.int(1, 90_000) }, () => rng.int(0, 255));
  }
  // Names that collide on purpose: a few shared basenames across products and rounds.
  const base = rng.next() < 0.3 ? `shared${rng.int(0, 2)}` : `r${round}p${i}`;
  const fileName = `${base}.${fits ? 'fits' : 'bin'}`;
  // A blob of unknown size could be replaced by any page the server sends: give blobs sizes.
  const sizeBytes = !fits || rng.next() < 0.6 ? bytes.length : null;
  const url = server.addFile(`r${round}/p${i}/${fileName}`, bytes, {
    headers: contentDisposition(rng, round),
  });
  return {
    bytes,
    product: {
      url,
      fileName,
      sizeBytes,
      contentType: 'application/octet-stream',
      semantics: '#this',
      description: '',
      memberOus: 'uid://A001/X1/X1',
      readable: true,
    },
  };
}

/** The names already in the folder before the first run, which no run may touch. */
const BYSTANDERS = ['notes.txt', 'shared0.fits', 'r0p1.fits.part', 'keep.bin'];
const FOLDERS = ['folder.fits', 'r0p2.bin'];

/** A Content-Disposition header (or none): hostile, clashing, or ordinary names. */
function contentDisposition(rng: Rng, round: number): Record<string, string> {
  const names = [
    ...BYSTANDERS,
    ...FOLDERS,
    `r${round}p${rng.int(0, PRODUCTS - 1)}.fits`,
    `r${round}p${rng.int(0, PRODUCTS - 1)}.fits.part`,
    `shared${rng.int(0, 2)}.fits`,
    '../../escape.fits',
    '/etc/passwd',
    DOWNLOAD_RECORD_FILE,
    '..',
    'same.fits',
    `cd-${rng.int(0, 1000)}.fits`,
  ];
  if (rng.next() < 0.4) return {};
  const name = names[rng.int(0, names.length - 1)];
  return rng.next() < 0.5
    ? { 'Content-Disposition': `attachment; filename="${name}"` }
    : { 'Content-Disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}` };
}

/** A random fault a server may serve on one request. */
function randomFault(rng: Rng, fits: boolean, length: number): Fault {
  const at = rng.int(1, Math.max(1, length - 1));
  switch (rng.int(0, fits ? 8 : 7)) {
    case 0:
      return { kind: 'status', status: rng.next() < 0.5 ? 500 : 503 };
    case 1:
      return { kind: 'cut', after: at };
    case 2:
      return { kind: 'short', after: at };
    case 3:
      return { kind: 'stall', after: at };
    case 4:
      return { kind: 'ignore-range' };
    case 5:
      return { kind: 'status', status: 502 };
    case 6:
      return { kind: 'status', status: rng.next() < 0.5 ? 404 : 401 };
    case 7:
      return { kind: 'cut', after: 0 };
    default:
      // Another body under a FITS name: an error page, or another FITS file's first blocks.
      return rng.next() < 0.5
        ? { kind: 'body', bytes: '<html><body>Service temporarily unavailable</body></html>' }
        : { kind: 'body', bytes: FITS.subarray(0, 2880 * 3), contentType: 'application/fits' };
  }
}

type WriteBytes = (
  this: FileHandle,
  buffer: Uint8Array,
  offset: number,
  length: number,
) => Promise<{ bytesWritten: number; buffer: Uint8Array }>;

/** Make every FileHandle write misbehave now and then, as the seeded `rng` says. */
async function misbehavingDisk(rng: Rng, counts: Record<string, number>): Promise<() => void> {
  const fh = await open(join(root, 'probe'), 'w');
  await fh.close();
  const proto = Object.getPrototypeOf(fh) as FileHandle;
  const write = proto.write as unknown as WriteBytes;
  const spy = vi.spyOn(proto, 'write').mockImplementation(function (
    this: FileHandle,
    ...args: unknown[]
  ): never {
    const buffer = args[0] as Uint8Array;
    const offset = typeof args[1] === 'number' ? args[1] : 0;
    const length = typeof args[2] === 'number' ? args[2] : buffer.length - offset;
    const roll = rng.next();
    if (roll < 0.1 && length > 1) {
      counts['short write'] = (counts['short write'] ?? 0) + 1;
      return write.call(this, buffer, offset, rng.int(1, length - 1)) as never;
    }
    if (roll < 0.115 && length > 1) {
      counts['dropped bytes'] = (counts['dropped bytes'] ?? 0) + 1;
      return write
        .call(this, buffer, offset, rng.int(0, length - 1))
        .then(() => ({ bytesWritten: length, buffer })) as never;
    }
    if (roll < 0.125) {
      counts['disk full'] = (counts['disk full'] ?? 0) + 1;
      return Promise.reject(
        Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }),
      ) as never;
    }
    return write.call(this, buffer, offset, length) as never;
  });
  return () => spy.mockRestore();
}

/** The record: URL → the last file it was saved as. */
function record(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  let text = '';
  try {
    text = readFileSync(join(dir, DOWNLOAD_RECORD_FILE), 'utf8');
  } catch {
    return out;
  }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const e = JSON.parse(line) as { url: string; file: string };
    out.set(e.url, e.file);
  }
  return out;
}

/** Every invariant of a run on `dir`. */
function check(
  dir: string,
  planned: Planned[],
  report: DownloadReport,
  before: Map<string, Buffer>,
  everPlanned: Set<string>,
) {
  // Nothing outside the folder.
  expect(readdirSync(root).filter((f) => f !== 'probe')).toEqual(['data']);
  // The files that were there are untouched, and the folders still empty folders.
  for (const [name, bytes] of before)
    expect(readFileSync(join(dir, name)).equals(bytes), name).toBe(true);
  for (const f of FOLDERS) expect(readdirSync(join(dir, f)), f).toEqual([]);
  const saved = record(dir);
  const finals = new Set<string>();
  report.files.forEach((f, i) => {
    const want = Buffer.from(planned[i].bytes);
    if (f.status === 'downloaded' || f.status === 'present') {
      // Complete and verified, where the record says.
      const got = readFileSync(f.path);
      expect(got.equals(want), `${f.path} (${f.status})`).toBe(true);
      expect(saved.get(f.product.url), f.product.url).toBe(f.path.slice(dir.length + 1));
      finals.add(f.path.slice(dir.length + 1));
    }
  });
  // Everything in the folder is accounted for: bystanders, folders, the record, files of
  // products (complete, as recorded), and .part files of names the run planned.
  const recordedFiles = new Set(saved.values());
  for (const f of report.files) everPlanned.add(f.path.slice(dir.length + 1));
  for (const name of readdirSync(dir)) {
    if (before.has(name) || FOLDERS.includes(name) || name === DOWNLOAD_RECORD_FILE) continue;
    if (name.endsWith('.part')) {
      expect(everPlanned.has(name.slice(0, -'.part'.length)), `stray ${name}`).toBe(true);
      continue;
    }
    expect(recordedFiles.has(name), `unrecorded file ${name}`).toBe(true);
  }
  // A recorded file holds its product's bytes (from this run or an earlier one).
  const byUrl = new Map(planned.map((p) => [p.product.url, p.bytes]));
  for (const [url, file] of saved) {
    const bytes = byUrl.get(url);
    if (bytes !== undefined && finals.has(file))
      expect(readFileSync(join(dir, file)).equals(Buffer.from(bytes)), file).toBe(true);
  }
}

describe('download fuzzing against a misbehaving server', () => {
  it(`${ROUNDS} runs of ${PRODUCTS} products: complete and verified, or absent with a .part; nothing else touched`, async () => {
    const t0 = Date.now();
    const rng = createRng(SEED);
    const dir = join(root, 'data');
    mkdirSync(dir);
    const before = new Map<string, Buffer>();
    for (const name of BYSTANDERS) {
      const bytes = Buffer.from(`bystander ${name} ${rng.next()}`);
      writeFileSync(join(dir, name), bytes);
      before.set(name, bytes);
    }
    for (const f of FOLDERS) mkdirSync(join(dir, f));

    const counts: Record<string, number> = {};
    const everPlanned = new Set<string>();
    const statuses: Record<string, number> = {};
    const all: Planned[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const planned = Array.from({ length: PRODUCTS }, (_, i) => makeProduct(rng, round, i));
      // Reruns: some products of earlier rounds again (their files must be found, not redone).
      const again = all.filter(() => rng.next() < 0.2);
      const batch = [...planned, ...again];
      for (const p of planned) {
        const n = rng.int(0, 3);
        const faults = Array.from({ length: n }, () =>
          randomFault(rng, p.product.fileName.endsWith('.fits'), p.bytes.length),
        );
        for (const f of faults)
          counts[f.kind === 'status' ? `HTTP ${f.status}` : f.kind] =
            (counts[f.kind === 'status' ? `HTTP ${f.status}` : f.kind] ?? 0) + 1;
        const path = new URL(p.product.url).pathname.slice('/files/'.length);
        server.fault(decodeURIComponent(path), ...faults);
      }
      const restore = await misbehavingDisk(rng, counts);
      let report: DownloadReport;
      try {
        report = await downloadProducts(
          batch.map((p) => p.product),
          { dir, concurrency: 4, retries: 2, backoffMs: 2, timeoutMs: 150 },
        );
      } finally {
        restore();
      }
      for (const f of report.files) statuses[f.status] = (statuses[f.status] ?? 0) + 1;
      check(dir, batch, report, before, everPlanned);
      all.push(...planned);
    }
    // A run without faults completes every product, under the names the record gives.
    server.clearFaults();
    const last = await downloadProducts(
      all.map((p) => p.product),
      { dir, concurrency: 4, retries: 2, backoffMs: 2, timeoutMs: 2000 },
    );
    check(dir, all, last, before, everPlanned);
    const missing = last.files.filter((f) => f.status !== 'downloaded' && f.status !== 'present');
    expect(missing.map((f) => `${f.product.fileName}: ${f.status} ${f.error ?? ''}`)).toEqual([]);
    expect(new Set(last.files.map((f) => f.path)).size).toBe(all.length);
    const ms = Date.now() - t0;
    console.log(
      `download fuzz (seed ${SEED}): ${all.length} products over ${ROUNDS} runs + a clean run, ${ms} ms; ` +
        `faults ${JSON.stringify(counts)}; outcomes ${JSON.stringify(statuses)}`,
    );
    expect(ms).toBeLessThan(20_000);
  }, 60_000);
});
