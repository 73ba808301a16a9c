// Bundle the review page's retraining script: src/pipeline/review-app.entry.ts -> dist/review-app.js,
// one self-contained classic script (IIFE) that `alma-classifier review` inlines into the page,
// so the page retrains offline, opened from disk. Run by `npm run build`; or:
// npx tsx scripts/build-review-app.ts [out.js]
import { fileURLToPath } from 'node:url';
import { buildReviewApp } from '../src/pipeline/review-app-script.node.js';

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await buildReviewApp(process.argv[2]);
  console.log(`built ${out}`);
}
