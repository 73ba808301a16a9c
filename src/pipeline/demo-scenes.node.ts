/**
 * The demo's synthetic scenes as FITS files, drawn on two threads: the calling thread and one
 * worker (`scene-worker.node.ts`) each take every other missing scene. Scene `i` comes from its
 * own generator, seeded from the `i`-th draw of the run's, so each file depends only on (seed,
 * index), whichever thread draws it and however many ran.
 */
import { availableParallelism } from 'node:os';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from '../core/atomic.node.js';
import type { Worker } from 'node:worker_threads';
import { PipelineError } from '../core/errors.js';
import { canonicalJson } from '../dataset/profile.js';
import { createRng } from '../core/random.js';
import { spawnModuleWorker } from '../core/threads.node.js';
import { synthesizeScene, type SynthesizeSceneOptions } from '../dataset/synthesize-scene.js';
import { writeFitsFile } from '../fits/index.node.js';
import type { SceneWorkerReply, SceneWorkerRequest } from './scene-worker.node.js';
import { pathExists } from '../core/files.node.js';

/** One scene to draw and write. */
export interface SceneTask {
  /** Its index in the run. */
  index: number;
  /** Seed of its own generator. */
  rngSeed: number;
  /** With a wind. */
  positive: boolean;
  /** The file to write. */
  path: string;
}

/** Draws scene `task` and writes it (HISTORY names the run's seed and the scene). */
export async function writeScene(
  task: SceneTask,
  options: SynthesizeSceneOptions,
  seed: number,
): Promise<void> {
  const scene = synthesizeScene(createRng(task.rngSeed), {
    ...options,
    label: task.positive ? 'positive' : 'negative',
  });
  await writeFitsFile(task.path, scene.image, [
    ...scene.cards,
    { key: 'HISTORY', value: `alma-classifier demo scene ${task.index} (seed ${seed}), synthetic` },
  ]);
}

/**
 * Runs `tasks` on a worker thread. `done` resolves with the tasks it did not get to when the
 * thread itself failed (it could not load its module, say: a bundled app), for the calling
 * thread to draw; it rejects when a scene failed. `stop` ends the thread early. `undefined`
 * when no thread could start.
 */
function runOnWorker(
  tasks: SceneTask[],
  options: SynthesizeSceneOptions,
  seed: number,
  onScene: () => void,
): { done: Promise<SceneTask[]>; stop: () => Promise<number> } | undefined {
  let worker: Worker;
  try {
    worker = spawnModuleWorker(import.meta.url, 'scene-worker.node');
  } catch {
    return undefined;
  }
  let written = 0;
  const done = new Promise<SceneTask[]>((resolve, reject) => {
    let settled = false;
    const end = (error?: Error): void => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (error) reject(error);
      else resolve(tasks.slice(written));
    };
    worker.on('message', (reply: SceneWorkerReply) => {
      if (reply.type === 'progress') {
        written++;
        onScene();
      } else if (reply.type === 'done') end();
      else end(new PipelineError(`demo scene worker: ${reply.message}`));
    });
    // The thread failed, not a scene: what it left is drawn on the calling thread.
    worker.on('error', () => end());
    worker.on('exit', () => end());
    worker.postMessage({ tasks, options, seed } satisfies SceneWorkerRequest);
  });
  return { done, stop: () => worker.terminate() };
}

/** File beside the scene folders naming the seed and options their scenes were drawn with. */
export const SCENES_MANIFEST = 'scenes.json';

/** What {@link SCENES_MANIFEST} holds. */
interface ScenesManifest {
  seed: number;
  options: string;
}

/** The scene files directly in `dir` (none when it does not exist). */
async function sceneFiles(dir: string): Promise<string[]> {
  const names = await readdir(dir).catch(() => [] as string[]);
  return names.filter((n) => /^scene-\d+\.fits(\.part)?$/.test(n)).map((n) => join(dir, n));
}

/**
 * Writes the synthetic scenes as FITS files (only those missing): scene `i` is a positive when
 * `i` is odd, drawn from its own fork of the seeded generator, so each file depends only on
 * (seed, index) and a resumed run rewrites nothing. With two or more CPUs a worker thread draws
 * every other missing scene.
 *
 * The seed and options are recorded beside the folders ({@link SCENES_MANIFEST}) before any
 * scene is drawn. Scenes found there that were drawn with another seed or other options, or by
 * a version that kept no record, are deleted and drawn again (`redrawn` in the result), so a
 * folder never mixes two runs' scenes; the number of scenes may change freely.
 *
 * @param progress - called with the number of scenes present so far
 */
export async function writeScenes(
  posDir: string,
  negDir: string,
  count: number,
  seed: number,
  options: SynthesizeSceneOptions,
  progress: (done: number) => void,
): Promise<{ positives: string[]; negatives: string[]; redrawn: boolean }> {
  const manifestPath = join(dirname(posDir), SCENES_MANIFEST);
  const want: ScenesManifest = { seed, options: canonicalJson(options) };
  const have = await readFile(manifestPath, 'utf8')
    .then((text) => JSON.parse(text) as Partial<ScenesManifest> | null)
    .catch(() => undefined);
  const same = have?.seed === want.seed && have?.options === want.options;
  let redrawn = false;
  if (!same) {
    const old = [...(await sceneFiles(posDir)), ...(await sceneFiles(negDir))];
    redrawn = old.length > 0;
    // Scenes of another draw go before the new record is written, so a run stopped half way
    // leaves either the old record or none beside the old scenes, never the new one.
    await rm(manifestPath, { force: true });
    for (const f of old) await rm(f, { force: true });
  }
  await mkdir(posDir, { recursive: true });
  await mkdir(negDir, { recursive: true });
  if (!same) await writeFileAtomic(manifestPath, JSON.stringify(want, null, 2));
  const rng = createRng(seed * 7919 + 1);
  const positives: string[] = [];
  const negatives: string[] = [];
  const missing: SceneTask[] = [];
  for (let i = 0; i < count; i++) {
    const positive = i % 2 === 1;
    const path = join(positive ? posDir : negDir, `scene-${String(i).padStart(4, '0')}.fits`);
    // The draw rng.fork() would seed the scene's generator with (next() is that draw / 2^32).
    const rngSeed = rng.next() * 4294967296;
    if (!(await pathExists(path))) missing.push({ index: i, rngSeed, positive, path });
    (positive ? positives : negatives).push(path);
  }
  let done = count - missing.length;
  const onScene = (): void => progress(++done);
  progress(done);
  const theirs = missing.filter((_, k) => k % 2 === 1);
  const other =
    availableParallelism() > 1 && theirs.length > 0
      ? runOnWorker(theirs, options, seed, onScene)
      : undefined;
  // The worker's errors surface when awaited below; until then it must not be unhandled.
  other?.done.catch(() => undefined);
  const mine = other === undefined ? missing : missing.filter((_, k) => k % 2 === 0);
  try {
    for (const task of mine) {
      await writeScene(task, options, seed);
      onScene();
    }
  } catch (e) {
    await other?.stop();
    throw e;
  }
  for (const task of (await other?.done) ?? []) {
    await writeScene(task, options, seed);
    onScene();
  }
  return { positives, negatives, redrawn };
}
