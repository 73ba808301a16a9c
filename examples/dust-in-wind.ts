// The thesis end to end, as a script: query the ALMA archive for protostellar outflows, download
// a reproducible sample of primary-beam-corrected continuum images, build a training set from
// the known positives (flips + geometric means) and the downloaded images as negatives, train the
// original CNN, and rank the downloaded images by score in an HTML report.
//
//   npx tsx examples/dust-in-wind.ts            # needs network access to an ALMA mirror
//
// Settings by environment: ALMA_MIRROR (ESO, NRAO, NAOJ or a base URL), SAMPLE (files, default
// 50), EPOCHS (default 30, the thesis's), POSITIVES (folder of known positives, default the
// bundled ones), OUT (default dust-in-wind-output). In your own project import from
// 'alma-classifier' instead of '../src/index.node.js'.
import { join } from 'node:path';
import {
  AlmaArchive,
  buildNegativeSetFromFiles,
  buildPositiveSetFromFiles,
  classify,
  concatDatasets,
  dustInWind,
  explainFilters,
  listFitsFiles,
  formatSourceEvaluation,
  resolveProfile,
  toReportData,
  trainFromDataset,
  writeReport,
  isConnectionFailure,
} from '../src/index.node.js';

const MIRROR_HINT = 'ALMA_MIRROR=ESO, NRAO, NAOJ or a base URL';

async function main(): Promise<void> {
  const env = process.env;
  const out = env.OUT ?? 'dust-in-wind-output';
  const positivesDir = env.POSITIVES ?? join(import.meta.dirname, '..', 'test', 'fixtures', 'fits');

  // 1. The thesis's query: keywords, release date, resolution; .pbcor/_sci/.cont FITS products.
  const archive = new AlmaArchive({ mirror: env.ALMA_MIRROR ?? 'ESO' });
  const found = await archive.search({
    scienceKeyword: ['Outflows, jets and ionized winds', 'Low-mass star formation'],
    releasedAfter: '2016-01-01',
    maxResolutionArcsec: 0.4,
  });
  for (const w of found.warnings) console.warn(w);
  console.log(`${found.observations.length} observations`);
  const files = await archive.dataProducts(found.observations);
  if (files.products.length === 0) throw new Error(explainFilters(files.filtered));

  // 2. A reproducible sample, files over 30 MB skipped before downloading (the original's limits).
  const downloaded = await archive.download(files.products, {
    dir: join(out, 'archive'),
    sample: { n: Number(env.SAMPLE ?? 50), seed: 1 },
    maxBytes: 30e6,
  });
  const negatives = downloaded.files
    .filter((f) => f.status !== 'failed' && f.status !== 'unauthorized')
    .map((f) => f.path);
  console.log(`${negatives.length} files downloaded to ${join(out, 'archive')}`);

  // 3. Dataset: known positives multiplied by flips and geometric means; archive images as negatives
  //    (almost all of the archive is negative for a rare phenomenon), with random linear transforms.
  const profile = resolveProfile({
    ...dustInWind,
    linear: { ...dustInWind.linear, factor: 4, classes: ['negative'] },
    train: { ...dustInWind.train, epochs: Number(env.EPOCHS ?? 30) },
  });
  const known = (await listFitsFiles(positivesDir)).filter((p) => !p.includes('COS850'));
  const dataset = concatDatasets([
    await buildNegativeSetFromFiles(negatives, profile, { onWarning: (m) => console.warn(m) }),
    await buildPositiveSetFromFiles(known, profile, { onWarning: (m) => console.warn(m) }),
  ]);

  // 4. Train (split by source file, so no test image leaks into training) and evaluate.
  const trained = await trainFromDataset(dataset, {
    profile,
    out: join(out, 'model'),
    onEpochEnd: (e) =>
      console.log(
        `epoch ${e.epoch + 1}/${e.epochs} loss ${e.loss.toFixed(4)} acc ${e.acc.toFixed(3)}`,
      ),
  });
  const e = trained.evaluation;
  if (e) console.log(`held out, per source: ${formatSourceEvaluation(e)}`);

  // 5. Rank every downloaded image (every object in it) and write the report.
  const candidates = await classify(trained.loaded, negatives, { keepInputs: true });
  const byOus = new Map(found.observations.map((o) => [o.memberOusUid, o]));
  const context = new Map(
    downloaded.files.map((f) => {
      const obs = byOus.get(f.product.memberOus);
      return [
        f.path,
        { memberOus: f.product.memberOus, target: obs?.sourceName, projectCode: obs?.projectCode },
      ];
    }),
  );
  const report = await writeReport(
    toReportData({
      title: 'Dust in winds: archive candidates',
      candidates,
      history: trained.history.epochs,
      ...(e ? { evaluation: e } : {}),
      profile,
      context,
    }),
    join(out, 'report'),
  );
  console.log(`report: ${report.index}`);
}

main().catch((err: unknown) => {
  // Offline, a firewall or a mirror down: say so in a sentence, not a stack trace.
  if (isConnectionFailure(err)) {
    console.error(
      `The ALMA archive cannot be reached: ${(err as Error).message}\n` +
        'Check the network connection, or choose another mirror (%s).',
      MIRROR_HINT,
    );
  } else {
    console.error(err instanceof Error ? err.message : String(err));
  }
  process.exitCode = 1;
});
