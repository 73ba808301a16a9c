// The training engine's relaxed-SIMD build. Node 20 runs it only with a V8 flag (Node 22 and
// current browsers without), so this test starts a Node with the flag and checks gradients there;
// test/browser-engine.test.ts runs the same build in Chromium.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('training engine, relaxed-SIMD build', () => {
  it('is chosen where the runtime has relaxed SIMD and computes the cpu backend gradients', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--experimental-wasm-relaxed-simd', '--import', 'tsx', 'test/helpers/relaxed-check.ts'],
      { timeout: 120_000 },
    );
    const line =
      stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop() ?? '{}';
    const r = JSON.parse(line) as { simd: string; worst: number };
    expect(r.simd).toBe('relaxed');
    expect(r.worst).toBeLessThan(2e-5);
  }, 150_000);

  it('is not chosen in this Node without the flag', async () => {
    const { engineSimd } = await import('../src/model/engine/engine.js');
    expect(engineSimd()).toBe(
      Number(process.versions.node.split('.')[0]) >= 22 ? 'relaxed' : 'baseline',
    );
  });
});
