// Running the Python peers (astropy, numpy) from tests; tests skip when they are missing.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Debian's Python, the one with python3-astropy. */
export const PYTHON = '/usr/bin/python3';

/** Whether `PYTHON` can import every module named (e.g. `'astropy.wcs'`). */
export function pythonHas(...modules: string[]): boolean {
  if (!existsSync(PYTHON)) return false;
  try {
    execFileSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Run a Python script with arguments and parse what it prints as JSON. */
export function pythonJson<T>(script: string, ...args: string[]): T {
  const out = execFileSync(PYTHON, ['-c', script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PYTHONWARNINGS: 'ignore' },
  }).toString();
  return JSON.parse(out) as T;
}

/**
 * astropy.wcs's sky position of pixels of FITS files: `WCS(header).celestial.wcs_pix2world`
 * at `[row, col]` (0-based) of each `[path, row, col]`; null for a file without a celestial WCS.
 */
export function astropyWorld(
  queries: readonly (readonly [path: string, row: number, col: number])[],
): ([number, number] | null)[] {
  return pythonJson<([number, number] | null)[]>(
    `
import json, sys, warnings
from astropy.io import fits
from astropy.wcs import WCS
warnings.simplefilter('ignore')
out = []
for path, row, col in json.loads(sys.argv[1]):
    w = WCS(fits.getheader(path))
    if not w.has_celestial:
        out.append(None)
        continue
    ra, dec = w.celestial.wcs_pix2world([[col, row]], 0)[0]
    out.append([float(ra), float(dec)])
print(json.dumps(out))
`,
    JSON.stringify(queries),
  );
}
