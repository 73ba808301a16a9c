/**
 * Where `alma-classifier review` gets the page's retraining script (Node): the bundle built
 * with the package (`dist/review-app.js`), or, in a source checkout without one, a bundle made
 * on the spot with esbuild (a development dependency) and cached.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
/** The package root: two levels above `dist/pipeline` or `src/pipeline`. */
const root = resolve(here, '..', '..');
/** File name of the bundle inside `dist/`. */
export const REVIEW_APP_FILE = 'review-app.js';

/**
 * Bundle the review page's retraining script with esbuild (an IIFE with TensorFlow.js, the
 * training engine and the review code, no imports left), into `out` (default
 * `dist/review-app.js` of the package). Needs esbuild, a development dependency.
 *
 * @param out - the file to write
 * @returns the file written
 */
export async function buildReviewApp(out = join(root, 'dist', REVIEW_APP_FILE)): Promise<string> {
  const entry = [join(here, 'review-app.entry.ts'), join(here, 'review-app.entry.js')].find((p) =>
    existsSync(p),
  );
  if (entry === undefined) throw new Error(`no review-app entry beside ${here}`);
  const esbuild = (await import('esbuild')) as typeof import('esbuild');
  await mkdir(dirname(out), { recursive: true });
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    legalComments: 'none',
    outfile: out,
    logLevel: 'warning',
    // From the sources, `#model-platform` is the browser's platform.ts under this condition;
    // tsconfig.json's `paths` (which point tsx at the Node one) are left out.
    conditions: ['alma-source'],
    tsconfigRaw: {},
  });
  return out;
}

/**
 * The review page's retraining script: `dist/review-app.js` of the installed package; in a
 * source checkout (run through tsx), a bundle made now from the sources into the temporary
 * folder, so the page always runs the code beside it. Resolves `undefined` when neither works
 * (no bundle and no esbuild): the page then decides and exports without retraining.
 */
export async function reviewAppScript(): Promise<string | undefined> {
  const built = join(root, 'dist', REVIEW_APP_FILE);
  const fromSource = existsSync(join(here, 'review-app.entry.ts'));
  if (!fromSource) return existsSync(built) ? readFile(built, 'utf8') : undefined;
  const dir = await mkdtemp(join(tmpdir(), 'alma-review-app-'));
  try {
    return await readFile(await buildReviewApp(join(dir, REVIEW_APP_FILE)), 'utf8');
  } catch {
    return existsSync(built) ? readFile(built, 'utf8') : undefined;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
