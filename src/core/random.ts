/**
 * A seeded source of randomness. Every function in this library that needs randomness takes
 * one, so the same seed gives the same dataset, split and augmentations on every machine.
 */
export interface Rng {
  /** A uniform float in [0, 1). */
  next(): number;
  /** A uniform float in [min, max). */
  uniform(min: number, max: number): number;
  /** A uniform integer in [min, max] (both ends included). */
  int(min: number, max: number): number;
  /** A standard normal deviate (mean 0, standard deviation 1). */
  normal(): number;
  /** A new independent generator derived from this one (for parallel or nested streams). */
  fork(): Rng;
}

/**
 * Create a seeded {@link Rng}: sfc32 seeded through splitmix32, a small fast generator with a
 * 128-bit state that passes PractRand; not cryptographic. The same `seed` always yields the
 * same sequence, in Node and in the browser.
 *
 * @param seed - any integer (taken modulo 2^32)
 */
export function createRng(seed: number): Rng {
  let s = seed >>> 0;
  const splitmix = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    return fmix32(s);
  };
  // The state lives in typed arrays: closure variables holding 32-bit values (or a spare
  // deviate) would be boxed as heap numbers on every store, which made a draw several times
  // slower. The sequence is the same.
  const st = new Int32Array(4);
  st[0] = splitmix();
  st[1] = splitmix();
  st[2] = splitmix();
  st[3] = splitmix();
  const spare = new Float64Array(1);
  let hasSpare = false;
  const u32 = (): number => {
    const a = st[0];
    const b = st[1];
    const c = st[2];
    const d = st[3];
    const t = (((a + b) | 0) + d) | 0;
    st[3] = (d + 1) | 0;
    st[0] = b ^ (b >>> 9);
    st[1] = (c + (c << 3)) | 0;
    const c2 = (c << 21) | (c >>> 11);
    st[2] = (c2 + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) u32();
  const rng: Rng = {
    next: () => u32() / 4294967296,
    uniform: (min, max) => min + (max - min) * rng.next(),
    int: (min, max) => min + Math.floor(rng.next() * (max - min + 1)),
    normal: () => {
      if (hasSpare) {
        hasSpare = false;
        return spare[0];
      }
      let u = 0;
      let v = 0;
      let q = 0;
      do {
        u = 2 * (u32() / 4294967296) - 1;
        v = 2 * (u32() / 4294967296) - 1;
        q = u * u + v * v;
      } while (q >= 1 || q === 0);
      const f = Math.sqrt((-2 * Math.log(q)) / q);
      spare[0] = v * f;
      hasSpare = true;
      return u * f;
    },
    fork: () => createRng(u32()),
  };
  return rng;
}

/**
 * Shuffle `items` in place with the Fisher–Yates algorithm and return it.
 *
 * @param items - the array to shuffle (mutated)
 * @param rng - the seeded generator
 */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/**
 * MurmurHash3's 32-bit finaliser (`fmix32`): every input bit affects every output bit. Used by
 * {@link createRng}'s seeding and the shard hash, whose values must never change.
 *
 * @param h - any integer (taken modulo 2^32)
 * @returns an unsigned 32-bit integer
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Mix two integers into one 32-bit seed (the "lowbias32" finaliser over both): derived seeds for
 * dropout masks, augmentation and Monte Carlo passes (the engine's `engine.c` hashes its dropout
 * mask indices with the same lowbias32 finaliser). Changing it changes every seeded run.
 *
 * @param a - any integer (taken modulo 2^32)
 * @param b - any integer (taken modulo 2^32)
 * @returns an unsigned 32-bit integer
 */
export function mix32(a: number, b: number): number {
  let h = (Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  h = Math.imul(h, 0x846ca68b);
  h ^= h >>> 16;
  return h >>> 0;
}
