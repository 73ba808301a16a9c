import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { AlmaClassifierError, FitsError } from '../../core/errors.js';
import type { Image2D } from '../../core/image2d.js';
import { listFitsFiles } from '../../dataset/index.node.js';
import type { FitsHeader, FitsValue } from '../../fits/index.js';
import { openFits, type FitsReader } from '../../fits/index.node.js';
import { numberListOption, numberOption } from '../options.js';
import { textTable } from './search.js';

/** Header cards `inspect` shows: what the object is, its unit, the beam, and the WCS. */
const KEY_CARDS = [
  'OBJECT',
  'TELESCOP',
  'BUNIT',
  'BMAJ',
  'BMIN',
  'BPA',
  'RADESYS',
  'EQUINOX',
  'CTYPE1',
  'CTYPE2',
  'CRVAL1',
  'CRVAL2',
  'CDELT1',
  'CDELT2',
  'CRPIX1',
  'CRPIX2',
  'CUNIT1',
  'CUNIT2',
];

/** The WCS cards of FITS axis `n` beyond the second (ALMA: 3 = frequency, 4 = Stokes). */
const axisCards = (n: number): string[] =>
  ['CTYPE', 'CRVAL', 'CDELT', 'CRPIX', 'CUNIT'].map((k) => `${k}${n}`);

/** Stokes parameters by their FITS code (WCS paper I, table 7). */
const STOKES: Record<number, string> = {
  1: 'I',
  2: 'Q',
  3: 'U',
  4: 'V',
  [-1]: 'RR',
  [-2]: 'LL',
  [-3]: 'RL',
  [-4]: 'LR',
  [-5]: 'XX',
  [-6]: 'YY',
  [-7]: 'XY',
  [-8]: 'YX',
};

/**
 * NaN-aware statistics of an image (or a whole cube), in float64; `null` where there is no
 * finite pixel. `shape` and `nanArgMax` are in numpy order.
 */
interface Stats {
  shape: number[];
  nanCount: number;
  nanMin: number | null;
  nanMax: number | null;
  nanMean: number | null;
  nanSum: number;
  nanArgMax: number[] | null;
}

/** One plane of a cube: its indices (outermost first), world coordinates and statistics. */
interface PlaneStats extends Stats {
  plane: number[];
  world: Record<string, number | string>;
}

function statistics(img: Image2D): Stats {
  const [rows, cols] = img.shape as [number, number];
  let nanCount = 0;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let arg: [number, number] | null = null;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const v = img.get(r, c);
      if (Number.isNaN(v)) {
        nanCount++;
        continue;
      }
      sum += v;
      if (v < min) min = v;
      if (v > max) {
        max = v;
        arg = [r, c];
      }
    }
  }
  const finite = rows * cols - nanCount;
  return {
    shape: [rows, cols],
    nanCount,
    nanMin: finite > 0 ? min : null,
    nanMax: finite > 0 ? max : null,
    nanMean: finite > 0 ? sum / finite : null,
    nanSum: sum,
    nanArgMax: arg,
  };
}

/**
 * The statistics of a whole cube of `shape` from those of its planes: the argmax is numpy's
 * `unravel_index(nanargmax(data), data.shape)`, the first maximum in C order.
 */
function cubeStatistics(planes: readonly PlaneStats[], shape: number[]): Stats {
  let best: PlaneStats | undefined;
  let nanCount = 0;
  let nanSum = 0;
  let nanMin: number | null = null;
  for (const p of planes) {
    nanCount += p.nanCount;
    nanSum += p.nanSum;
    if (p.nanMin !== null && (nanMin === null || p.nanMin < nanMin)) nanMin = p.nanMin;
    if (p.nanMax !== null && (best === undefined || p.nanMax > (best.nanMax as number))) best = p;
  }
  const finite = shape.reduce((a, b) => a * b, 1) - nanCount;
  return {
    shape,
    nanCount,
    nanMin,
    nanMax: best?.nanMax ?? null,
    nanMean: finite > 0 ? nanSum / finite : null,
    nanSum,
    nanArgMax: best?.nanArgMax ? [...best.plane, ...best.nanArgMax] : null,
  };
}

/** Every index tuple of `axes`, the last index fastest (C order, as numpy iterates). */
function* planeIndices(axes: readonly number[]): Generator<number[]> {
  if (axes.some((n) => n === 0)) return;
  const idx = axes.map(() => 0);
  for (;;) {
    yield [...idx];
    let k = idx.length - 1;
    while (k >= 0 && ++idx[k] === axes[k]) idx[k--] = 0;
    if (k < 0) return;
  }
}

/**
 * The world coordinates of a plane, by the CTYPE of each axis beyond the second, from the
 * linear WCS of the header (`CRVALn + (i + 1 - CRPIXn) * CDELTn`); Stokes codes by name.
 * Axes without CTYPE, CRVAL and CDELT are left out.
 */
function worldOf(header: FitsHeader, plane: readonly number[]): Record<string, number | string> {
  const world: Record<string, number | string> = {};
  const naxis = plane.length + 2;
  plane.forEach((i, k) => {
    const n = naxis - k;
    const ctype = header.get(`CTYPE${n}`);
    const crval = header.number(`CRVAL${n}`);
    const cdelt = header.number(`CDELT${n}`);
    if (typeof ctype !== 'string' || crval === undefined || cdelt === undefined) return;
    const v = crval + (i + 1 - (header.number(`CRPIX${n}`) ?? 1)) * cdelt;
    const name = ctype.trim();
    world[name] = name.toUpperCase() === 'STOKES' ? (STOKES[v] ?? v) : v;
  });
  return world;
}

/** A plane's world coordinates as text, with units: `STOKES I, FREQ 2.305380e+11 Hz`. */
function worldText(header: FitsHeader, world: Record<string, number | string>): string {
  const naxis = Number(header.get('NAXIS'));
  const units = new Map<string, string>();
  for (let n = 3; n <= naxis; n++) {
    const ctype = header.get(`CTYPE${n}`);
    const unit = header.get(`CUNIT${n}`);
    if (typeof ctype === 'string' && typeof unit === 'string' && unit.trim() !== '')
      units.set(ctype.trim(), unit.trim());
  }
  return Object.entries(world)
    .map(([k, v]) => {
      const unit = units.get(k);
      return `${k} ${typeof v === 'number' ? num(v) : v}${unit ? ` ${unit}` : ''}`;
    })
    .join(', ');
}

/** The key cards of the image HDU, its higher axes' WCS cards included. */
function keyCards(header: FitsHeader): Record<string, FitsValue> {
  const out: Record<string, FitsValue> = {};
  const naxis = header.number('NAXIS') ?? 0;
  const keys = [...KEY_CARDS];
  for (let n = 3; n <= naxis; n++) keys.push(...axisCards(n));
  for (const k of keys) {
    const v = header.get(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function num(v: number | null): string {
  if (v === null) return '-';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e7)) return v.toExponential(6);
  return String(Number(v.toPrecision(7)));
}

const indices = (v: readonly number[] | null): string => (v === null ? '-' : `[${v.join(', ')}]`);

function statsText(s: Stats): string {
  return (
    `NaN ${s.nanCount}, min ${num(s.nanMin)}, max ${num(s.nanMax)}, mean ${num(s.nanMean)}, ` +
    `sum ${num(s.nanSum)}, argmax ${indices(s.nanArgMax)}`
  );
}

/** What `inspect` found in one file. */
interface Inspection {
  file: FitsReader;
  /** The statistics of the image, the chosen plane, or the whole cube; none without an image. */
  stats?: Stats;
  /** The plane `--plane` chose. */
  plane?: readonly number[];
  /** Each plane of a cube inspected without `--plane`. */
  planes?: PlaneStats[];
}

function printText({ file, stats, plane, planes }: Inspection): void {
  const lines = [file.name, '  HDU  type      BITPIX  axes (NAXIS1..n)'];
  for (const h of file.hdus) {
    const axes = h.axes.length > 0 ? h.axes.join(' x ') : '-';
    lines.push(
      `  ${String(h.index).padEnd(4)} ${h.kind.padEnd(9)} ${String(h.bitpix).padStart(6)}  ${axes}`,
    );
  }
  const cards = keyCards(file.header);
  const show = (keys: string[]): string =>
    keys
      .filter((k) => k in cards && cards[k] !== '')
      .map(
        (k) =>
          `${k} = ${typeof cards[k] === 'number' ? num(cards[k] as number) : String(cards[k])}`,
      )
      .join(', ');
  const groups: [string, string[]][] = [
    ['object', ['OBJECT', 'TELESCOP', 'BUNIT']],
    ['beam  ', ['BMAJ', 'BMIN', 'BPA']],
    ['wcs   ', KEY_CARDS.slice(6)],
  ];
  const naxis = file.header.number('NAXIS') ?? 0;
  for (let n = 3; n <= naxis; n++) groups.push([`axis ${n}`, axisCards(n)]);
  for (const [label, keys] of groups) {
    const text = show(keys);
    if (text !== '') lines.push(`  ${label}  ${text}`);
  }
  if (stats === undefined) {
    lines.push('  image   none');
  } else if (planes === undefined) {
    const which = plane === undefined ? '' : `, plane ${indices(plane)}`;
    lines.push(
      `  image   HDU ${file.imageHdu}${which}, shape ${indices(stats.shape)}, ${statsText(stats)}`,
    );
  } else {
    const flag = (p: PlaneStats | undefined) => `--plane ${p?.plane.join(',')}`;
    lines.push(
      `  image   HDU ${file.imageHdu}, a cube of shape ${indices(stats.shape)}: ${planes.length} ` +
        `planes of ${indices(stats.shape.slice(-2))} (one alone: ${flag(planes[0])} to ` +
        `${flag(planes.at(-1))})`,
      `  cube    ${statsText(stats)}`,
      textTable(
        ['plane', 'world', 'NaN', 'min', 'max', 'mean', 'sum', 'argmax'],
        planes.map((p) => [
          indices(p.plane),
          worldText(file.header, p.world) || '-',
          p.nanCount,
          num(p.nanMin),
          num(p.nanMax),
          num(p.nanMean),
          num(p.nanSum),
          indices(p.nanArgMax),
        ]),
      )
        .split('\n')
        .map((l) => `    ${l}`)
        .join('\n'),
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printJson({ file, stats, planes }: Inspection): void {
  const fields = (s: Stats | undefined) => ({
    shape: s?.shape ?? null,
    nanCount: s?.nanCount ?? null,
    nanMin: s?.nanMin ?? null,
    nanMax: s?.nanMax ?? null,
    nanSum: s?.nanSum ?? null,
    nanArgMax: s?.nanArgMax ?? null,
  });
  const record = {
    file: file.name,
    ...fields(stats),
    header: keyCards(file.header),
    ...(planes === undefined
      ? {}
      : { planes: planes.map((p) => ({ plane: p.plane, world: p.world, ...fields(p) })) }),
  };
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

/**
 * Read what `inspect` shows of an opened file: the image (or the plane `plane`) and its
 * statistics; for a cube without `plane`, every plane in turn (one in memory at a time).
 */
async function inspect(
  file: FitsReader,
  plane: readonly number[] | undefined,
): Promise<Inspection> {
  if (file.imageHdu === undefined) return { file };
  const axes = file.planeAxes;
  if (axes === undefined || plane !== undefined) {
    const stats = statistics(await file.read(plane === undefined ? {} : { plane }));
    return plane === undefined ? { file, stats } : { file, stats, plane };
  }
  const planes: PlaneStats[] = [];
  for (const p of planeIndices(axes)) {
    const image = await file.read({ plane: p });
    planes.push({ plane: p, world: worldOf(file.header, p), ...statistics(image) });
  }
  const hdu = file.hdus[file.imageHdu];
  const shape = [...axes, hdu.axes[1], hdu.axes[0]];
  return { file, stats: cubeStatistics(planes, shape), planes };
}

async function expand(path: string): Promise<string[]> {
  let isDir = false;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    // a missing path is reported by openFits with its own message
  }
  if (!isDir) return [path];
  const files = await listFitsFiles(path);
  if (files.length === 0)
    throw new FitsError(`${path}: no FITS files (.fits, .fit, .fits.gz) in this folder`, path);
  return files;
}

/** Options of `alma-classifier inspect`, as commander parses them. */
interface InspectFlags {
  json?: boolean;
  hdu?: number;
  plane?: number[];
}

/**
 * Registers `alma-classifier inspect <file|dir>... [--json]`: like astropy's `fitsinfo` and
 * `fitsheader`, per FITS file the HDUs, the key header cards and NaN-aware image statistics;
 * for a cube, the statistics of the whole cube and of every plane (or of the `--plane` asked
 * for). A bad file is reported on stderr and the rest are still inspected; the exit code is then 1.
 */
export function register(program: Command): void {
  program
    .command('inspect')
    .summary(
      'Show the HDUs, key header cards (object, unit, beam, WCS) and image statistics of FITS files (.fits, .fits.gz, or folders of them); for a cube, of the whole cube and of each plane.',
    )
    .description(
      'Show the HDUs, key header cards (object, unit, beam, WCS) and NaN-aware image statistics ' +
        'of FITS files (.fits, .fits.gz, or folders of them).\n\n' +
        "A cube (more than two axes longer than 1, e.g. ALMA's NAXIS1..4 = 480 x 480 x 240 x 1) " +
        'without --plane: its shape in numpy order ([stokes, channel, row, col]), statistics of ' +
        'the whole cube (argmax as [stokes, channel, row, col]), the --plane values that pick one ' +
        'plane, and a table of every plane with its world coordinates (STOKES I, FREQ ... Hz, ' +
        "from the header's linear WCS) and statistics; --json adds planes: [{plane, world, shape, " +
        'nanCount, nanMin, nanMax, nanSum, nanArgMax}]. Planes are read one at a time: memory ' +
        'holds one plane however large the cube.',
    )
    .argument('<paths...>', 'FITS files or folders holding them')
    .option(
      '--json',
      'one JSON object per file and line: file, shape, nanCount, nanMin, nanMax, nanSum, nanArgMax, header (and planes, for a cube)',
    )
    .addOption(
      numberOption('--hdu <n>', 'HDU to read as the image (default: the first image HDU)', {
        integer: true,
        min: 0,
      }),
    )
    .addOption(
      numberListOption(
        '--plane <i,j>',
        'only this plane of a cube: one index per axis beyond the second, outermost first (ALMA: stokes,channel)',
        { integer: true, min: 0 },
      ),
    )
    .action(async (paths: string[], flags: InspectFlags) => {
      let failed = false;
      const report = (err: unknown) => {
        if (!(err instanceof AlmaClassifierError)) throw err;
        process.stderr.write(`alma-classifier: ${err.message}\n`);
        failed = true;
      };
      for (const given of paths) {
        let files: string[];
        try {
          files = await expand(given);
        } catch (err) {
          report(err);
          continue;
        }
        for (const path of files) {
          let found: Inspection;
          try {
            const file = await openFits(path, flags.hdu === undefined ? {} : { hdu: flags.hdu });
            try {
              found = await inspect(file, flags.plane);
            } finally {
              await file.close();
            }
          } catch (err) {
            report(err);
            continue;
          }
          if (flags.json) printJson(found);
          else printText(found);
        }
      }
      if (failed) process.exitCode = 1;
    });
}
