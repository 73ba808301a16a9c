// Screenshot a report that a real run wrote, for the README and docs (never invented data):
//   npm run demo && npx tsx scripts/screenshot-report.ts demo-output/report/index.html [out.png] [--section id]
// With --section, only that part of the page (e.g. `evaluation`, `real`, `candidates`).
// Needs Debian's chromium at /usr/bin/chromium (playwright-core drives it).
import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { launchChromium } from '../test/helpers/browser.js';

const args = process.argv.slice(2);
const sectionAt = args.indexOf('--section');
const section = sectionAt >= 0 ? args.splice(sectionAt, 2)[1] : undefined;
const [report, out = 'docs/images/report.png'] = args;
if (report === undefined) {
  console.error(
    'usage: npx tsx scripts/screenshot-report.ts <report/index.html> [out.png] [--section id]',
  );
  process.exit(1);
}
await stat(report).catch(() => {
  console.error(`${report}: no such report; run \`npm run demo\` first`);
  process.exit(1);
});
const browser = await launchChromium();
try {
  const page = await browser.newPage({
    viewport: { width: 1280, height: 900 },
    deviceScaleFactor: 1,
  });
  await page.goto(pathToFileURL(resolve(report)).href);
  await page.waitForLoadState('load');
  if (section) {
    await page.locator(`#${section}`).screenshot({ path: out });
  } else {
    await page.screenshot({ path: out, fullPage: false });
  }
  console.log(`wrote ${out} from ${report}`);
} finally {
  await browser.close();
}
