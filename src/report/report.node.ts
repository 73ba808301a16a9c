import { writeFileAtomic } from '../core/atomic.node.js';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatasetError } from '../core/index.js';
import { parseDecisions } from './decisions.js';
import { pngDataUri, pngOf } from './html.js';
import type { RenderOptions } from './render.js';
import { buildReportHtml, rankCandidates, type ReportHtmlOptions } from './report-html.js';
import { buildReviewHtml, type ReviewHtmlOptions } from './review-html.js';
import type { Decisions, ReportData, ReportImage, ReviewItem } from './types.js';

/**
 * How images reach the page: `'inline'` puts each PNG into the HTML as a `data:` URI (one file
 * to copy or mail); `'files'` writes them to an `images/` folder beside the page (smaller HTML
 * for thousands of candidates).
 */
export type ImageMode = 'inline' | 'files';

/** Options of {@link writeReport}. Defaults in {@link DEFAULT_WRITE_REPORT_OPTIONS}. */
export interface WriteReportOptions extends Omit<ReportHtmlOptions, 'imageSrc' | 'reviewHref'> {
  /** Where images go. Default `'inline'`. */
  images?: ImageMode;
  /** Also write `review.html` for the listed candidates, linked from the report. Default `true`. */
  review?: boolean;
}

/** Defaults of {@link WriteReportOptions}. */
export const DEFAULT_WRITE_REPORT_OPTIONS: Readonly<
  Required<Pick<WriteReportOptions, 'images' | 'review'>>
> = Object.freeze({ images: 'inline', review: true });

/** Options of {@link writeReviewPage}. */
export interface WriteReviewPageOptions extends Omit<ReviewHtmlOptions, 'imageSrc'> {
  /** Where images go. Default `'inline'`. */
  images?: ImageMode;
  /** File name of the page inside the folder. Default `'review.html'`. */
  fileName?: string;
}

/** Paths {@link writeReport} wrote. */
export interface WrittenReport {
  /** The report page, `<dir>/index.html`. */
  index: string;
  /** The review page, `<dir>/review.html`, when written. */
  review?: string;
  /** Image files written beside the pages (`images: 'files'`), else empty. */
  images: string[];
}

/** Image writer for `'files'` mode: one PNG per id, written once, named by position. */
function fileImages(dir: string, render: RenderOptions | undefined) {
  const names = new Map<string, string>();
  const pending: Promise<void>[] = [];
  const written: string[] = [];
  const failures: unknown[] = [];
  return {
    written,
    /** Wait for every image file; rethrow the first write error. */
    async flush(): Promise<void> {
      await Promise.all(pending);
      if (failures.length > 0) throw failures[0];
    },
    src(image: ReportImage, id: string): string {
      const known = names.get(id);
      if (known) return known;
      const rel = `images/${String(names.size + 1).padStart(5, '0')}.png`;
      names.set(id, rel);
      const png = pngOf(image, id, render);
      const path = join(dir, rel);
      written.push(path);
      // Caught here so an error thrown while building the page leaves no unhandled rejection.
      pending.push(writeFileAtomic(path, png).catch((err: unknown) => void failures.push(err)));
      return rel;
    },
  };
}

/**
 * Write a candidate report to `dir/index.html` (see {@link buildReportHtml} for what it shows),
 * and by default `dir/review.html` for reviewing the listed candidates. Creates `dir` if
 * needed; every file is written as `name.part` and renamed when complete. The pages load
 * nothing from the network.
 *
 * @example
 * ```ts
 * const { index } = await writeReport({ title: 'Dust in wind', candidates }, 'out/report');
 * ```
 *
 * @param data - what to show (not modified)
 * @param dir - output folder
 * @param opts - options; defaults in {@link DEFAULT_WRITE_REPORT_OPTIONS} and {@link DEFAULT_REPORT_HTML_OPTIONS}
 * @returns the paths written
 * @throws RangeError for invalid rendering options or non-PNG image bytes; file-system errors as Node raises them
 */
export async function writeReport(
  data: ReportData,
  dir: string,
  opts: WriteReportOptions = {},
): Promise<WrittenReport> {
  const o = { ...DEFAULT_WRITE_REPORT_OPTIONS, ...opts };
  await mkdir(dir, { recursive: true });
  const files = o.images === 'files' ? fileImages(dir, o.render) : undefined;
  if (files) await mkdir(join(dir, 'images'), { recursive: true });
  // Both pages show the same images: render each once.
  const inline = new Map<string, string>();
  const src = (image: ReportImage, id: string): string => {
    if (files) return files.src(image, id);
    let uri = inline.get(id);
    if (uri === undefined) {
      uri = pngDataUri(image, id, o.render);
      inline.set(id, uri);
    }
    return uri;
  };
  const html = buildReportHtml(data, {
    ...o,
    reviewHref: o.review ? 'review.html' : undefined,
    imageSrc: (image, c) => src(image, c.id),
  });
  const index = join(dir, 'index.html');
  let review: string | undefined;
  if (o.review) {
    const listed = rankCandidates(data.candidates).slice(
      0,
      Math.max(0, o.maxCandidates ?? Number.POSITIVE_INFINITY),
    );
    const items: ReviewItem[] = listed.map((c) => ({
      id: c.id,
      file: c.file,
      image: c.image,
      group: 'Candidates',
      score: c.score,
      label: c.label,
    }));
    const reviewHtml = buildReviewHtml(items, {
      title: `Review: ${data.title}`,
      render: o.render,
      reportHref: 'index.html',
      imageSrc: (image, it) => src(image, it.id),
    });
    review = join(dir, 'review.html');
    await writeFileAtomic(review, reviewHtml);
  }
  if (files) await files.flush();
  await writeFileAtomic(index, html);
  return { index, review, images: files?.written ?? [] };
}

/**
 * Write a review page (see {@link buildReviewHtml}) to `dir/review.html`: keep / reject per
 * image, with keyboard shortcuts, and an export of `decisions.json`. Use it for generated
 * positives before training as well as for candidates after classification. Creates `dir` if
 * needed; files are written as `name.part` and renamed.
 *
 * @param items - the images to review (not modified)
 * @param dir - output folder
 * @param opts - options; defaults in {@link DEFAULT_REVIEW_HTML_OPTIONS}, `images: 'inline'`
 * @returns the path of the page
 * @throws RangeError for repeated ids, invalid rendering options or non-PNG image bytes
 */
export async function writeReviewPage(
  items: readonly ReviewItem[],
  dir: string,
  opts: WriteReviewPageOptions = {},
): Promise<string> {
  await mkdir(dir, { recursive: true });
  const files = opts.images === 'files' ? fileImages(dir, opts.render) : undefined;
  if (files) await mkdir(join(dir, 'images'), { recursive: true });
  const html = buildReviewHtml(items, {
    ...opts,
    imageSrc: files ? (image, it) => files.src(image, it.id) : undefined,
  });
  if (files) await files.flush();
  const path = join(dir, opts.fileName ?? 'review.html');
  await writeFileAtomic(path, html);
  return path;
}

/**
 * Read a `decisions.json` written by a review page.
 *
 * @param path - the file
 * @returns the checked decisions
 * @throws DatasetError naming `path` when it cannot be read or is malformed
 */
export async function readDecisions(path: string): Promise<Decisions> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new DatasetError(`${path}: cannot read decisions (${(err as Error).message})`, path, {
      cause: err,
    });
  }
  return parseDecisions(text, path);
}
