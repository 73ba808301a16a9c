/**
 * A synthetic archive of N small FITS products served by the replay server: a TAP answer with
 * one ObsCore row per member OUS, a DataLink document per OUS listing its files, and the files
 * themselves. Used by the scale tests, the Slurm test and the scale benchmark, so that
 * `classify-archive --keyword ... --mirror <server>` runs the real search → DataLink → download
 * path on hundreds of products.
 */
import { createImage2D } from '../../src/core/image2d.js';
import { createRng, type Rng } from '../../src/core/random.js';
import type { DataProduct } from '../../src/archive/datalink.js';
import { resolveProfile, type TargetProfile } from '../../src/dataset/profile.js';
import { writeFits } from '../../src/fits/write.js';
import { createModel } from '../../src/model/factory.js';
import { saveModel } from '../../src/model/io.node.js';
import type { ReplayServer } from './replay-server.js';

/** Options of {@link serveProducts}. */
export interface GeneratedProductsOptions {
  /** Number of FITS products. */
  count: number;
  /** Products per member OUS (DataLink document). Default 10. */
  perOus?: number;
  /** Image side in pixels. Default 48. */
  size?: number;
  /** Seed of the pixel noise and blob positions. Default 1. */
  seed?: number;
  /** Science keyword written into every row (searched by the tests). */
  keyword?: string;
  /**
   * Distinct images to generate; products cycle through them (URLs stay unique). Default: one
   * per product. Keeps the server's memory small for thousands of larger images.
   */
  distinct?: number;
}

/** What {@link serveProducts} set up. */
export interface GeneratedProducts {
  /** The products as DataLink will list them (url, fileName, size, member OUS, ...). */
  products: DataProduct[];
  /** The science keyword every row carries. */
  keyword: string;
  /** Total bytes of all files. */
  totalBytes: number;
  /** Size in bytes of one file (all are the same size). */
  fileBytes: number;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function voTable(fields: [string, string][], rows: (string | number)[][]): string {
  const f = fields
    .map(
      ([name, type]) =>
        `<FIELD name="${name}" datatype="${type}"${type === 'char' ? ' arraysize="*"' : ''}/>`,
    )
    .join('\n');
  const tr = rows
    .map((r) => `<TR>${r.map((v) => `<TD>${esc(String(v))}</TD>`).join('')}</TR>`)
    .join('\n');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<VOTABLE xmlns="http://www.ivoa.net/xml/VOTable/v1.3" version="1.4">\n' +
    '<RESOURCE type="results"><INFO name="QUERY_STATUS" value="OK"/><TABLE>\n' +
    `${f}\n<DATA><TABLEDATA>\n${tr}\n</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>\n`
  );
}

/**
 * A noisy image with one elongated Gaussian source near the middle (float32 FITS bytes), with
 * a celestial WCS (0.05″ pixels) and a 0.15″ beam, as ALMA products have.
 */
export function syntheticFits(size: number, rng: Rng): Uint8Array {
  const img = createImage2D(size, size);
  const r0 = size / 2 + rng.uniform(-size / 10, size / 10);
  const c0 = size / 2 + rng.uniform(-size / 10, size / 10);
  const sr = rng.uniform(1.5, 3);
  const sc = rng.uniform(2, 6);
  const amp = rng.uniform(0.5, 2);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      const g = amp * Math.exp(-(((r - r0) / sr) ** 2 + ((c - c0) / sc) ** 2) / 2);
      img.set(r, c, g + 0.02 * rng.normal());
    }
  }
  return writeFits(img, [
    { key: 'BUNIT', value: 'Jy/beam' },
    { key: 'CTYPE1', value: 'RA---SIN' },
    { key: 'CDELT1', value: -0.05 / 3600 },
    { key: 'CRPIX1', value: size / 2 + 1 },
    { key: 'CRVAL1', value: 180 },
    { key: 'CTYPE2', value: 'DEC--SIN' },
    { key: 'CDELT2', value: 0.05 / 3600 },
    { key: 'CRPIX2', value: size / 2 + 1 },
    { key: 'CRVAL2', value: -30 },
    { key: 'BMAJ', value: 0.15 / 3600 },
    { key: 'BMIN', value: 0.15 / 3600 },
    { key: 'BPA', value: 0 },
  ]);
}

const ousUid = (k: number) => `uid://A001/X${(0x2000 + k).toString(16)}/X${(k % 97).toString(16)}`;

/**
 * Register `count` generated products on `server`: files under `/files/`, one DataLink
 * document per member OUS, and a TAP answer listing the OUSs (all public, TARGET, released
 * 2018, 0.1" resolution, carrying `keyword`) so any search the tests make for that keyword
 * returns them. File names pass the default include filters (`.pbcor`, `_sci`, `.cont`).
 */
export function serveProducts(
  server: ReplayServer,
  opts: GeneratedProductsOptions,
): GeneratedProducts {
  const { count, perOus = 10, size = 48, seed = 1, keyword = 'Disks around low-mass stars' } = opts;
  const distinct = opts.distinct ?? count;
  const images: Uint8Array[] = [];
  const rng = createRng(seed);
  const products: DataProduct[] = [];
  const rows: (string | number)[][] = [];
  let totalBytes = 0;
  let fileBytes = 0;
  for (let k = 0; k * perOus < count; k++) {
    const mous = ousUid(k);
    const obsId = mous;
    rows.push([
      obsId,
      mous,
      `uid://A001/X${(0x2000 + k).toString(16)}/X0`,
      `2018.1.${String(k).padStart(5, '0')}.S`,
      `src_${k}`,
      keyword,
      'Star formation',
      0.1,
      '2018-06-01T00:00:00.000',
      'Public',
      'TARGET',
      6,
      0.0012,
      0.0013,
      100 + k * 0.01,
      -20,
      0.005,
    ]);
    const links: (string | number)[][] = [];
    for (let j = 0; j < perOus && products.length < count; j++) {
      const i = products.length;
      const fileName = `member.${mous.replace(/[:/]/g, '_')}.src${i}_sci.spw5_7.cont.I.pbcor.fits`;
      if (images.length < distinct) images.push(syntheticFits(size, rng));
      const bytes = images[i % distinct];
      fileBytes = bytes.length;
      totalBytes += bytes.length;
      const url = server.addFile(fileName, bytes);
      links.push([
        mous,
        url,
        '',
        '',
        '#this',
        'Science product',
        'image/fits',
        bytes.length,
        'true',
      ]);
      products.push({
        url,
        fileName,
        sizeBytes: bytes.length,
        contentType: 'image/fits',
        semantics: '#this',
        description: 'Science product',
        memberOus: mous,
        obsId,
        readable: true,
      });
    }
    server.dataLink(
      mous,
      voTable(
        [
          ['ID', 'char'],
          ['access_url', 'char'],
          ['service_def', 'char'],
          ['error_message', 'char'],
          ['semantics', 'char'],
          ['description', 'char'],
          ['content_type', 'char'],
          ['content_length', 'long'],
          ['readable', 'boolean'],
        ],
        links,
      ),
    );
  }
  server.tap(
    voTable(
      [
        ['obs_id', 'char'],
        ['member_ous_uid', 'char'],
        ['group_ous_uid', 'char'],
        ['proposal_id', 'char'],
        ['target_name', 'char'],
        ['science_keyword', 'char'],
        ['scientific_category', 'char'],
        ['s_resolution', 'double'],
        ['obs_release_date', 'char'],
        ['data_rights', 'char'],
        ['scan_intent', 'char'],
        ['band_list', 'char'],
        ['em_min', 'double'],
        ['em_max', 'double'],
        ['s_ra', 'double'],
        ['s_dec', 'double'],
        ['s_fov', 'double'],
      ],
      rows,
    ),
  );
  return { products, keyword, totalBytes, fileBytes };
}

/**
 * The profile of the scale tests: 48 px images, a 32 px crop around the peak, a 16 px input, no
 * alignment (speed), threshold 0.5.
 */
export const scaleTestProfile: TargetProfile = resolveProfile({
  name: 'scale-test',
  preprocess: { cropSize: 32, inputSize: 16 },
  positive: { align: 'none' },
});

/**
 * Save an untrained (seeded) small CNN for {@link scaleTestProfile} to `dir`, with the profile in
 * its `meta.json`, so `classify-archive --model dir` needs no other flag. Its scores are arbitrary
 * but deterministic, which is all the scale tests need.
 */
export async function saveTinyModel(dir: string, seed = 3): Promise<void> {
  const model = await createModel({
    inputShape: [16, 16, 1],
    convBlocks: [{ filters: 4, kernelSize: 3, poolSize: 2, activation: 'relu' }],
    denseUnits: 8,
    classes: 2,
    seed,
  });
  await saveModel(model, dir, {
    profileName: scaleTestProfile.name,
    profile: scaleTestProfile as unknown as Record<string, unknown>,
    classNames: scaleTestProfile.classes,
  });
  model.dispose();
}
