/**
 * A spectral cube collapsed to one image, read a plane at a time: the NaN-skipping sum of its
 * channels, or moment 0 (that sum times the channel width).
 */
import { FitsError } from '../core/errors.js';
import { createImage2D } from '../core/image2d.js';
import { noImageMessage, type FitsFile } from './read.js';
import { openFits } from './open.node.js';

/**
 * How {@link readFitsCollapsed} collapses a cube: `sum` adds the channels; `moment0` is that
 * sum times the channel width |CDELTn| (in the axis's unit, CUNITn: Jy/beam · km/s for a
 * velocity axis, Jy/beam · Hz for ALMA's frequency axis), as CASA's `immoments` moment 0.
 */
export type CollapseMethod = 'sum' | 'moment0';

/** The collapse methods, for option checking. */
export const COLLAPSE_METHODS: readonly CollapseMethod[] = ['sum', 'moment0'];

/** Options of {@link readFitsCollapsed}. */
export interface CollapseOptions {
  /** See {@link CollapseMethod}. */
  method: CollapseMethod;
  /** HDU to read. Default: the first image HDU. */
  hdu?: number;
  /** Name used in errors and as {@link FitsFile.name}. Default: the path. */
  name?: string;
}

/** CTYPE prefixes of spectral axes (FITS WCS paper III). */
const SPECTRAL = /^(FREQ|ENER|WAVN|VRAD|WAVE|VOPT|ZOPT|AWAV|VELO|BETA|FELO)/i;

/**
 * Read a FITS cube collapsed along its spectral axis: per pixel, the sum of the channels that
 * are not NaN (NaN where every channel is NaN), or moment 0 (see {@link CollapseMethod}). The
 * axis is the one axis beyond the second longer than 1, or, among several, the one whose CTYPE
 * is spectral (`FREQ`, `VRAD`, `VELO`, ...); every other axis beyond the second must have length
 * 1 (ALMA's Stokes axis does). Planes are read one at a time, so memory holds one plane and the
 * sums, however many channels there are. An image that is not a cube is returned as read.
 *
 * @param path - the FITS file (`.fits` or `.fits.gz`)
 * @param opts - see {@link CollapseOptions}
 * @returns the file as {@link readFits} returns it for a path, with the collapsed image
 * @throws FitsError naming the file when it cannot be read, has no image, has no single axis to
 *   collapse, or (moment 0) no CDELT for that axis
 */
export async function readFitsCollapsed(path: string, opts: CollapseOptions): Promise<FitsFile> {
  const name = opts.name ?? path;
  if (!COLLAPSE_METHODS.includes(opts.method)) {
    throw new FitsError(
      `${name}: unknown collapse method ${JSON.stringify(opts.method)} (use ${COLLAPSE_METHODS.join(' or ')})`,
      name,
    );
  }
  const reader = await openFits(path, {
    name,
    ...(opts.hdu === undefined ? {} : { hdu: opts.hdu }),
  });
  try {
    const { hdus, header, imageHdu } = reader;
    if (imageHdu === undefined) throw new FitsError(noImageMessage(name, hdus), name);
    const file = { name, hdus: [...hdus], imageHdu, header };
    const planeAxes = reader.planeAxes;
    if (planeAxes === undefined) return { ...file, image: await reader.read() };
    // planeAxes[k] is FITS axis NAXIS(n - k), outermost first.
    const n = hdus[imageHdu].axes.length;
    const ctype = (axis: number): string => String(header.get(`CTYPE${axis}`) ?? '').trim();
    const long = planeAxes
      .map((length, k) => ({ k, axis: n - k, length }))
      .filter((a) => a.length > 1);
    const describe = (a: { axis: number; length: number }): string =>
      `NAXIS${a.axis} = ${a.length}${ctype(a.axis) ? ` (${ctype(a.axis)})` : ''}`;
    const spectral = long.filter((a) => SPECTRAL.test(ctype(a.axis)));
    const along = long.length === 1 ? long[0] : spectral.length === 1 ? spectral[0] : undefined;
    if (along === undefined || long.length > 1) {
      throw new FitsError(
        `${name}: cannot collapse: ${along === undefined ? 'no single spectral axis among' : 'besides the spectral axis, more than one plane along'} ${long
          .filter((a) => a !== along)
          .map(describe)
          .join(', ')}; pick one plane instead`,
        name,
      );
    }
    let width = 1;
    if (opts.method === 'moment0') {
      const cdelt = header.number(`CDELT${along.axis}`);
      if (cdelt === undefined || !Number.isFinite(cdelt) || cdelt === 0) {
        throw new FitsError(
          `${name}: moment 0 needs the channel width CDELT${along.axis} of ${describe(along)}`,
          name,
        );
      }
      width = Math.abs(cdelt);
    }
    let sum: Float64Array | undefined;
    let count: Uint32Array | undefined;
    let shape: [number, number] = [0, 0];
    for (let c = 0; c < along.length; c++) {
      const plane = planeAxes.map((_, k) => (k === along.k ? c : 0));
      const img = await reader.read({ plane });
      const data = img.data;
      if (sum === undefined || count === undefined) {
        shape = [img.shape[0], img.shape[1]];
        sum = new Float64Array(data.length);
        count = new Uint32Array(data.length);
      }
      for (let i = 0; i < data.length; i++) {
        const v = data[i];
        if (Number.isNaN(v)) continue;
        sum[i] += v;
        count[i]++;
      }
    }
    const out = new Float32Array(shape[0] * shape[1]);
    for (let i = 0; i < out.length; i++)
      out[i] = (count as Uint32Array)[i] > 0 ? (sum as Float64Array)[i] * width : NaN;
    return { ...file, image: createImage2D(shape[0], shape[1], out) };
  } finally {
    await reader.close();
  }
}
