// Compare test-time augmentation sets on demo outputs (docs/model.md, "Test-time augmentation"):
// for each demo folder, score its validation and test sources one pass at a time, averaged over
// the four axis flips, and averaged over all eight flips and 90° rotations; fit the temperature
// and the threshold on the validation sources for each (as training does), then print the test
// sources' ROC AUC and F1 at that threshold, and the calibrated scores of B335 (each flip) and
// Serpens South C7 with that set.
//
//   npx tsx scripts/compare-tta.ts demo-output [more demo folders]
//
// The models are scored as they are: the set compared here changes the scoring, not the weights.
import { join } from 'node:path';
import { subsetDataset, type Dataset } from '../src/dataset/dataset.js';
import { preprocessFile } from '../src/dataset/files.node.js';
import { loadDataset } from '../src/dataset/persist.node.js';
import { resolveSavedProfile } from '../src/dataset/profile.js';
import { applyTemperature, fitTemperature } from '../src/model/calibration.js';
import { loadModel } from '../src/model/io.node.js';
import { chooseThreshold } from '../src/model/metrics.js';
import { sourceScores } from '../src/model/source-metrics.js';
import { predictTTA, ttaTransforms, type TestTimeAugmentation } from '../src/model/tta.js';
import { sourceEvaluationFromScores } from '../src/pipeline/evaluation.js';

const REAL = ['data/b335_2017_band6_0.fits', 'data/serpenssouthc7_2019_band6_0.fits'];
const SETS: readonly TestTimeAugmentation[] = ['none', 'flips', 'dihedral'];
const f3 = (v: number): string => v.toFixed(3);

for (const dir of process.argv.slice(2)) {
  const loaded = await loadModel(join(dir, 'model'));
  const profile = resolveSavedProfile(loaded.meta.profile);
  const ds = await loadDataset(join(dir, 'dataset'));
  const part = (name: string): Dataset =>
    subsetDataset(
      ds,
      ds.samples.flatMap((s, i) => (s.split === name ? [i] : [])),
    );
  const val = part('validation');
  const test = part('test');
  const S = profile.preprocess.inputSize;
  const real = await Promise.all(
    REAL.map(async (file) => {
      const { input } = await preprocessFile(file, profile);
      const px = new Float32Array(S * S);
      for (let r = 0; r < S; r++) for (let c = 0; c < S; c++) px[r * S + c] = input.get(r, c);
      return px;
    }),
  );
  for (const tta of SETS) {
    const transforms = ttaTransforms(tta);
    const vs = await predictTTA(loaded.model, val, { transforms });
    const per = sourceScores(vs, val.samples, { labels: val.labels });
    const temperature = fitTemperature(per.scores, per.labels).temperature;
    const threshold = chooseThreshold(
      applyTemperature(per.scores, temperature),
      per.labels,
    ).threshold;
    const ts = await predictTTA(loaded.model, test, { transforms });
    const e = sourceEvaluationFromScores(ts, test, { threshold, temperature, resamples: 0 });
    // B335's four flips: with flips averaged they are one score; the one-pass scores show
    // how far apart the network alone puts them.
    const flips = await predictTTA(loaded.model, real[0], {
      transforms: ['identity', 'flipLR', 'flipUD', 'rot180'],
      all: true,
    });
    const b335 =
      tta === 'none'
        ? Array.from(applyTemperature(flips, temperature), f3).join(' ')
        : f3(
            applyTemperature(
              await predictTTA(loaded.model, real[0], { transforms }),
              temperature,
            )[0],
          );
    const serpens = applyTemperature(
      await predictTTA(loaded.model, real[1], { transforms }),
      temperature,
    )[0];
    console.log(
      `${dir} ${tta.padEnd(8)} T ${f3(temperature)} threshold ${f3(threshold)} | test ROC AUC ${e.metrics.rocAuc.toFixed(4)} F1 ${f3(e.metrics.f1)} | B335 ${b335} | Serpens South C7 ${f3(serpens)}`,
    );
  }
}
