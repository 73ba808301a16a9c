/**
 * TensorFlow.js backends. The library's own functions never choose one: they run on the backend
 * the host application has (TensorFlow.js's default unless the host set another), and leave the
 * process's backend and registered kernels as they found them. The heavy work does not depend on
 * it: training, prediction, Monte Carlo dropout, saliency and test-time augmentation run in the
 * library's WebAssembly engine for every model it accepts; TensorFlow.js holds the weights and
 * runs the models the engine declines.
 *
 * {@link useFastBackend} is for applications that own their process (this package's CLI, the
 * examples, benchmarks): it switches the whole process to the fastest backend available, which
 * helps the TensorFlow.js fallback. An embedding application calls it only if it wants that.
 *
 * Browser-safe: the Node-only steps (importing tfjs-node, locating the `.wasm` files on disk)
 * come from `#model-platform`.
 */
import * as tf from '@tensorflow/tfjs';
import { modelPlatform } from '#model-platform';

/** Backends {@link useFastBackend} can choose. */
export type BackendName = 'tensorflow' | 'wasm' | 'cpu';

/** Options of {@link useFastBackend}. */
export interface BackendOptions {
  /**
   * Backends to try, in order. Default {@link DEFAULT_BACKEND_OPTIONS}: `tensorflow` (needs the
   * optional `@tensorflow/tfjs-node`), `wasm`, `cpu`.
   */
  prefer: BackendName[];
  /**
   * Where the WASM backend fetches its `.wasm` binaries: a URL prefix ending in `/`. Default: in
   * Node the files inside the installed `@tensorflow/tfjs-backend-wasm`; in a browser the
   * backend's own default (next to the bundled script), unless set here.
   */
  wasmPaths?: string;
  /** Warn on the console when falling back to the slow `cpu` backend. Default `true`. */
  warn: boolean;
}

/** Defaults of {@link BackendOptions}. */
export const DEFAULT_BACKEND_OPTIONS: BackendOptions = {
  prefer: ['tensorflow', 'wasm', 'cpu'],
  warn: true,
};

let pending: Promise<string> | undefined;
let pendingKey = '';
let warned = false;

async function tryBackend(name: BackendName, opts: BackendOptions): Promise<boolean> {
  if (name === 'tensorflow') {
    if (modelPlatform.loadNative === undefined || !(await modelPlatform.loadNative())) return false;
    return tf.setBackend('tensorflow');
  }
  if (name === 'wasm') {
    try {
      // Imported here, not at load: the package registers the `wasm` backend as it loads, which
      // would change the default backend of every application that merely imports this library.
      const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
      const prefix = opts.wasmPaths ?? modelPlatform.wasmPrefix?.();
      if (prefix !== undefined && tf.findBackend('wasm') === null) setWasmPaths(prefix);
      return await tf.setBackend('wasm');
    } catch {
      return false;
    }
  }
  return tf.setBackend('cpu');
}

async function select(opts: BackendOptions): Promise<string> {
  for (const name of opts.prefer) {
    if (await tryBackend(name, opts)) {
      await tf.ready();
      if (name === 'cpu' && opts.warn && !warned && opts.prefer[0] !== 'cpu') {
        warned = true;
        console.warn(
          'alma-classifier: using the pure-JavaScript "cpu" backend of TensorFlow.js; models the ' +
            'training engine declines will train orders of magnitude slower than with "wasm" or ' +
            '"tensorflow" (@tensorflow/tfjs-node)',
        );
      }
      return tf.getBackend();
    }
  }
  return tf.getBackend();
}

/**
 * Switches the process's TensorFlow.js to the fastest backend available and returns its name
 * (`tensorflow`, `wasm` or `cpu`). This changes the backend for every model in the process, so
 * the library never calls it on its own: applications that own their process call it once at
 * start. Idempotent: later calls with the same options return the first call's result; calls
 * with other options select again.
 *
 * @example
 * ```ts
 * const name = await useFastBackend(); // 'wasm' unless @tensorflow/tfjs-node is installed
 * ```
 */
export function useFastBackend(options: Partial<BackendOptions> = {}): Promise<string> {
  const opts: BackendOptions = { ...DEFAULT_BACKEND_OPTIONS, ...options };
  const key = JSON.stringify(opts);
  if (pending === undefined || key !== pendingKey) {
    pendingKey = key;
    pending = select(opts);
  }
  return pending;
}

/**
 * The backend the library's functions run on: whatever the host has, initialised if it was not
 * yet (TensorFlow.js's own default choice). Never changes the backend.
 */
export async function currentBackend(): Promise<string> {
  await tf.ready();
  return tf.getBackend();
}
