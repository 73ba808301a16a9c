import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRng } from '../src/core/random.js';
import { synthesizeScene } from '../src/dataset/synthesize-scene.js';
import { readFits, requireImage } from '../src/fits/index.node.js';
import { writeScenes } from '../src/pipeline/demo-scenes.node.js';
import { DEMO_SCENE_OPTIONS } from '../src/pipeline/demo.node.js';

const dir = mkdtempSync(join(tmpdir(), 'alma-scenes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const options = { ...DEMO_SCENE_OPTIONS, size: 48 };

describe('writeScenes (the demo’s scenes on two threads)', () => {
  it('writes the scenes the sequential recipe draws, byte for byte, whichever thread drew them', async () => {
    const seen: number[] = [];
    const out = await writeScenes(
      join(dir, 'a', 'pos'),
      join(dir, 'a', 'neg'),
      12,
      3,
      options,
      (d) => seen.push(d),
    );
    expect(out.positives).toHaveLength(6);
    expect(out.negatives).toHaveLength(6);
    expect(seen[seen.length - 1]).toBe(12);
    // The recipe the files must follow: scene i from the i-th fork of the run's generator.
    const rng = createRng(3 * 7919 + 1);
    for (let i = 0; i < 12; i++) {
      const own = rng.fork();
      const scene = synthesizeScene(own, {
        ...options,
        label: i % 2 === 1 ? 'positive' : 'negative',
      });
      const path = (i % 2 === 1 ? out.positives : out.negatives)[i >> 1];
      const written = requireImage(await readFits(path));
      expect(Array.from(written.data)).toEqual(Array.from(scene.image.data));
      expect(readFileSync(path, 'latin1')).toContain(`demo scene ${i} (seed 3)`);
    }
  });

  it('writes only the missing scenes of a resumed run', async () => {
    const pos = join(dir, 'b', 'pos');
    const neg = join(dir, 'b', 'neg');
    const first = await writeScenes(pos, neg, 6, 4, options, () => undefined);
    const kept = first.negatives[1];
    const before = statSync(kept).mtimeMs;
    rmSync(first.positives[0]);
    const seen: number[] = [];
    await writeScenes(pos, neg, 6, 4, options, (d) => seen.push(d));
    expect(seen[0]).toBe(5);
    expect(statSync(kept).mtimeMs).toBe(before);
    expect(statSync(first.positives[0]).isFile()).toBe(true);
  });

  it('draws every scene again, the old ones deleted, when the seed changed', async () => {
    const pos = join(dir, 'e', 'pos');
    const neg = join(dir, 'e', 'neg');
    const first = await writeScenes(pos, neg, 6, 4, options, () => undefined);
    expect(first.redrawn).toBe(false);
    // Fewer scenes with another seed: none of seed 4's may stay behind.
    const second = await writeScenes(pos, neg, 4, 5, options, () => undefined);
    expect(second.redrawn).toBe(true);
    expect(readdirSync(pos).sort()).toEqual(['scene-0001.fits', 'scene-0003.fits']);
    expect(readdirSync(neg).sort()).toEqual(['scene-0000.fits', 'scene-0002.fits']);
    for (const path of [...second.positives, ...second.negatives]) {
      expect(readFileSync(path, 'latin1')).toContain('(seed 5)');
    }
    expect(JSON.parse(readFileSync(join(dir, 'e', 'scenes.json'), 'utf8')).seed).toBe(5);
  });

  it('keeps the scenes of the same seed when only their number changes', async () => {
    const pos = join(dir, 'f', 'pos');
    const neg = join(dir, 'f', 'neg');
    const first = await writeScenes(pos, neg, 4, 7, options, () => undefined);
    const before = statSync(first.negatives[0]).mtimeMs;
    const more = await writeScenes(pos, neg, 8, 7, options, () => undefined);
    expect(more.redrawn).toBe(false);
    expect(statSync(first.negatives[0]).mtimeMs).toBe(before);
    expect(readdirSync(pos)).toHaveLength(4);
  });

  it('draws again the scenes of a folder with no record (an earlier version) or other options', async () => {
    const pos = join(dir, 'g', 'pos');
    const neg = join(dir, 'g', 'neg');
    await writeScenes(pos, neg, 4, 8, options, () => undefined);
    rmSync(join(dir, 'g', 'scenes.json'));
    expect((await writeScenes(pos, neg, 4, 8, options, () => undefined)).redrawn).toBe(true);
    const other = { ...options, size: 40 };
    const again = await writeScenes(pos, neg, 4, 8, other, () => undefined);
    expect(again.redrawn).toBe(true);
    expect(requireImage(await readFits(again.positives[0])).shape).toEqual([40, 40]);
    expect((await writeScenes(pos, neg, 4, 8, other, () => undefined)).redrawn).toBe(false);
  });

  it('fails with an error naming the file when a scene cannot be written', async () => {
    // A file where the negatives' folder should be.
    const blocked = join(dir, 'c-neg');
    writeFileSync(blocked, 'not a folder');
    await expect(
      writeScenes(join(dir, 'c-pos'), blocked, 8, 5, options, () => undefined),
    ).rejects.toThrow(/c-neg/);
  });

  it('fails, without hanging, when a scene cannot be drawn on either thread', async () => {
    await expect(
      writeScenes(
        join(dir, 'd', 'pos'),
        join(dir, 'd', 'neg'),
        8,
        6,
        { ...options, size: -3 },
        () => undefined,
      ),
    ).rejects.toThrow(/size/);
  });
});
