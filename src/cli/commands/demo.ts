import type { Command } from 'commander';
import { runDemo } from '../../pipeline/demo.node.js';
import { createProgressBar, type ProgressBar } from '../progress.js';
import { parseInteger } from '../options.js';

/** Registers `demo`: the whole pipeline on bundled data, offline. */
export function register(program: Command): void {
  program
    .command('demo')
    .description(
      'Run the whole pipeline offline on bundled data: real ALMA images + synthetic disks with and ' +
        'without winds → dataset → train → evaluate → classify held-out files → HTML report.',
    )
    .option('--out <dir>', 'output folder (each step resumes from it)', 'demo-output')
    .option('--epochs <n>', 'training epochs', parseInteger, 4)
    .option('--seed <n>', 'seed of data, split and training', parseInteger, 1)
    .option('--fresh', 'redo every step even when its output exists', false)
    .action(async (o: { out: string; epochs: number; seed: number; fresh: boolean }) => {
      const started = Date.now();
      let bar: ProgressBar | undefined;
      let step = '';
      const result = await runDemo({
        out: o.out,
        epochs: o.epochs,
        seed: o.seed,
        fresh: o.fresh,
        log: (line) => {
          bar?.stop();
          bar = undefined;
          step = '';
          console.log(line);
        },
        onProgress: (name, done, total) => {
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
