import type { Command } from 'commander';
import { AlmaClassifierError, FitsError } from '../../core/errors.js';
import {
  cubeStatistics,
  imageStatistics,
  type FitsHeader,
  type FitsValue,
  type ImageStatistics,
  type PlaneStatistics,
} from '../../fits/index.js';
import { listFitsFiles, openFits, type FitsReader } from '../../fits/index.node.js';
import { planeWorld, summarizeImage, type SkySource } from '../../wcs/index.js';
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

/** One plane of a cube: its indices (outermost first), world coordinates and statistics. */
interface PlaneStats extends PlaneStatistics {
  world: Record<string, number | string>;
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

function statsText(s: ImageStatistics): string {
  return (
    `NaN ${s.nanCount}, min ${num(s.nanMin)}, max ${num(s.nanMax)}, mean ${num(s.nanMean)}, ` +
    `sum ${num(s.nanSum)}, argmax ${indices(s.nanArgMax)}`
  );
}

/** What `inspect` found in one file. */
interface Inspection {
  file: FitsReader;
  /** The statistics of the image, the chosen plane, or the whole cube; none without an image. */
  stats?: ImageStatistics;
  /** The brightest pixel on the sky with the beam, pixel scale and robust rms; none without an image. */
  sky?: SkySource;
  /** The plane `--plane` chose. */
  plane?: readonly number[];
  /** Each plane of a cube inspected without `--plane`. */
  planes?: PlaneStats[];
}

/** The sky lines of `inspect`: frame, pixel scale, beam and rms; the peak's position and S/N. */
function skyText(sky: SkySource): string[] {
  const unit = sky.unit ?? '';
  const parts: string[] = [];
  if (sky.frame !== undefined) parts.push(sky.frame);
  if (sky.pixelScaleArcsec !== undefined) parts.push(`pixel ${arcsec(sky.pixelScaleArcsec)}`);
  if (sky.beam !== undefined) {
    const b = sky.beam;
    parts.push(
      `beam ${arcsec(b.majorArcsec)} x ${arcsec(b.minorArcsec)} PA ${b.paDeg.toFixed(1)}°` +
        (b.areaPixels !== undefined ? ` (${b.areaPixels.toFixed(1)} pixels)` : ''),
    );
  }
  if (sky.rmsJyBeam !== undefined) parts.push(`rms ${num(sky.rmsJyBeam)} ${unit}`.trimEnd());
  const lines = parts.length > 0 ? [`  sky     ${parts.join(', ')}`] : [];
  const where =
    sky.ra !== undefined && sky.dec !== undefined
      ? ` at ${sky.raHms !== undefined ? `${sky.raHms} ${sky.decDms} ` : ''}(${sky.ra.toFixed(6)}°, ${sky.dec.toFixed(6)}°)`
      : '';
  if (sky.peakJyBeam !== undefined) {
    lines.push(
      `  peak    ${indices(sky.pixel)} = ${num(sky.peakJyBeam)} ${unit}${where}` +
        (sky.snr !== undefined ? `, S/N ${sky.snr.toFixed(1)}` : ''),
    );
  }
  for (const note of sky.notes) lines.push(`  note    ${note}`);
  return lines;
}

/** Arcseconds with 3 significant digits and the ″ sign. */
function arcsec(v: number): string {
  return `${Number(v.toPrecision(3))}"`;
}

function printText({ file, stats, sky, plane, planes }: Inspection): void {
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
      ...(sky === undefined ? [] : skyText(sky)),
    );
  } else {
    const flag = (p: PlaneStats | undefined) => `--plane ${p?.plane.join(',')}`;
    lines.push(
      `  image   HDU ${file.imageHdu}, a cube of shape ${indices(stats.shape)}: ${planes.length} ` +
        `planes of ${indices(stats.shape.slice(-2))} (one alone: ${flag(planes[0])} to ` +
        `${flag(planes.at(-1))})`,
      `  cube    ${statsText(stats)}`,
      ...(sky === undefined ? [] : skyText(sky)),
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

function printJson({ file, stats, sky, planes }: Inspection): void {
  const fields = (s: ImageStatistics | undefined) => ({
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
    sky: sky ?? null,
    ...(planes === undefined
      ? {}
      : { planes: planes.map((p) => ({ plane: p.plane, world: p.world, ...fields(p) })) }),
  };
  process.stdout.write(`${JSON.stringify(record)}\n`);
}

/**
 * Read what `inspect` shows of an opened file: the image (or the plane `plane`), its
 * statistics and its brightest pixel on the sky ({@link summarizeImage}); for a cube without
 * `plane`, every plane in turn (one in memory at a time), then the sky of the plane holding the
 * cube's maximum.
 */
async function inspect(
  file: FitsReader,
  plane: readonly number[] | undefined,
): Promise<Inspection> {
  if (file.imageHdu === undefined) return { file };
  const axes = file.planeAxes;
  if (axes === undefined || plane !== undefined) {
    const summary = summarizeImage(
      await file.read(plane === undefined ? {} : { plane }),
      file.header,
      { source: file.name },
    );
    const found: Inspection = { file, stats: summary.statistics };
    if (summary.peak !== undefined) found.sky = summary.peak;
    if (plane !== undefined) found.plane = plane;
    return found;
  }
  const planes: PlaneStats[] = [];
  for (const p of planeIndices(axes)) {
    const image = await file.read({ plane: p });
    planes.push({ plane: p, world: planeWorld(file.header, p), ...imageStatistics(image) });
  }
  const hdu = file.hdus[file.imageHdu];
  const shape = [...axes, hdu.axes[1], hdu.axes[0]];
  const stats = cubeStatistics(planes, shape);
  const found: Inspection = { file, stats, planes };
  const arg = stats.nanArgMax;
  if (arg !== null) {
    const best = arg.slice(0, -2);
    const image = await file.read({ plane: best });
    const sky = summarizeImage(image, file.header, { source: file.name, plane: best }).peak;
    if (sky !== undefined) found.sky = sky;
  }
  return found;
}

/** The FITS files `path` names; a folder without any is an error (the other paths go on). */
function expand(path: string): Promise<string[]> {
  return listFitsFiles(path, {
    onEmptyFolder: (folder, message) => {
      throw new FitsError(`${folder}: ${message}`, folder);
    },
  });
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
      'Show the HDUs, key header cards (object, unit, beam, WCS), image statistics and the sky (frame, pixel scale, beam in arcsec, robust rms, the peak at RA/Dec with its S/N) of FITS files (.fits, .fits.gz, or folders of them); for a cube, of the whole cube and of each plane.',
    )
    .description(
      'Show the HDUs, key header cards (object, unit, beam, WCS) and NaN-aware image statistics ' +
        'of FITS files (.fits, .fits.gz, or folders of them), and the image on the sky: its frame ' +
        '(ICRS, FK5 J2000, ...), pixel scale and beam in arcsec (and the beam area in pixels), ' +
        'the robust rms of the image away from its brightest pixel (sigma-clipped), and that ' +
        'peak with its value, RA/Dec (sexagesimal and degrees) and S/N; --json adds them as ' +
        'sky: {pixel, ra, dec, frame, raHms, decDms, object, unit, pixelScaleArcsec, beam: ' +
        '{majorArcsec, minorArcsec, paDeg, areaArcsec2, areaPixels}, peakJyBeam, integratedJy, ' +
        'rmsJyBeam, snr, notes} (the library function summarizeImage returns the same).\n\n' +
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
      'one JSON object per file and line: file, shape, nanCount, nanMin, nanMax, nanSum, nanArgMax, header, sky (and planes, for a cube)',
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
