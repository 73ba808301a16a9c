/**
 * Content hashes of FITS images (Node): what the label store names an image by, so that a
 * label survives renaming, moving and copying the file.
 */
import { createHash, type Hash } from 'node:crypto';
import { closeSync, readSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Worker } from 'node:worker_threads';
import { FitsError } from '../core/errors.js';
import { cannotRead, openRegularSync, readFileBytes } from '../fits/file.node.js';
import { openFits } from '../fits/open.node.js';
import { noImageMessage } from '../fits/read.js';
import type { FitsHdu } from '../fits/read.js';

/** Hashes already computed, by path, size and modification time. */
const hashCache = new Map<string, { hash: string; hdu: number }>();

/** What {@link fitsDataHash} returns. */
export interface FitsDataHash {
  /** 16 hex digits of the SHA-256 of the image HDU's data unit (without its padding). */
  hash: string;
  /** The HDU hashed. */
  hdu: number;
}

/** Where an HDU's data unit lies in its file (in the inflated bytes, for a `.fits.gz`). */
export type DataUnitPlace = Pick<FitsHdu, 'dataOffset' | 'dataBytes'>;

/**
 * Bytes read and hashed at a time: few enough to stay in the CPU's cache between the read that
 * fills them and the hash that reads them. Reading a 4 MB data unit into a freshly allocated
 * buffer, then hashing it, cost about twice the hash alone (page faults on the new memory).
 */
const CHUNK_BYTES = 256 * 1024;

/** This thread's chunk buffer; every use of it is synchronous, so one suffices. */
let chunk: Uint8Array | undefined;

/** The content hash: the first 16 hex digits of the SHA-256. */
function contentHash(hash: Hash): string {
  return hash.digest('hex').slice(0, 16);
}

/** The FitsError for a data unit cut short: the file shrank after it was opened. */
function shrank(path: string, hdu: DataUnitPlace, got: number): FitsError {
  return new FitsError(
    `${path}: file shrank while open: its image data is ${hdu.dataBytes} bytes at offset ${hdu.dataOffset}, ${got} read`,
    path,
  );
}

/**
 * Feed the data unit of the plain FITS file open as `fd` to `hash`, a chunk at a time: the
 * number of bytes fed (fewer than `dataBytes` when the file is shorter), or `'gzip'`, having fed
 * nothing, when the file is gzip-compressed. The hashing thread's {@link WORKER_SOURCE} runs
 * the same loop.
 */
function feedDataUnit(fd: number, hdu: DataUnitPlace, hash: Hash): number | 'gzip' {
  chunk ??= new Uint8Array(CHUNK_BYTES);
  if (readSync(fd, chunk, 0, 2, 0) === 2 && chunk[0] === 0x1f && chunk[1] === 0x8b) return 'gzip';
  let done = 0;
  while (done < hdu.dataBytes) {
    const n = readSync(
      fd,
      chunk,
      0,
      Math.min(CHUNK_BYTES, hdu.dataBytes - done),
      hdu.dataOffset + done,
    );
    if (n === 0) break;
    hash.update(chunk.subarray(0, n));
    done += n;
  }
  return done;
}

/**
 * The content hash of the data unit at `hdu` in the file at `path`, read from disk on this
 * thread (inflated as the readers inflate it when gzip-compressed, so every file they read
 * hashes).
 *
 * @throws FitsError naming the file when it cannot be read or is shorter than the data unit
 */
async function hashDataUnit(path: string, hdu: DataUnitPlace): Promise<string> {
  const hash = createHash('sha256');
  let fed: number | 'gzip';
  try {
    const { fd } = openRegularSync(path);
    try {
      fed = feedDataUnit(fd, hdu, hash);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw cannotRead(path, err);
  }
  if (fed === 'gzip') {
    const all = await readFileBytes(path, path);
    fed = Math.max(0, Math.min(all.length - hdu.dataOffset, hdu.dataBytes));
    hash.update(all.subarray(hdu.dataOffset, hdu.dataOffset + fed));
  }
  if (fed < hdu.dataBytes) throw shrank(path, hdu, fed);
  return contentHash(hash);
}

/**
 * The content hash of a FITS file's image: the SHA-256 of its data unit as stored (16 hex
 * digits), so a renamed, moved or copied file, or one whose header was edited, hashes the same,
 * and `.fits` and `.fits.gz` of the same pixels too. The label store names images by it.
 * Results are cached for the process by path, size and modification time.
 *
 * @param path - the FITS file
 * @param hdu - the HDU; default the first image HDU with data, as the readers choose it
 * @throws FitsError naming the file when it cannot be read or has no image
 */
export async function fitsDataHash(path: string, hdu?: number): Promise<FitsDataHash> {
  const st = await stat(path).catch(() => undefined);
  const key = `${resolve(path)}\u0000${hdu ?? ''}\u0000${st?.size}\u0000${st?.mtimeMs}`;
  const known = hashCache.get(key);
  if (known) return known;
  const reader = await openFits(path, hdu === undefined ? {} : { hdu });
  let result: FitsDataHash;
  try {
    if (reader.imageHdu === undefined) throw new FitsError(noImageMessage(path, reader.hdus), path);
    result = await hashOfOpenImage(path, reader.hdus[reader.imageHdu]);
  } finally {
    await reader.close();
  }
  if (st) hashCache.set(key, result);
  return result;
}

/**
 * {@link fitsDataHash} of an HDU whose layout is known already (a reader is open), on the
 * calling thread. Used where the file is open already.
 *
 * @throws FitsError naming the file when it cannot be read or is shorter than the data unit
 */
export async function hashOfOpenImage(
  path: string,
  hdu: Pick<FitsHdu, 'index' | 'dataOffset' | 'dataBytes'>,
): Promise<FitsDataHash> {
  return { hash: await hashDataUnit(path, hdu), hdu: hdu.index };
}

/** A job for the hashing thread. */
interface HashJob {
  id: number;
  path: string;
  offset: number;
  bytes: number;
}

/** The hashing thread's answer: the hash, the bytes it found, gzip, or the error it met. */
type HashReply = { id: number } & (
  | { hash: string }
  | { got: number }
  | { gzip: true }
  | { message: string; code: string | undefined }
);

/**
 * The hashing thread, as source (CommonJS, Node's built-ins only) so that it needs no file of
 * its own: it runs wherever this module runs, installed or bundled. It answers each
 * {@link HashJob} with {@link feedDataUnit}'s loop; gzip-compressed files it leaves to the
 * calling thread, which inflates them as the readers do.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { closeSync, constants, openSync, readSync } = require('node:fs');
const { createHash } = require('node:crypto');
const chunk = new Uint8Array(${CHUNK_BYTES});
parentPort.on('message', ({ id, path, offset, bytes }) => {
  let fd;
  let reply;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
    if (readSync(fd, chunk, 0, 2, 0) === 2 && chunk[0] === 0x1f && chunk[1] === 0x8b) {
      reply = { id, gzip: true };
    } else {
      const hash = createHash('sha256');
      let done = 0;
      while (done < bytes) {
        const n = readSync(fd, chunk, 0, Math.min(chunk.length, bytes - done), offset + done);
        if (n === 0) break;
        hash.update(chunk.subarray(0, n));
        done += n;
      }
      reply = done < bytes ? { id, got: done } : { id, hash: hash.digest('hex').slice(0, 16) };
    }
  } catch (err) {
    reply = { id, message: String(err && err.message), code: err && err.code };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  parentPort.postMessage(reply);
});
Atomics.store(workerData.ready, 0, 1);
`;

/**
 * Content hashes computed on a second thread, so that a caller can preprocess a file while its
 * hash is computed (the `*FromFiles` builders). The thread is shared by the hashers open at a
 * time and stops a second after the last one is closed; it keeps the process alive only while
 * hashes are pending.
 */
export interface ContentHasher {
  /**
   * The content hash ({@link fitsDataHash}'s `hash`) of the data unit at `hdu` of the file at
   * `path`. Rejects with a FitsError naming the file when it cannot be read or is shorter than
   * the data unit (it vanished or shrank since it was opened).
   */
  hash(path: string, hdu: DataUnitPlace): Promise<string>;
  /**
   * Whether hashes asked for now are computed on the second thread: false until it has started
   * (tens of milliseconds; hashes run on the calling thread meanwhile), after {@link close},
   * and where threads cannot be started.
   */
  readonly onThread: boolean;
  /** Done with hashing: later hashes run on the calling thread. Idempotent. */
  close(): Promise<void>;
}

/** A {@link HashJob} waiting for its answer. */
interface Pending {
  path: string;
  hdu: DataUnitPlace;
  resolve: (hash: string | Promise<string>) => void;
  reject: (err: Error) => void;
}

/** A hashing thread and the hashes it owes. */
class WorkerHasher {
  private worker: Worker | undefined;
  /**
   * Set to 1 by the thread once it takes jobs; until then hashes are computed on the calling
   * thread. Shared memory, not the worker's `online` event: a build that reads only
   * synchronously never lets the event loop deliver that event.
   */
  private readonly ready = new Int32Array(new SharedArrayBuffer(4));
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;

  constructor() {
    this.spawn();
  }

  /** False once the thread failed or was stopped: a new one is needed. */
  get alive(): boolean {
    return this.worker !== undefined;
  }

  get onThread(): boolean {
    return this.worker !== undefined && Atomics.load(this.ready, 0) === 1;
  }

  hash(path: string, hdu: DataUnitPlace): Promise<string> {
    // A thread takes tens of milliseconds to start (measured 40-90 ms): the first files of a
    // build are hashed here meanwhile rather than waiting for it.
    const worker = this.onThread ? this.worker : undefined;
    if (worker === undefined) return hashDataUnit(path, hdu);
    return new Promise<string>((resolvePromise, reject) => {
      const id = this.nextId++;
      // Pending hashes hold the process open; an idle thread does not.
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { path, hdu, resolve: resolvePromise, reject });
      const job: HashJob = { id, path, offset: hdu.dataOffset, bytes: hdu.dataBytes };
      worker.postMessage(job);
    });
  }

  /** Stop the thread; hashes still pending reject. */
  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    this.failAll('the hashing thread was stopped');
    if (worker) await worker.terminate();
  }

  /** Start the thread; where threads cannot be started, hashes run on this one. */
  private spawn(): void {
    let worker: Worker;
    try {
      // No execArgv: a loader the host runs under (tsx, say) has nothing to do in this thread.
      worker = new Worker(WORKER_SOURCE, {
        eval: true,
        execArgv: [],
        workerData: { ready: this.ready },
      });
    } catch {
      return;
    }
    worker.unref();
    worker.on('message', (reply: HashReply) => this.answer(reply));
    const lost = (why: string): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      this.failAll(why);
    };
    worker.on('error', (err) => lost(`the hashing thread failed (${err.message})`));
    worker.on('exit', (code) => lost(`the hashing thread exited (code ${code})`));
    this.worker = worker;
  }

  private answer(reply: HashReply): void {
    const job = this.pending.get(reply.id);
    if (job === undefined) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if ('hash' in reply) job.resolve(reply.hash);
    else if ('gzip' in reply) job.resolve(hashDataUnit(job.path, job.hdu));
    else if ('got' in reply) job.reject(shrank(job.path, job.hdu, reply.got));
    else
      job.reject(
        cannotRead(job.path, Object.assign(new Error(reply.message), { code: reply.code })),
      );
  }

  private failAll(why: string): void {
    for (const job of this.pending.values())
      job.reject(new FitsError(`${job.path}: cannot hash its image data: ${why}`, job.path));
    this.pending.clear();
  }
}

/** How long the thread outlives the last hasher: consecutive builds share it. */
const IDLE_MS = 1000;

/** The thread the open hashers share, how many they are, and the timer that stops it when idle. */
let shared: { thread: WorkerHasher; users: number; idle: NodeJS.Timeout | undefined } | undefined;

/**
 * Start a {@link ContentHasher}. Its thread is shared with the other hashers open, or kept from
 * one closed less than a second ago (a thread takes tens of milliseconds to start); until it
 * runs, and where threads cannot be started, hashes are computed on the calling thread.
 */
export function startContentHasher(): ContentHasher {
  if (shared === undefined || !shared.thread.alive) {
    shared = { thread: new WorkerHasher(), users: 0, idle: undefined };
  }
  const mine = shared;
  clearTimeout(mine.idle);
  mine.idle = undefined;
  mine.users += 1;
  let open = true;
  return {
    hash: (path, hdu) => (open ? mine.thread.hash(path, hdu) : hashDataUnit(path, hdu)),
    get onThread() {
      return open && mine.thread.onThread;
    },
    async close() {
      if (!open) return;
      open = false;
      mine.users -= 1;
      if (mine.users > 0) return;
      mine.idle = setTimeout(() => {
        if (shared === mine) shared = undefined;
        void mine.thread.close();
      }, IDLE_MS);
      // An idle thread waiting to be stopped does not keep the process alive.
      mine.idle.unref();
    },
  };
}
