/**
 * The script a run's review page runs to retrain in the browser (bundled by
 * `scripts/build-review-app.ts` into `dist/review-app.js`, which `alma-classifier review` inlines
 * into the page): on "Retrain on my decisions" it fine-tunes the page's model on the decisions
 * made so far with the library's WebAssembly engine ({@link retrainFromPayload}), scores every
 * candidate again, and re-orders the page: the next picks among the undecided first, the rest by
 * score, with how far each moved. No server and no network: the model, the inputs and a replay
 * of the training set are in the page.
 */
import { useFastBackend } from '../model/backend.js';
import {
  rerankPage,
  retrainFromPayload,
  type PageDecision,
  type ReviewPayload,
} from './review-payload.js';
import type { LabelDecision, LabelObject } from '../dataset/labels.js';

/** What the page's own script exposes as `window.almaReview` (see `run-review-html.ts`). */
interface PageApi {
  decisions(): { id: string; label: LabelDecision }[];
  render(scores: Record<string, number>, picks: { id: string; reason: string }[]): void;
  status(text: string): void;
}

/** What the app exposes as `window.almaReviewApp`, for people scripting the page and for tests. */
export interface ReviewAppApi {
  /** Retrain on the decisions so far and re-rank; resolves when the page shows the result. */
  retrain(): Promise<{
    /** Samples trained on (replay and decided candidates). */
    trainedOn: number;
    /** Decisions used (kept, rejected and unsure). */
    decisions: number;
    /** Wall time, seconds. */
    seconds: number;
  }>;
  /** The retrained model's weights (flattened per tensor), after a retrain. */
  weights(): number[][] | undefined;
  /** The new scores by candidate id, after a retrain. */
  scores(): Record<string, number> | undefined;
}

interface Card {
  id: string;
  /** The file's name, for the moves line. */
  name: string;
  inputIndex: number;
  object: LabelObject | undefined;
  score: number;
}

/**
 * Wire the page's "Retrain" button: read the payload (`#alma-review-payload`), and on each
 * click retrain from the page's model on every decision so far (kept and rejected candidates
 * with an input; unsure ones are left out) and re-rank. Does nothing on a page without a payload.
 *
 * @param doc - the page's document. Default `document`
 */
export function startReviewApp(doc: Document = document): void {
  const el = doc.getElementById('alma-review-payload');
  const button = doc.getElementById('retrain') as HTMLButtonElement | null;
  const win = doc.defaultView as
    (Window & { almaReview?: PageApi; almaReviewApp?: ReviewAppApi }) | null;
  if (el === null || button === null || win === null || win.almaReview === undefined) return;
  const page = win.almaReview;
  const payload = JSON.parse(el.textContent ?? '{}') as ReviewPayload;
  const cards: Card[] = Array.from(doc.querySelectorAll<HTMLElement>('.item[data-input]')).map(
    (it) => {
      const object = it.getAttribute('data-object');
      const file = it.querySelector('.file')?.textContent ?? '';
      return {
        id: it.getAttribute('data-id') ?? '',
        name: file.slice(Math.max(file.lastIndexOf('/'), file.lastIndexOf('\\')) + 1),
        inputIndex: Number(it.getAttribute('data-input')),
        object: object ? (JSON.parse(object) as LabelObject) : undefined,
        score: Number(it.getAttribute('data-score')),
      };
    },
  );
  const byId = new Map(cards.map((c) => [c.id, c]));
  let weights: number[][] | undefined;
  let scores: Record<string, number> | undefined;
  const retrain = async (): Promise<{ trainedOn: number; decisions: number; seconds: number }> => {
    button.disabled = true;
    const t0 = performance.now();
    try {
      page.status('retraining in the browser…');
      // The engine trains and scores; TensorFlow.js only holds the weights, on its CPU backend
      // (the page is offline: no WebAssembly binaries to fetch for TensorFlow.js's own).
      await useFastBackend({ prefer: ['cpu'], warn: false });
      const decided = page.decisions();
      const decisions: PageDecision[] = decided.flatMap((d) => {
        const c = byId.get(d.id);
        return c?.object === undefined
          ? []
          : [{ id: d.id, label: d.label, object: c.object, inputIndex: c.inputIndex }];
      });
      const r = await retrainFromPayload(payload, decisions);
      weights = r.model.getWeights().map((t) => Array.from(t.dataSync()));
      r.model.dispose();
      const decidedIds = new Set(decided.map((d) => d.id));
      const shown = cards.map((c) => ({
        id: c.id,
        score: c.score,
        inputIndex: c.inputIndex,
        decided: decidedIds.has(c.id),
      }));
      const rr = rerankPage(payload, shown, r.scores);
      scores = Object.fromEntries(cards.map((c) => [c.id, r.scores[c.inputIndex]]));
      for (const c of cards) c.score = r.scores[c.inputIndex];
      page.render(scores, rr.picks);
      const seconds = (performance.now() - t0) / 1000;
      const moved = rr.moves
        .filter((m) => m.after !== m.before)
        .slice(0, 5)
        .map((m) => `${byId.get(m.id)?.name ?? m.id} ${m.before} → ${m.after}`)
        .join('; ');
      const movesEl = doc.getElementById('moves');
      if (movesEl)
        movesEl.textContent = `Retrained on ${r.trainedOn} samples (${decisions.length} decisions) in ${seconds.toFixed(1)} s. Largest moves: ${moved || 'none'}.`;
      page.status(`retrained (${decisions.length} decisions)`);
      return { trainedOn: r.trainedOn, decisions: decisions.length, seconds };
    } catch (err) {
      page.status(`retraining failed: ${(err as Error).message}`);
      throw err;
    } finally {
      button.disabled = false;
    }
  };
  button.addEventListener('click', () => {
    retrain().catch(() => undefined);
  });
  win.almaReviewApp = { retrain, weights: () => weights, scores: () => scores };
}
