#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { AlmaClassifierError, systemErrorText } from '../core/errors.js';
import { VERSION } from '../core/version.js';
import { useFastBackend } from '../model/backend.js';
import type { RegisterCommand } from './commands/types.js';
import { register as inspect } from './commands/inspect.js';
import { register as search } from './commands/search.js';
import { register as files } from './commands/files.js';
import { register as download } from './commands/download.js';
import { register as prepare } from './commands/prepare.js';
import { register as train } from './commands/train.js';
import { register as evaluate } from './commands/evaluate.js';
import { register as classify } from './commands/classify.js';
import { register as classifyArchive } from './commands/classify-archive.js';
import { register as report } from './commands/report.js';
import { register as review } from './commands/review.js';
import { register as retrain } from './commands/retrain.js';
import { register as demo } from './commands/demo.js';

/** Commands that create, train or score models. */
const MODEL_COMMANDS = new Set([
  'train',
  'evaluate',
  'classify',
  'classify-archive',
  'review',
  'retrain',
  'demo',
]);

const commands: RegisterCommand[] = [
  inspect,
  search,
  files,
  download,
  prepare,
  train,
  evaluate,
  classify,
  classifyArchive,
  report,
  review,
  retrain,
  demo,
];

/**
 * Build the `alma-classifier` program with every command registered. Exposed for tests and for
 * the generated CLI reference.
 */
export function buildProgram(): Command {
  const program = new Command('alma-classifier')
    .description('Find rare phenomena in the ALMA Science Archive with a convolutional network.')
    .version(VERSION)
    .showHelpAfterError()
    .configureHelp({ helpWidth: 100 })
    .exitOverride();
  for (const register of commands) register(program);
  // The CLI owns its process, so unlike the library it may choose TensorFlow.js's backend for
  // all of it: the fastest available, for what the training engine does not run.
  program.hook('preAction', async (_program, action) => {
    if (MODEL_COMMANDS.has(action.name())) await useFastBackend();
  });
  return program;
}

/**
 * Run the CLI with `argv` (as `process.argv`). Errors of this library print their message (no
 * stack trace) and set exit code 1, as do failed file operations (the path and the system's
 * reason); usage errors print commander's message and exit 2.
 */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    if (
      err instanceof AlmaClassifierError ||
      err instanceof RangeError ||
      err instanceof TypeError
    ) {
      process.stderr.write(`alma-classifier: ${err.message}\n`);
      return 1;
    }
    const code = (err as { code?: unknown } | null)?.code;
    const path = (err as { path?: unknown } | null)?.path;
    if (typeof code === 'string' && /^E[A-Z]+$/.test(code) && typeof path === 'string') {
      // A file the command could not read or write (an unwritable --out, a file in the way of
      // a folder): the path and what the system said, not an "unexpected error".
      process.stderr.write(`alma-classifier: ${path}: ${systemErrorText(err)}\n`);
      return 1;
    }
    const message = err instanceof Error ? err.message : String(err);
    // A message of any length would flood the terminal (a huge value quoted back).
    const short = message.length > 500 ? `${message.slice(0, 500)}...` : message;
    process.stderr.write(`alma-classifier: unexpected error: ${short}\n`);
    return 1;
  }
}

const invokedDirectly =
  process.argv[1] !== undefined &&
  /(?:^|[\\/])(?:main\.(?:js|ts)|alma-classifier)$/.test(process.argv[1]);
if (invokedDirectly) {
  main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
