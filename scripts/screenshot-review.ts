// Screenshot a run's review page after a retrain in the browser, for the docs (a real run, never
// invented data):
//   npm run demo && npx alma-classifier review demo-output/candidates.json --model demo-output/model
//   npx tsx scripts/screenshot-review.ts demo-output/review.html [out.png] [--decide 8]
// Decides the first N cards as the demo's truth says (its files lie in `positive/` or
// `negative/` folders), retrains in the page, and screenshots the top of it.
// Needs Debian's chromium at /usr/bin/chromium (playwright-core drives it).
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../test/helpers/browser.js';

const args = process.argv.slice(2);
const decideAt = args.indexOf('--decide');
const decide = decideAt >= 0 ? Number(args.splice(decideAt, 2)[1]) : 8;
const [review, out = 'docs/images/review-run.png'] = args;
if (review === undefined) {
  console.error('usage: npx tsx scripts/screenshot-review.ts <review.html> [out.png] [--decide N]');
  process.exit(1);
}
await stat(review).catch(() => {
  console.error(`${review}: no such page; run \`alma-classifier review\` first`);
  process.exit(1);
});
const browser = await launchChromium();
try {
  const page = await browser.newPage({
    viewport: { width: 1280, height: 860 },
    deviceScaleFactor: 1,
  });
  await page.goto(pathToFileURL(resolve(review)).href);
  await page.waitForLoadState('load');
  const files = await page.evaluate(() =>
    Array.from(document.querySelectorAll('#next-grid .item .file')).map((f) => f.textContent ?? ''),
  );
  for (const file of files.slice(0, decide)) {
    await page.keyboard.press(file.includes('/positive/') ? 'k' : 'r');
  }
  await page.evaluate(() =>
    (
      window as unknown as { almaReviewApp: { retrain(): Promise<unknown> } }
    ).almaReviewApp.retrain(),
  );
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: out, fullPage: false });
  console.log(`wrote ${out} from ${review}`);
} finally {
  await browser.close();
}
