/**
 * `npm run bench`: runs every `bench/*.bench.ts` in name order (or only those whose names contain
 * the words given as arguments, e.g. `npm run bench -- fits image`). Each prints our figures beside
 * its Python peer's from the same run.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
for (const f of files) {
  const mod = (await import(pathToFileURL(`${here}/${f}`).href)) as {
    default: () => Promise<void>;
  };
  await mod.default();
}
