/**
 * Image operations against scipy.ndimage.rotate and skimage.transform.resize, on the same
 * 400x400 crop of B335 as `python_peers.py` (`img[h:h+400, h:h+400]`, h = rows // 4).
 */
import { resolve } from 'node:path';
import { requireImage } from '../src/fits/index.js';
import { readFitsFile } from '../src/fits/index.node.js';
import { cropAroundMax, resize, rotate } from '../src/image/index.js';
import { cloneImage } from '../src/core/image2d.js';
import { fixtures, medianMs, printTable, runPeer, type BenchRow } from './peers.js';

export default async function bench(): Promise<void> {
  const path = resolve(fixtures, 'fits', 'b335_2017_band6_0.fits');
  const img = requireImage(await readFitsFile(path));
  const h = Math.floor(img.shape[0] / 4);
  const crop = cloneImage(img.hi(h + 400, h + 400).lo(h, h));
  const peer = await runPeer('python_peers.py', [path]);
  const ours = {
    rotate400_order1_ms: await medianMs(() => rotate(crop, -15, { order: 1 })),
    rotate400_order3_ms: await medianMs(() => rotate(crop, -15, { order: 3 })),
    resize400to250_ms: await medianMs(() => resize(crop, [250, 250])),
    resize400to2000_ms: await medianMs(() => resize(crop, [2000, 2000]), 5),
  };
  const label: Record<keyof typeof ours, string> = {
    rotate400_order1_ms: 'rotate 400x400 -15° order 1',
    rotate400_order3_ms: 'rotate 400x400 -15° order 3',
    resize400to250_ms: 'resize 400→250 (anti-aliased)',
    resize400to2000_ms: 'resize 400→2000',
  };
  const rows: BenchRow[] = (Object.keys(ours) as (keyof typeof ours)[]).map((k) => ({
    name: label[k],
    ours: ours[k],
    peer: typeof peer?.[k] === 'number' ? (peer[k] as number) : undefined,
    unit: 'ms',
    better: 'lower',
  }));
  // Not in the peer script; printed for scale (the original pipeline crops 400 around the peak).
  rows.push({
    name: 'cropAroundMax 1000→400',
    ours: await medianMs(() => cropAroundMax(img, { size: 400 })),
    peer: undefined,
    unit: 'ms',
    better: 'lower',
  });
  printTable('image operations vs scipy/skimage (B335, 400x400 crop)', rows);
}
