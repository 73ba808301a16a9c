/**
 * `npm run bench`: runs the `bench/*.bench.ts` timings in name order (or only those whose names
 * contain the words given as arguments, e.g. `npm run bench -- fits image`). Each prints our
 * figures beside its Python peer's from the same run. The model-quality measurements, which
 * train several models and take many minutes (`quality`: three demos and a 5-fold
 * cross-validation; `active`: a simulated review campaign), run only when named:
 * `npm run bench -- quality`, `npm run bench -- active`.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
/** Benches that run only when named. */
const OPT_IN = ['quality', 'active'];
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) =>
    only.length === 0 ? !OPT_IN.some((o) => f.includes(o)) : only.some((o) => f.includes(o)),
  )
  .sort();
if (only.length === 0)
  console.log(
    `(${OPT_IN.join(' and ')} run only when named: npm run bench -- ${OPT_IN.join(' / ')})`,
  );
for (const f of files) {
  const mod = (await import(pathToFileURL(`${here}/${f}`).href)) as {
    default: () => Promise<void>;
  };
  await mod.default();
}
