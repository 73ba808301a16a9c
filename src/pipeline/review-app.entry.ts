// Entry point of the review page's retraining bundle (`dist/review-app.js`, built by
// `scripts/build-review-app.ts`): runs once the page's own script has set up `almaReview`.
import { startReviewApp } from './review-app.js';

startReviewApp();
