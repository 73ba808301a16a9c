/**
 * A worker thread of the demo: it draws synthetic scenes and writes them as FITS files while the
 * calling thread draws others (`demo-scenes.node.ts`). It loads only the scene generator and the
 * FITS writer.
 */
import { parentPort } from 'node:worker_threads';
import { writeScene, type SceneTask } from './demo-scenes.node.js';
import type { SynthesizeSceneOptions } from '../dataset/synthesize-scene.js';

/** A batch of scenes to write. */
export interface SceneWorkerRequest {
  tasks: SceneTask[];
  options: SynthesizeSceneOptions;
  seed: number;
}

/** Scenes written so far (`done`), the end of the batch, or the error that stopped it. */
export type SceneWorkerReply =
  { type: 'progress'; done: number } | { type: 'done' } | { type: 'error'; message: string };

parentPort?.on('message', (req: SceneWorkerRequest) => {
  void (async () => {
    try {
      for (const task of req.tasks) {
        await writeScene(task, req.options, req.seed);
        parentPort?.postMessage({ type: 'progress', done: 1 } satisfies SceneWorkerReply);
      }
      parentPort?.postMessage({ type: 'done' } satisfies SceneWorkerReply);
    } catch (e) {
      parentPort?.postMessage({
        type: 'error',
        message: (e as Error).message,
      } satisfies SceneWorkerReply);
    }
  })();
});
