/**
 * Node side of backend selection: the optional native `@tensorflow/tfjs-node`, and the `.wasm`
 * binaries of `@tensorflow/tfjs-backend-wasm` located through Node's module resolution (so it
 * works wherever npm put the package, including inside another project's node_modules).
 */
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';

const require = createRequire(import.meta.url);

/**
 * Directory (with a trailing separator) holding `tfjs-backend-wasm*.wasm`, or `undefined` when
 * the package cannot be resolved.
 */
export function wasmBinaryDirectory(): string | undefined {
  try {
    const pkg = require.resolve('@tensorflow/tfjs-backend-wasm/package.json');
    return join(dirname(pkg), 'dist') + sep;
  } catch {
    return undefined;
  }
}

/** Imports `@tensorflow/tfjs-node` when the user installed it; `false` when it is absent. */
export async function loadNative(): Promise<boolean> {
  // A variable specifier keeps bundlers and the type checker from requiring the package.
  const name = '@tensorflow/tfjs-node';
  try {
    await import(name);
    return true;
  } catch {
    return false;
  }
}
