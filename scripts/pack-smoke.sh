#!/usr/bin/env bash
# Installs the package from its npm tarball into an empty project and uses it there: the library
# (FITS, image ops, a model on the WASM backend resolved from the installed package) and the CLI.
# Proves the published package works outside this repository. Run after `npm run build`.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
tarball="$(cd "$repo" && npm pack --silent --pack-destination "$work" | tail -n 1)"
mkdir -p "$work/app"
cd "$work/app"
npm init -y >/dev/null
npm pkg set type=module >/dev/null
npm install --no-audit --no-fund --silent "$work/$tarball"
cp "$repo/test/fixtures/fits/member.uid___A001_X12a2_X10d._COS850.0005__sci.spw5_7_9_11.cont.I.pbcor.fits" small.fits
cat > check.mjs <<'JS'
import { readFitsFile, requireImage, cropAroundMax, createModel, describeTrainer, predict, trainModel, useFastBackend, VERSION } from 'alma-classifier';
const fits = await readFitsFile('small.fits');
const { image } = cropAroundMax(requireImage(fits), { size: 100 });
const backend = await useFastBackend();
const model = await createModel();
const input = new Float32Array(100 * 100);
image.data.forEach((v, i) => (input[i] = Number.isFinite(v) ? v : 0));
const [score] = await predict(model, input);
if (!(score >= 0 && score <= 1)) throw new Error(`bad score ${score}`);
// Training with two threads loads the engine's worker script from the installed package's dist/.
const n = 64;
const images = new Float32Array(n * 100 * 100).map((_, i) => ((i * 7919) % 101) / 101);
const labels = Int32Array.from({ length: n }, (_, i) => i % 2);
const history = await trainModel(model, { images, shape: [n, 100, 100, 1], labels }, { epochs: 1, batchSize: 32, threads: 2 });
if (history.engineThreads !== 2) throw new Error(`trained without the engine's two threads: ${describeTrainer(history)}`);
console.log(`alma-classifier ${VERSION} from the tarball: backend ${backend}, score ${score.toFixed(3)}, ${describeTrainer(history)} at ${history.imagesPerSecond.toFixed(1)} images/s`);
JS
node check.mjs
# Every subpath resolves in Node (the node condition) and, with the browser condition, to its
# browser-safe entry; each exports its module's names and none of the internals.
cat > subpaths.mjs <<'JS'
const checks = {
  fits: ['readFits', 'FitsHeader', 'FitsError'],
  wcs: ['parseWcs', 'pixelToWorld', 'WcsError'],
  image: ['cropAroundMax', 'resize', 'createImage2D'],
  archive: ['AlmaArchive', 'parseVOTable', 'ArchiveError'],
  dataset: ['buildPositiveSet', 'resolveProfile', 'DatasetError'],
  model: ['createModel', 'predict', 'trainModel', 'ModelError'],
  report: ['renderPng', 'buildReportHtml'],
  pipeline: ['classifyImages', 'trainAndCalibrate', 'PipelineError'],
};
const browser = process.execArgv.includes('--conditions=browser');
const nodeOnly = { fits: 'readFitsFile', archive: 'downloadProducts', dataset: 'loadDataset', model: 'saveModel', report: 'writeReport', pipeline: 'classifyArchive' };
const internals = ['registerTrainingKernels', 'TRAINING_KERNELS', 'FusedAdamOptimizer', 'makeOptimizer', 'fileSystemHandler', 'formatBytes', 'safeFileName', 'JsonLinesWriter', 'writeTextAtomic', 'escapeHtml', 'reviewAppScript'];
const counts = [];
for (const [sub, wanted] of Object.entries(checks)) {
  const mod = await import(`alma-classifier/${sub}`);
  for (const name of wanted) if (!(name in mod)) throw new Error(`alma-classifier/${sub} lacks ${name}`);
  if (nodeOnly[sub] && (nodeOnly[sub] in mod) === browser)
    throw new Error(`alma-classifier/${sub} under ${browser ? 'browser' : 'node'}: ${nodeOnly[sub]} ${browser ? 'present' : 'missing'}`);
  for (const name of internals) if (name in mod) throw new Error(`alma-classifier/${sub} exports ${name}`);
  counts.push(`${sub} ${Object.keys(mod).length}`);
}
const root = await import('alma-classifier');
for (const name of internals) if (name in root) throw new Error(`alma-classifier exports ${name}`);
console.log(`subpaths (${browser ? 'browser' : 'node'} condition), values: ${counts.join(', ')}`);
JS
node subpaths.mjs
node --conditions=browser subpaths.mjs
# The types resolve too: a strict TypeScript file importing every subpath compiles against the
# installed package's .d.ts (the repository's own tsc, NodeNext resolution).
cat > types.mts <<'TS'
import { readFits, type FitsFile } from 'alma-classifier/fits';
import { parseWcs, type Wcs } from 'alma-classifier/wcs';
import { cropAroundMax, type Image2D } from 'alma-classifier/image';
import { AlmaArchive, type DataProduct, type DownloadProgress } from 'alma-classifier/archive';
import { resolveProfile, type Dataset } from 'alma-classifier/dataset';
import { createModel, type ModelConfig } from 'alma-classifier/model';
import { renderPng, type RenderOptions } from 'alma-classifier/report';
import { classifyImages, type Candidate, type Progress } from 'alma-classifier/pipeline';
import { readFitsFile } from 'alma-classifier';
export const used: unknown[] = [readFits, parseWcs, cropAroundMax, AlmaArchive, resolveProfile, createModel, renderPng, classifyImages, readFitsFile];
export type Used = [FitsFile, Wcs, Image2D, DataProduct, DownloadProgress, Dataset, ModelConfig, RenderOptions, Candidate, Progress];
TS
"$repo/node_modules/.bin/tsc" --noEmit --strict --skipLibCheck --module nodenext --moduleResolution nodenext --target es2022 --types node --typeRoots "$repo/node_modules/@types" types.mts
echo "subpath types resolve"
npx --no-install alma-classifier inspect small.fits --json | head -c 200
echo
npx --no-install alma-classifier --version
# The demo's real images ship with the package.
test "$(ls node_modules/alma-classifier/data/*.fits | wc -l)" -eq 3
# A tiny demo from the installed package: its scene worker and the engine's threads load from
# the tarball's files.
npx --no-install alma-classifier demo --sources 40 --epochs 1 --out tiny-demo > demo.log
test "$(ls tiny-demo/data/synthetic/positive/*.fits | wc -l)" -eq 20
grep -q "demo scene 39 (seed 1)" tiny-demo/data/synthetic/positive/scene-0039.fits
echo "tiny demo ran from the tarball"
echo "pack smoke test passed"
