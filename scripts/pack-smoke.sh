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
npx --no-install alma-classifier inspect small.fits --json | head -c 200
echo
npx --no-install alma-classifier --version
# The demo's real images ship with the package.
test "$(ls node_modules/alma-classifier/data/*.fits | wc -l)" -eq 3
echo "pack smoke test passed"
