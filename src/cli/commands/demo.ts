import type { Command } from 'commander';
import { DEMO_EPOCHS, DEMO_SOURCES, runDemo } from '../../pipeline/demo.node.js';
import { createProgressBar, type ProgressBar } from '../progress.js';
import { numberOption } from '../options.js';

interface DemoFlags {
  out: string;
  epochs?: number;
  sources: number;
  seed: number;
  fresh: boolean;
  archive: boolean;
  mirror: string;
  limit: number;
}

/** Registers `demo`: the whole pipeline on bundled data, offline. */
export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the whole pipeline offline on bundled data: three real ALMA images + domain-randomised ' +
        'synthetic scenes (disks with and without winds, hard negatives) → dataset split by source ' +
        'into train/validation/test → train with early stopping → calibrate and threshold on ' +
        'validation → evaluate per source beside a model-free baseline → score the real images ' +
        'apart → classify held-out files → HTML report.',
    )
    .option('--out <dir>', 'output folder (each step resumes from it)', 'demo-output')
    .addOption(
      numberOption('--epochs <n>', `most training epochs (default: ${DEMO_EPOCHS})`, {
        integer: true,
        min: 1,
      }),
    )
    .addOption(
      numberOption(
        '--sources <n>',
        'synthetic sources (independent scenes, half with a wind)',
        { integer: true, min: 10 },
        DEMO_SOURCES,
      ),
    )
    .addOption(numberOption('--seed <n>', 'seed of data, split and training', { integer: true }, 1))
    .option('--fresh', 'redo every step even when its output exists', false)
    .option(
      '--archive',
      "classify products of a live archive query (the thesis's keywords and filters) instead of the held-out files; needs network",
      false,
    )
    .option(
      '--mirror <name|url>',
      'archive mirror for --archive: ESO, NRAO, NAOJ or a base URL',
      'ESO',
    )
    .addOption(
      numberOption(
        '--limit <n>',
        'products sampled from the query for --archive',
        { integer: true, min: 1 },
        20,
      ),
    )
    .action(async (o: DemoFlags) => {
      const started = Date.now();
      let bar: ProgressBar | undefined;
      let step = '';
      const result = await runDemo({
        out: o.out,
        ...(o.epochs !== undefined ? { epochs: o.epochs } : {}),
        syntheticSources: o.sources,
        seed: o.seed,
        fresh: o.fresh,
        ...(o.archive ? { archive: { mirror: o.mirror, limit: o.limit } } : {}),
        log: (line) => {
          bar?.stop();
          bar = undefined;
          step = '';
          console.log(line);
        },
        onProgress: ({ step: name, done, total }) => {
          if (name !== step) {
            bar?.stop();
            bar = createProgressBar({ unit: name === 'epoch' ? 'epochs' : 'files' });
            step = name;
          }
          bar?.update({ done, total });
          if (done === total) {
            bar?.stop();
            bar = undefined;
            step = '';
          }
        },
      });
      bar?.stop();
      console.log(`\nreport: ${result.reportPath}`);
      console.log(`done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
    });
}
