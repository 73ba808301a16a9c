import { fileURLToPath } from 'node:url';
import { defaultServerConditions } from 'vite';
import { configDefaults, defineConfig } from 'vitest/config';

/**
 * The package.json `imports` condition that maps `#model-platform` to the TypeScript sources
 * instead of `dist/` (see docs/architecture.md). Processes the tests start through tsx find the
 * same mapping in tsconfig.json's `paths`, wherever their working directory is.
 */
const SOURCE_CONDITION = 'alma-source';
process.env.TSX_TSCONFIG_PATH = fileURLToPath(new URL('./tsconfig.json', import.meta.url));

/**
 * Tests that run the whole thing or run long: they spawn the CLI or other processes, serve the
 * archive over HTTP to a child, open a browser, train models for seconds, compare with Python
 * peers, or fuzz thousands of files. `npx vitest run --project unit` leaves them out; `npm test`
 * runs both tiers. A new test file is a unit test unless it is listed here.
 */
const E2E = [
  'test/archive-cli.test.ts',
  'test/archive-download-fuzz.test.ts',
  'test/browser-engine.test.ts',
  'test/browser-example.test.ts',
  'test/browser-report.test.ts',
  'test/browser-review.test.ts',
  'test/bundle-node.test.ts',
  'test/cli-bad-input.test.ts',
  'test/cli-inspect.test.ts',
  'test/cli-pipeline.test.ts',
  'test/cube-plane-collapse.test.ts',
  'test/dataset-build.test.ts',
  'test/dataset-labels.test.ts',
  'test/dataset-persist.test.ts',
  'test/dataset-prepare-cli.test.ts',
  'test/dataset-synthesize.test.ts',
  'test/dataset-windows.test.ts',
  'test/examples.test.ts',
  'test/fits-fuzz.test.ts',
  'test/fits-gzip.test.ts',
  'test/fits-region.test.ts',
  'test/fits-special-files.test.ts',
  'test/fits-tiled.test.ts',
  'test/fits-write.test.ts',
  'test/model-engine-relaxed.test.ts',
  'test/model-engine.test.ts',
  'test/model-saliency.test.ts',
  'test/model-uncertainty.test.ts',
  'test/model.test.ts',
  'test/npy.test.ts',
  'test/parsers-fuzz.test.ts',
  'test/pipeline-catalogue.test.ts',
  'test/pipeline-train-flow.test.ts',
  'test/pipeline.test.ts',
  'test/report-catalogue.test.ts',
  'test/report-sky.test.ts',
  'test/review-retrain.test.ts',
  'test/scale-journal.test.ts',
  'test/scale.test.ts',
  'test/second-generator.test.ts',
  'test/slurm.test.ts',
  'test/wcs-cutout.test.ts',
];

export default defineConfig({
  ssr: { resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] } },
  resolve: { conditions: [SOURCE_CONDITION, ...defaultServerConditions] },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, ...E2E],
        },
      },
      {
        extends: true,
        test: { name: 'e2e', include: E2E },
      },
    ],
  },
});
