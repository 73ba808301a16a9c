/**
 * Backend selection. The first call of {@link useFastBackend} (which `createModel`, `trainModel`,
 * `evaluateModel`, `predict` and `loadModel` await for you) picks, in order: TensorFlow's native
 * `tensorflow` backend when `@tensorflow/tfjs-node` is installed (Node only), the `wasm` backend
 * with this library's training kernels, and last the pure-JavaScript `cpu` backend, with a
 * one-time warning naming it.
 *
 * Browser-safe: the Node-only steps (importing tfjs-node, locating the `.wasm` files on disk)
 * are supplied by `backend.node.ts` through {@link setPlatformBackendHooks}.
 */
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { registerTrainingKernels } from './kernels.js';

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

/**
 * Platform-specific steps a Node entry point installs (the browser build has none): loading
 * tfjs-node, and the default location of the WASM binaries.
 */
export interface PlatformBackendHooks {
  /** Makes the `tensorflow` backend available; resolves `false` when tfjs-node is absent. */
  loadNative?: () => Promise<boolean>;
  /** URL or path prefix of the directory holding `tfjs-backend-wasm*.wasm`. */
  wasmPrefix?: () => string | undefined;
}

let hooks: PlatformBackendHooks = {};
let pending: Promise<string> | undefined;
let pendingKey = '';
let warned = false;

/** Installs the platform hooks (called by the Node entry point when it loads). */
export function setPlatformBackendHooks(h: PlatformBackendHooks): void {
  hooks = { ...hooks, ...h };
}

async function tryBackend(name: BackendName, opts: BackendOptions): Promise<boolean> {
  if (name === 'tensorflow') {
    if (hooks.loadNative === undefined || !(await hooks.loadNative())) return false;
    return tf.setBackend('tensorflow');
  }
  if (name === 'wasm') {
    const prefix = opts.wasmPaths ?? hooks.wasmPrefix?.();
    if (prefix !== undefined && tf.findBackend('wasm') === null) setWasmPaths(prefix);
    try {
      if (!(await tf.setBackend('wasm'))) return false;
    } catch {
      return false;
    }
    registerTrainingKernels('wasm');
    return true;
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
          'alma-classifier: using the pure-JavaScript "cpu" backend of TensorFlow.js; training ' +
            'will be orders of magnitude slower than with "wasm" or "tensorflow" (@tensorflow/tfjs-node)',
        );
      }
      return tf.getBackend();
    }
  }
  return tf.getBackend();
}

/**
 * Switches TensorFlow.js to the fastest backend available and returns its name (`tensorflow`,
 * `wasm` or `cpu`). Idempotent: later calls with the same options return the first call's
 * result; calls with other options select again.
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
 * The backend the library's functions run on: the one {@link useFastBackend} chose, selecting
 * with the defaults on first use.
 */
export async function ensureBackend(): Promise<string> {
  return pending ?? useFastBackend();
}
