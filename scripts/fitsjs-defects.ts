/**
 * `npx tsx scripts/fitsjs-defects.ts`: fitsjs 0.6.6 beside our FITS reader on the same bytes
 * (header values, HDU structure, pixels) and the time each takes to decode the B335 image.
 * docs/fits.md ("Why not fitsjs") quotes its output; `test/fits-fitsjs.test.ts` keeps that true.
 */
import {
  decodeTimes,
  headerCases,
  pixelCases,
  realHeaderCases,
  structureCases,
} from '../test/helpers/fitsjs-measure.js';

const cases = [...headerCases(), ...realHeaderCases(), ...structureCases(), ...pixelCases()];
const cell = (s: string): string =>
  (s.length > 70 ? `${s.slice(0, 67)}...` : s).replace(/\|/g, '\\|');
console.log('| part | case | ours (= astropy) | fitsjs 0.6.6 | same |');
console.log('| --- | --- | --- | --- | --- |');
for (const c of cases)
  console.log(
    `| ${c.part} | ${cell(c.name)} | ${cell(c.ours)} | ${cell(c.fitsjs)} | ${c.agrees ? 'yes' : '**no**'} |`,
  );
const wrong = cases.filter((c) => !c.agrees).length;
console.log(`\n${wrong} of ${cases.length} cases differ.`);
const t = decodeTimes();
console.log(
  `B335 1000x1000 float32 from memory, median ms: fitsjs _getFrame ${t.fitsjs.toFixed(2)} (pixels only, ` +
    `with the copy it needs); our readFits(bytes) ${t.ours.toFixed(2)}, our Node path ${t.oursNode.toFixed(2)} ` +
    `(headers and pixels)`,
);
