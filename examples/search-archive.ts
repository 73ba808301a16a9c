/**
 * The original thesis's archive query: outflow/jet observations released since 2016 at better
 * than 0.4", their primary-beam-corrected continuum FITS images, and what downloading a
 * reproducible sample of 500 files under 30 MB would take (dry run).
 *
 *   npx tsx examples/search-archive.ts [ESO|NRAO|NAOJ|base URL]
 */
import {
  AlmaArchive,
  explainFilters,
  isConnectionFailure,
  summarizeObservations,
} from '../src/index.node.js';

const MIRROR_HINT = 'ESO, NRAO, NAOJ or a base URL as the first argument';

async function main(): Promise<void> {
  const mirror = process.argv[2] ?? 'ESO';
  const alma = new AlmaArchive({
    mirror,
    timeoutMs: 120_000,
    onEvent: (e) => {
      if (e.type === 'mirror-switch') console.warn(`mirror ${e.from} failed; using ${e.to}`);
      if (e.type === 'warning') console.warn(`warning: ${e.message}`);
    },
  });

  const found = await alma.search({
    scienceKeyword: [
      'Outflows, jets and ionized winds',
      'Low-mass star formation',
      'Disks around low-mass stars',
    ],
    releasedAfter: '2016-01-01',
    maxResolutionArcsec: 0.4,
  });
  const s = summarizeObservations(found.observations);
  console.log(
    `${found.returned} rows from ${found.mirror}; ${s.projects} projects, ${s.observations} observations, ${s.targets} targets`,
  );
  for (const v of found.perValue)
    console.log(`  ${v.value}: ${v.returned} returned, ${v.kept} kept`);

  const files = await alma.dataProducts(found.observations.slice(0, 20));
  console.log(
    `${files.products.length} FITS files (.pbcor, _sci, .cont) from the first 20 observations`,
  );
  if (files.products.length === 0) console.log(`why: ${explainFilters(files.filtered)}`);

  const plan = await alma.download(files.products, {
    dir: 'data',
    dryRun: true,
    sample: { n: 500, seed: 1 },
    maxBytes: 30e6,
  });
  console.log(`would download ${plan.planned} files, ${plan.plannedSize}`);
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
