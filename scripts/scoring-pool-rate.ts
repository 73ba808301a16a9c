/**
 * Scoring on private engine copies against one two-thread engine on a shared memory
 * (docs/performance.md, "Scoring on private copies"): the same 256 random images scored by
 * `scoreOnEngines(model, 2, 32, …)` (what `predict` runs) and by `withScoringEngine(model, 2, 32,
 * …)` (the engine `predict` used before), alternated in 2.5 s windows in one process, 12 pairs,
 * so that both see the same machine.
 *
 *   npx tsx scripts/scoring-pool-rate.ts [thesis|profile]
 *
 * `thesis`: createModel()'s default network (100x100); `profile`: the dustInWind profile's (48x48).
 */
import { createModel } from '../src/model/index.node.js';
import { scoreOnEngines, withScoringEngine } from '../src/model/engine/shared.js';
import { dustInWind } from '../src/dataset/profile.js';
import { createRng } from '../src/core/random.js';

const net = process.argv[2] === 'profile' ? 'profile' : 'thesis';
const model = await createModel(net === 'profile' ? dustInWind.model : {});
const side = net === 'profile' ? 48 : 100;
const n = 256;
const rng = createRng(1);
const pixels = Float32Array.from({ length: n * side * side }, () => rng.normal());
const runs: Record<'shared' | 'private', () => Promise<unknown>> = {
  shared: () => withScoringEngine(model, 2, 32, (e) => e.forward(pixels, n)),
  private: () => scoreOnEngines(model, 2, 32, pixels, n),
};
for (const f of Object.values(runs)) for (let k = 0; k < 2; k++) await f();
const rates: Record<'shared' | 'private', number[]> = { shared: [], private: [] };
for (let k = 0; k < 12; k++) {
  const order = (k % 2 ? ['shared', 'private'] : ['private', 'shared']) as ('shared' | 'private')[];
  for (const name of order) {
    let images = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < 2500) {
      await runs[name]();
      images += n;
    }
    rates[name].push((images * 1000) / (performance.now() - t0));
  }
}
const mean = (a: number[]): number => a.reduce((x, y) => x + y, 0) / a.length;
const ahead = rates.private.filter((p, i) => p > rates.shared[i]).length;
console.log(
  `${net}: two threads on one memory ${mean(rates.shared).toFixed(0)} img/s, private copies ` +
    `${mean(rates.private).toFixed(0)} img/s (${(mean(rates.private) / mean(rates.shared)).toFixed(3)}x; ` +
    `ahead in ${ahead} of 12 pairs)`,
);
process.exit(0);
