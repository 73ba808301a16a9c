// Bundle the browser example: examples/browser/main.ts -> examples/browser/dist/app.js, with
// TensorFlow.js's WASM binaries beside it. Run: npx tsx examples/browser/build.ts
import { build } from 'esbuild';
import { copyFile, mkdir, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Build the example (or another page's script, `entry`) into `outDir` (default
 * `examples/browser/dist`) as `app.js` beside the WASM binaries, and return its path.
 */
export async function buildBrowserExample(
  outDir = join(here, 'dist'),
  entry = join(here, 'main.ts'),
): Promise<string> {
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    outfile: join(outDir, 'app.js'),
    logLevel: 'warning',
    // From the sources, `#model-platform` is the browser's platform.ts under this condition;
    // tsconfig.json's `paths` (which point tsx at the Node one) are left out.
    conditions: ['alma-source'],
    tsconfigRaw: {},
  });
  const require = createRequire(import.meta.url);
  const wasmDir = dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  for (const name of await readdir(join(wasmDir, 'dist'))) {
    if (name.endsWith('.wasm')) await copyFile(join(wasmDir, 'dist', name), join(outDir, name));
  }
  return outDir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`built ${await buildBrowserExample()}`);
}
