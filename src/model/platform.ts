/**
 * What the model module takes from its platform, and the browser's (and any non-Node runtime's)
 * answer: no worker threads, no native TensorFlow, the WebAssembly binaries where the page
 * serves them. Modules import it as `#model-platform`; package.json's `imports` map that name to
 * `platform.node.ts` under the `node` condition, so a bundler that drops modules imported only
 * for their effects (`"sideEffects": false`) still keeps the Node parts: they arrive as values.
 */
import type { EngineTeamFactory, ScoringPoolFactory } from './engine/engine.js';

/** The platform-specific parts of the model module. */
export interface ModelPlatform {
  /** Starts the training engine's worker threads; absent where there are none (browsers). */
  readonly startEngineTeam?: EngineTeamFactory;
  /** Starts worker threads that score on private engine copies; absent where there are none. */
  readonly startScoringPool?: ScoringPoolFactory;
  /** Threads the engine may use: the CPU cores in Node, 1 elsewhere. */
  readonly cores: number;
  /** Makes TensorFlow's native `tensorflow` backend available; resolves `false` without it. */
  readonly loadNative?: () => Promise<boolean>;
  /** Default URL or path prefix of the directory holding `tfjs-backend-wasm*.wasm`. */
  readonly wasmPrefix?: () => string | undefined;
}

/** The browser's platform: the calling thread alone. */
export const modelPlatform: ModelPlatform = { cores: 1 };
