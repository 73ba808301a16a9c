// Writes data/ (shipped in the npm package): the three real ALMA images the demo uses, cut to
// the part around each source that the demo's preprocessing reads (a centred window, its WCS
// shifted as astropy's Cutout2D does), so an installed package runs the demo on real data
// without shipping 5 MB of test fixtures.
//   npx tsx scripts/make-demo-data.ts
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { readFitsFile, writeFitsFile } from '../src/index.node.js';
import { cutoutHeader } from '../src/wcs/index.js';

const FROM = 'test/fixtures/fits';
const TO = 'data';
/** Side of each cutout, pixels (the whole image when it is smaller). */
const CUTS: Record<string, number> = {
  'b335_2017_band6_0.fits': 400,
  'serpenssouthc7_2019_band6_0.fits': 480,
  'member.uid___A001_X12a2_X10d._COS850.0005__sci.spw5_7_9_11.cont.I.pbcor.fits': 192,
};

await mkdir(TO, { recursive: true });
for (const [file, side] of Object.entries(CUTS)) {
  const whole = await readFitsFile(join(FROM, file));
  const [rows, cols] = whole.image!.shape as [number, number];
  const r0 = Math.max(0, Math.floor((rows - side) / 2));
  const c0 = Math.max(0, Math.floor((cols - side) / 2));
  const region = {
    rows: [r0, Math.min(rows, r0 + side)] as [number, number],
    cols: [c0, Math.min(cols, c0 + side)] as [number, number],
  };
  const cut = await readFitsFile(join(FROM, file), { region });
  const header = cutoutHeader(whole.header, region);
  await writeFitsFile(join(TO, file), cut.image!, header.cards.slice());
  console.log(
    `${file}: [${rows}, ${cols}] → rows ${region.rows.join('–')}, cols ${region.cols.join('–')}`,
  );
}
