// A report from a real run, screenshotted for the docs: the bundled real ALMA images
// (test/fixtures/fits) classified by a saved model, written as `classify` writes them and read
// back as `report` reads them, then opened in headless Chromium.
//   npx tsx scripts/screenshot-sky-report.ts <model-dir> [out.png]
// e.g. after `alma-classifier demo --out demo-output`:
//   npx tsx scripts/screenshot-sky-report.ts demo-output/model docs/images/report-sky.png
// Needs Debian's chromium at /usr/bin/chromium (playwright-core drives it).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../test/helpers/browser.js';
import { loadModel } from '../src/model/index.node.js';
import {
  BUNDLED_IMAGES,
  candidateFileReportData,
  classify,
  readCandidateFile,
  writeCandidateFiles,
} from '../src/pipeline/index.node.js';
import { writeReport } from '../src/report/index.node.js';

const modelDir = process.argv[2];
const OUT = process.argv[3] ?? 'docs/images/report-sky.png';
if (modelDir === undefined) {
  console.error('usage: npx tsx scripts/screenshot-sky-report.ts <model-dir> [out.png]');
  process.exit(2);
}

const loaded = await loadModel(modelDir);
const files = 'test/fixtures/fits';
const candidates = await classify(loaded, [files], { keepInputs: true, maxSources: 2 });
const dir = await mkdtemp(join(tmpdir(), 'sky-report-'));
try {
  const json = join(dir, 'candidates.json');
  const target = loaded.meta.classNames.at(-1);
  await writeCandidateFiles(candidates, json, target ? { positiveLabel: target } : {});
  const data = await candidateFileReportData(await readCandidateFile(json), {
    title: 'Candidates on the sky: the bundled ALMA images',
    description: `${candidates.length} objects in ${files} (B335, Serpens South C7, COS850.0005), classified with ${modelDir}`,
    baseDir: dir,
  });
  // The class each bundled image is known to have, shown beside the score of its main object.
  data.candidates.forEach((c, i) => {
    const known = BUNDLED_IMAGES.find((b) => candidates[i].file.endsWith(b.file));
    if (known !== undefined && candidates[i].sourceIndex === 0) c.knownLabel = known.label;
  });
  const meta = loaded.meta;
  data.provenanceNote =
    `A real run: the three real ALMA images bundled with the library, classified by the model ` +
    `that \`alma-classifier demo\` trained (profile ${meta.profileName}, saved ${meta.createdAt ?? 'undated'} ` +
    `by alma-classifier ${meta.version ?? '?'}) on synthetic disks and B335. Scores come from that small ` +
    `demo model; positions, beams and fluxes from the images' own headers and pixels.`;
  const { index } = await writeReport(data, join(dir, 'report'));
  const browser = await launchChromium();
  try {
    const width = 1900;
    const page = await browser.newPage({ viewport: { width, height: 1000 } });
    await page.goto(pathToFileURL(index).href);
    const rows = page.locator('tr.candidate');
    const shown = Math.min(3, await rows.count());
    const last = await rows.nth(shown - 1).boundingBox();
    await page.screenshot({
      path: OUT,
      fullPage: true,
      clip: { x: 0, y: 0, width, height: Math.ceil((last?.y ?? 800) + (last?.height ?? 0) + 8) },
    });
  } finally {
    await browser.close();
  }
  console.log(
    `wrote ${OUT} (${(await stat(OUT)).size} bytes) from ${candidates.length} candidates`,
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
