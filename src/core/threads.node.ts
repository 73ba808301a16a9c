/**
 * Worker threads that run one of this package's modules, from the built JavaScript or, in tests
 * and benchmarks that run the TypeScript sources through tsx, from the `.ts` file itself.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread running the module `name` (without extension) that sits beside the
 * module whose `import.meta.url` is `here`. From TypeScript sources the thread registers tsx
 * before importing it.
 */
export function spawnModuleWorker(here: string, name: string): Worker {
  if (here.endsWith('.ts')) {
    // require.resolve yields tsx's CommonJS build; its ESM twin sits beside it.
    const tsx = pathToFileURL(
      createRequire(here)
        .resolve('tsx/esm/api')
        .replace(/\.cjs$/, '.mjs'),
    ).href;
    const entry = new URL(`./${name}.ts`, here).href;
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(boot, { eval: true });
  }
  return new Worker(new URL(`./${name}.js`, here));
}
