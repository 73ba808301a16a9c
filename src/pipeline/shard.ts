/**
 * Deterministic sharding of a product list: each item goes to the shard picked by a stable hash
 * of its URL, so `count` shards cover every item exactly once whatever order the archive returns
 * the list in, and a shard can be recomputed anywhere (another node, another day) from the URL
 * alone. Browser-safe.
 */
import { fmix32 } from '../core/random.js';

/** One shard of a sharded run: the zero-based `index` among `count` shards. */
export interface ShardSpec {
  /** Zero-based shard number, `0 <= index < count`. */
  index: number;
  /** How many shards the work list is split into (a positive integer). */
  count: number;
}

/** Options of {@link selectShard}. */
export interface SelectShardOptions<T> extends ShardSpec {
  /**
   * The string an item is hashed by. Default: the item itself when it is a string, else its
   * `url` property (a data product, a row of `candidates.jsonl`).
   */
  key?: (item: T) => string;
}

const encoder = new TextEncoder();

/**
 * A 32-bit hash of `text`: FNV-1a over its UTF-8 bytes, then MurmurHash3's `fmix32` finaliser,
 * which spreads FNV's weak low bits so that `hash % count` is even for URLs that differ only in
 * their last characters. Part of the sharding contract: changing it would move products between
 * shards, so it never changes.
 */
export function stableHash(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

function checkSpec(spec: ShardSpec): void {
  const { index, count } = spec;
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`shard count must be a positive integer, got ${count}`);
  }
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new RangeError(`shard index must be an integer in [0, ${count - 1}], got ${index}`);
  }
}

/**
 * The shard (`0 <= s < count`) that `url` belongs to: `stableHash(url) % count`. The URL is
 * hashed exactly as given (no normalisation), so the same product must be named by the same URL
 * in every shard's list; mirrors that differ only in host name are a different string.
 *
 * @param url - the product's download URL (any string key works)
 * @param count - the number of shards, a positive integer; else `RangeError`
 */
export function shardOf(url: string, count: number): number {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`shard count must be a positive integer, got ${count}`);
  }
  return stableHash(url) % count;
}

function defaultKey(item: unknown): string {
  if (typeof item === 'string') return item;
  if (item !== null && typeof item === 'object' && 'url' in item) {
    const url = (item as { url: unknown }).url;
    if (typeof url === 'string') return url;
  }
  throw new TypeError('selectShard: an item is neither a string nor an object with a string url');
}

/**
 * The items of `items` that belong to shard `index` of `count`, in their input order. The input
 * is not mutated. Over `index = 0 .. count-1` the results partition `items`: each item lands in
 * exactly one shard (duplicates, having the same key, land together).
 *
 * @throws RangeError when `index`/`count` are not a valid shard; TypeError when an item has no key
 */
export function selectShard<T>(items: readonly T[], opts: SelectShardOptions<T>): T[] {
  checkSpec(opts);
  if (opts.count === 1) return items.slice();
  const key = opts.key ?? defaultKey;
  return items.filter((item) => stableHash(key(item)) % opts.count === opts.index);
}

/**
 * Parse the CLI form `i/n` (zero-based `i`, e.g. `0/4` .. `3/4`) into a {@link ShardSpec}.
 *
 * @throws RangeError naming the text when it is not `i/n` with `0 <= i < n`
 */
export function parseShard(text: string): ShardSpec {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new RangeError(`shard "${text}" is not of the form i/n (e.g. 0/4)`);
  const spec = { index: Number(m[1]), count: Number(m[2]) };
  try {
    checkSpec(spec);
  } catch (err) {
    throw new RangeError(`shard "${text}": ${(err as Error).message}`);
  }
  return spec;
}

/** Environment variables as `process.env` holds them. */
export type EnvLike = Readonly<Record<string, string | undefined>>;

function intVar(env: EnvLike, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  if (!/^\s*\d+\s*$/.test(raw)) throw new RangeError(`${name}="${raw}" is not a whole number`);
  return Number(raw);
}

/**
 * The shard of this Slurm job-array task, or `undefined` outside a job array. Slurm sets
 * `SLURM_ARRAY_TASK_ID` (this task's id), `SLURM_ARRAY_TASK_COUNT` (how many tasks the array
 * has), `SLURM_ARRAY_TASK_MIN` and `SLURM_ARRAY_TASK_STEP`; ids need not start at 0
 * (`--array=1-8`) and may step (`--array=0-14:2`), so the shard is
 * `index = (ID - MIN) / STEP` of `count = COUNT`. An array given as a list with gaps
 * (`--array=1,4,9`) cannot be mapped this way and throws: use `--shard i/n` there.
 *
 * @param env - the environment to read; default `globalThis.process?.env` (empty in a browser)
 * @throws RangeError when the variables are present but inconsistent
 */
export function shardFromEnv(env?: EnvLike): ShardSpec | undefined {
  const vars: EnvLike =
    env ??
    (globalThis as { process?: { env?: EnvLike } }).process?.env ??
    ({} as Record<string, string | undefined>);
  const id = intVar(vars, 'SLURM_ARRAY_TASK_ID');
  if (id === undefined) return undefined;
  const count = intVar(vars, 'SLURM_ARRAY_TASK_COUNT');
  if (count === undefined) {
    throw new RangeError('SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not');
  }
  const min = intVar(vars, 'SLURM_ARRAY_TASK_MIN') ?? 0;
  const step = intVar(vars, 'SLURM_ARRAY_TASK_STEP') || 1;
  const offset = id - min;
  const index = offset / step;
  if (offset < 0 || !Number.isInteger(index) || index >= count) {
    throw new RangeError(
      `Slurm array task ${id} (min ${min}, step ${step}, count ${count}) does not map to a ` +
        `shard in 0..${count - 1}; submit a contiguous --array or pass --shard i/n`,
    );
  }
  return { index, count };
}
