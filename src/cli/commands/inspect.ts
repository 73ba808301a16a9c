import { stat } from 'node:fs/promises';
import type { Command } from 'commander';
import { AlmaClassifierError, FitsError } from '../../core/errors.js';
import type { Image2D } from '../../core/image2d.js';
import { listFitsFiles } from '../../dataset/index.node.js';
import type { FitsFile, FitsValue } from '../../fits/index.js';
import { readFitsFile } from '../../fits/index.node.js';
import { numberListOption, numberOption } from '../options.js';

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

/** NaN-aware statistics of an image, in float64; `null` where there is no finite pixel. */
interface Stats {
  shape: [number, number];
  nanCount: number;
  nanMin: number | null;
  nanMax: number | null;
  nanMean: number | null;
  nanSum: number;
  nanArgMax: [number, number] | null;
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

function keyCards(file: FitsFile): Record<string, FitsValue> {
  const out: Record<string, FitsValue> = {};
  for (const k of KEY_CARDS) {
    const v = file.header.get(k);
    if (v !== undefined) out[k] = v;
  }
  return out;
}

function num(v: number | null): string {
  if (v === null) return '-';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e7)) return v.toExponential(6);
  return String(Number(v.toPrecision(7)));
}

function printText(file: FitsFile, stats: Stats | undefined): void {
  const lines = [file.name, '  HDU  type      BITPIX  axes (NAXIS1..n)'];
  for (const h of file.hdus) {
    const axes = h.axes.length > 0 ? h.axes.join(' x ') : '-';
    lines.push(
      `  ${String(h.index).padEnd(4)} ${h.kind.padEnd(9)} ${String(h.bitpix).padStart(6)}  ${axes}`,
    );
  }
  const cards = keyCards(file);
  const show = (keys: string[]): string =>
    keys
      .filter((k) => k in cards)
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
  for (const [label, keys] of groups) {
    const text = show(keys);
    if (text !== '') lines.push(`  ${label}  ${text}`);
  }
  if (stats === undefined) {
    lines.push('  image   none');
  } else {
    const arg = stats.nanArgMax === null ? '-' : `[${stats.nanArgMax.join(', ')}]`;
    lines.push(
      `  image   HDU ${file.imageHdu}, shape [${stats.shape.join(', ')}], NaN ${stats.nanCount}, ` +
        `min ${num(stats.nanMin)}, max ${num(stats.nanMax)}, mean ${num(stats.nanMean)}, ` +
        `sum ${num(stats.nanSum)}, argmax ${arg}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printJson(file: FitsFile, stats: Stats | undefined): void {
  const record = {
    file: file.name,
    shape: stats?.shape ?? null,
    nanCount: stats?.nanCount ?? null,
    nanMin: stats?.nanMin ?? null,
    nanMax: stats?.nanMax ?? null,
    nanSum: stats?.nanSum ?? null,
    nanArgMax: stats?.nanArgMax ?? null,
    header: keyCards(file),
  };
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

async function expand(path: string): Promise<string[]> {
  let isDir = false;
  try {
    isDir = (await stat(path)).isDirectory();
  } catch {
    // a missing path is reported by readFitsFile with its own message
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
 * `fitsheader`, per FITS file the HDUs, the key header cards and NaN-aware image statistics.
 * A bad file is reported on stderr and the rest are still inspected; the exit code is then 1.
 */
export function register(program: Command): void {
  program
    .command('inspect')
    .description(
      'Show the HDUs, key header cards (object, unit, beam, WCS) and image statistics of FITS files (.fits, .fits.gz, or folders of them).',
    )
    .argument('<paths...>', 'FITS files or folders holding them')
    .option(
      '--json',
      'one JSON object per file and line: file, shape, nanCount, nanMin, nanMax, nanSum, nanArgMax, header',
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
        'plane of a cube: one index per axis beyond the second, outermost first (ALMA: stokes,channel)',
        { integer: true, min: 0 },
      ),
    )
    .action(async (paths: string[], flags: InspectFlags) => {
      const opts = { hdu: flags.hdu, plane: flags.plane };
      let failed = false;
      for (const given of paths) {
        let files: string[];
        try {
          files = await expand(given);
        } catch (err) {
          if (!(err instanceof AlmaClassifierError)) throw err;
          process.stderr.write(`alma-classifier: ${err.message}\n`);
          failed = true;
          continue;
        }
        for (const path of files) {
          let file: FitsFile;
          try {
            file = await readFitsFile(path, opts);
          } catch (err) {
            if (!(err instanceof AlmaClassifierError)) throw err;
            process.stderr.write(`alma-classifier: ${err.message}\n`);
            failed = true;
            continue;
          }
          const stats = file.image === undefined ? undefined : statistics(file.image);
          if (flags.json) printJson(file, stats);
          else printText(file, stats);
        }
      }
      if (failed) process.exitCode = 1;
    });
}
