/**
 * The Node side of the model module, reached as `#model-platform` under the `node` condition
 * (see `platform.ts`): the training engine's worker threads, the optional native backend, and
 * the location of the WebAssembly binaries on disk.
 */
import { availableParallelism } from 'node:os';
import { loadNative, wasmBinaryDirectory } from './backend.node.js';
import { startEngineTeam, startScoringPool } from './engine/team.node.js';
import type { ModelPlatform } from './platform.js';

/** Node's platform: one engine thread per CPU core. */
export const modelPlatform: ModelPlatform = {
  startEngineTeam,
  startScoringPool,
  cores: availableParallelism(),
  loadNative,
  wasmPrefix: wasmBinaryDirectory,
};
