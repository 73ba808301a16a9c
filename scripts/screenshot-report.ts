// Build a report from synthetic data and screenshot it for the docs:
//   npx tsx scripts/screenshot-report.ts [out.png]
// Needs Debian's chromium at /usr/bin/chromium (playwright-core drives it).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../test/helpers/browser.js';
import { createImage2D, createRng, type Image2D, type Rng } from '../src/core/index.js';
import type { ReportCandidate, ReportData, ReportEpoch } from '../src/report/index.js';
import { writeReport } from '../src/report/index.node.js';

const OUT = process.argv[2] ?? 'docs/images/report.png';
const SIZE = 100;

/**
 * A disk-like Gaussian blob with noise; `tail` adds a fainter plume along `angle` (degrees),
 * the look of dust carried off a disk by a wind.
 */
function blob(rng: Rng, tail: number, angle: number): Image2D {
  const img = createImage2D(SIZE, SIZE);
  const cx = SIZE / 2 + rng.uniform(-4, 4);
  const cy = SIZE / 2 + rng.uniform(-4, 4);
  const sx = rng.uniform(4, 7);
  const sy = sx * rng.uniform(0.5, 1);
  const a = (angle * Math.PI) / 180;
  for (let r = 0; r < SIZE; r++) {
    for (let c = 0; c < SIZE; c++) {
      const dx = c - cx;
      const dy = r - cy;
      const u = dx * Math.cos(a) + dy * Math.sin(a);
      const v = -dx * Math.sin(a) + dy * Math.cos(a);
      let value = Math.exp(-0.5 * ((u / sx) ** 2 + (v / sy) ** 2));
      if (tail > 0 && u > 0)
        value += tail * Math.exp(-u / 22) * Math.exp(-0.5 * (v / (3 + u / 6)) ** 2);
      img.set(r, c, value + 0.03 * rng.normal());
    }
  }
  return img;
}

function syntheticReport(): ReportData {
  const rng = createRng(7);
  const targets = ['HD 163296', 'AS 209', 'Elias 2-27', 'GM Aur', 'IM Lup', 'DoAr 25'];
  const candidates: ReportCandidate[] = targets.map((target, i) => {
    const score = Math.max(0.02, 0.98 - i * 0.16 + rng.uniform(-0.03, 0.03));
    const positive = score >= 0.5;
    return {
      id: `c${i}`,
      file: `member.uid___A001_X${(1200 + 37 * i).toString(16)}_X${(0x2a0 + i).toString(16)}.${target.replace(/ /g, '_')}_sci.spw25.cont.I.pbcor.fits`,
      score,
      label: positive ? 'positive' : 'negative',
      image: blob(rng, positive ? rng.uniform(0.25, 0.5) : 0, rng.uniform(0, 360)),
      target,
      projectCode: `201${6 + (i % 3)}.1.00${484 + 11 * i}.S`,
      memberOus: `uid://A001/X${(1200 + 37 * i).toString(16)}/X${(0x2a0 + i).toString(16)}`,
      provenance: { source: 1, peak: [50 + i, 48 - i] },
    };
  });
  const history: ReportEpoch[] = Array.from({ length: 30 }, (_, k) => {
    const e = k + 1;
    return {
      epoch: e,
      loss: 0.69 * Math.exp(-e / 7) + 0.12 + 0.01 * rng.normal(),
      acc: 1 - 0.5 * Math.exp(-e / 6) - 0.04 + 0.008 * rng.normal(),
      valLoss: 0.69 * Math.exp(-e / 8) + 0.2 + 0.02 * rng.normal(),
      valAcc: 1 - 0.5 * Math.exp(-e / 7) - 0.1 + 0.015 * rng.normal(),
    };
  });
  // Scores of 50 positives and 50 negatives, for the ROC and precision–recall curves.
  const scored = [
    ...Array.from({ length: 50 }, () => ({ y: 1, s: 0.7 + 0.22 * rng.normal() })),
    ...Array.from({ length: 50 }, () => ({ y: 0, s: 0.3 + 0.22 * rng.normal() })),
  ].sort((a, b) => b.s - a.s);
  const roc = [{ fpr: 0, tpr: 0 }];
  const pr: { recall: number; precision: number }[] = [];
  let tp = 0;
  let fp = 0;
  for (const { y } of scored) {
    if (y) tp++;
    else fp++;
    roc.push({ fpr: fp / 50, tpr: tp / 50 });
    pr.push({ recall: tp / 50, precision: tp / (tp + fp) });
  }
  let auc = 0;
  for (let i = 1; i < roc.length; i++) {
    auc += ((roc[i].fpr - roc[i - 1].fpr) * (roc[i].tpr + roc[i - 1].tpr)) / 2;
  }
  return {
    title: 'Dust in wind: candidates',
    description: 'Synthetic example data (scripts/screenshot-report.ts)',
    generatedAt: '2026-01-01T00:00:00Z',
    candidates,
    history,
    evaluation: {
      confusion: { tp: 43, fp: 3, tn: 47, fn: 7 },
      accuracy: 0.9,
      precision: 43 / 46,
      recall: 0.86,
      f1: (2 * 43) / (2 * 43 + 3 + 7),
      rocAuc: auc,
      roc,
      pr,
      threshold: 0.5,
    },
    profile: {
      name: 'dust-in-wind',
      keywords: ['Disks around low-mass stars'],
      minReleaseDate: '2016-01-01',
      maxResolutionArcsec: 0.4,
      fileFilters: ['.pbcor', '_sci', '.cont'],
      crop: { size: 400, output: 100 },
    },
  };
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'alma-report-'));
  try {
    const { index } = await writeReport(syntheticReport(), dir, { thumbnailSize: 72 });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
      await page.goto(pathToFileURL(index).href, { waitUntil: 'load' });
      // Hide the profile so the picture shows candidates, curves and the confusion matrix.
      await page.addStyleTag({ content: '#profile { display: none; }' });
      await page.screenshot({ path: OUT, fullPage: true });
    } finally {
      await browser.close();
    }
    console.log(`${OUT}: ${(await stat(OUT)).size} bytes`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
