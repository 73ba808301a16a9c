/**
 * The label store: what a person decided about candidates and samples, kept as one JSON line per
 * decision in `labels.jsonl`, a file that only grows from one review round to the next (a later
 * line about the same object overrides an earlier one). Every decision names its object by
 * content, never by a path spelling: the hash of the image's data, the HDU and the object's
 * peak, plus the transform for an augmented sample. So a label survives renaming, moving and
 * copying files, and prepare finds the same samples from any working folder. Browser-safe:
 * the review page writes the same lines.
 */
import type { Image2D } from '../core/image2d.js';
import { DatasetError } from '../core/errors.js';

/**
 * A decision: `keep` (a candidate is the target: it joins the positives; a sample stays),
 * `reject` (a candidate is not: it becomes a hard negative; a sample is dropped) or `unsure`
 * (recorded, and the object is left out of training).
 */
export type LabelDecision = 'keep' | 'reject' | 'unsure';

/** The decisions a label may hold, in the order pages show them. */
export const LABEL_DECISIONS: readonly LabelDecision[] = ['keep', 'reject', 'unsure'];

/**
 * What a decision is about: a `candidate` (an object a classifier scored in some image) or a
 * `sample` (an image of a prepared dataset, possibly augmented).
 */
export type LabelKind = 'candidate' | 'sample';

/** The object a label is about, by content. */
export interface LabelObject {
  /**
   * Content hash of the image (16 hex digits): of a FITS file, the SHA-256 of the image HDU's
   * data unit as stored (`fitsDataHash`), so the same pixels under any name or header give one
   * hash; of an image without a file, {@link pixelHash}.
   */
  hash: string;
  /** The HDU the image was read from (0 for an image without a file). */
  hdu: number;
  /** The object's peak, `[row, col]` in the whole image (row 0 = FITS y = 1), before any rotation. */
  peak: [number, number];
  /** Where the file was when it was labelled: a hint for finding it again, never used to match. */
  path?: string;
}

/** One line of `labels.jsonl`. */
export interface LabelRecord {
  /** Line format version, 1. */
  v: 1;
  /** The object's stable id ({@link labelId}; for a geometric mean, `gm(<id>|<id>)`). */
  id: string;
  /** A candidate or a dataset sample. */
  kind: LabelKind;
  /** The decision. */
  label: LabelDecision;
  /** Who decided (a name or login). */
  who: string;
  /** When, ISO 8601. */
  when: string;
  /** The object, by content. */
  object: LabelObject;
  /** For an augmented sample: its transform (`flip-lr`, `linear-0`, `gm`); absent for the image itself. */
  transform?: string;
  /** A free-text note. */
  note?: string;
  /** The score shown when the decision was made, for the record. */
  score?: number;
}

/** Default distance, in pixels along each axis, within which two peaks in one image are one object. */
export const LABEL_PEAK_TOLERANCE = 2;

/**
 * The stable id of an object: `<hash>:<hdu>:<row>,<col>`, and `:<transform>` for an augmented
 * sample (`…:flip-lr`). The same pixels, HDU and peak give the same id wherever the file lies.
 *
 * @param object - hash, HDU and peak
 * @param transform - the transform of an augmented sample
 */
export function labelId(
  object: Pick<LabelObject, 'hash' | 'hdu' | 'peak'>,
  transform?: string,
): string {
  const base = `${object.hash}:${object.hdu}:${object.peak[0]},${object.peak[1]}`;
  return transform === undefined || transform === '' ? base : `${base}:${transform}`;
}

/**
 * A content hash of an image held in memory (16 hex digits): two 32-bit FNV-1a lanes over the
 * float32 bits of the pixels in row-major order, with the shape. For images that have no file
 * (synthetic disks); a FITS file is hashed by its data unit instead. Not cryptographic.
 *
 * @param image - the image (any strides)
 */
export function pixelHash(image: Image2D): string {
  const [rows, cols] = image.shape;
  const bits = new Uint32Array(1);
  const f = new Float32Array(bits.buffer);
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ 0x5bd1e995;
  const mix = (v: number): void => {
    for (let k = 0; k < 4; k++) {
      const byte = (v >>> (8 * k)) & 0xff;
      h1 = Math.imul(h1 ^ byte, 0x01000193);
      h2 = Math.imul(h2 ^ byte, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
  };
  mix(rows);
  mix(cols);
  const [s0, s1] = image.stride;
  for (let r = 0; r < rows; r++) {
    let p = image.offset + r * s0;
    for (let c = 0; c < cols; c++, p += s1) {
      f[0] = image.data[p];
      mix(bits[0]);
    }
  }
  const hex = (h: number): string => (h >>> 0).toString(16).padStart(8, '0');
  return hex(h1) + hex(h2);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Check one parsed line of a label store and return it as a {@link LabelRecord} (a copy with
 * only the known fields).
 *
 * @param value - the parsed JSON value
 * @param where - the file and line, for errors (e.g. `labels.jsonl:3`)
 * @throws DatasetError naming `where` and the field when the line is not a label
 */
export function parseLabel(value: unknown, where = 'label'): LabelRecord {
  const bad = (what: string): DatasetError =>
    new DatasetError(`${where}: ${what}`, where.replace(/:\d+$/, ''));
  if (!isRecord(value)) throw bad('a label line must be a JSON object');
  if (value.v !== 1) throw bad(`unsupported label version ${JSON.stringify(value.v)}, expected 1`);
  if (typeof value.id !== 'string' || value.id === '') throw bad("'id' must be a non-empty string");
  if (value.kind !== 'candidate' && value.kind !== 'sample')
    throw bad(`'kind' must be 'candidate' or 'sample', got ${JSON.stringify(value.kind)}`);
  if (!LABEL_DECISIONS.includes(value.label as LabelDecision))
    throw bad(`'label' must be 'keep', 'reject' or 'unsure', got ${JSON.stringify(value.label)}`);
  if (typeof value.who !== 'string') throw bad("'who' must be a string");
  if (typeof value.when !== 'string') throw bad("'when' must be a string");
  const o = value.object;
  if (!isRecord(o)) throw bad("'object' must be an object with hash, hdu and peak");
  const peak = o.peak;
  if (
    typeof o.hash !== 'string' ||
    o.hash === '' ||
    !Number.isInteger(o.hdu) ||
    (o.hdu as number) < 0 ||
    !Array.isArray(peak) ||
    peak.length !== 2 ||
    !peak.every((x) => Number.isInteger(x))
  ) {
    throw bad("'object' needs a string hash, an integer hdu >= 0 and an integer [row, col] peak");
  }
  const object: LabelObject = {
    hash: o.hash,
    hdu: o.hdu as number,
    peak: [peak[0] as number, peak[1] as number],
  };
  if (typeof o.path === 'string') object.path = o.path;
  const out: LabelRecord = {
    v: 1,
    id: value.id,
    kind: value.kind,
    label: value.label as LabelDecision,
    who: value.who,
    when: value.when,
    object,
  };
  for (const key of ['transform', 'note'] as const) {
    if (value[key] === undefined) continue;
    if (typeof value[key] !== 'string') throw bad(`'${key}' must be a string`);
    out[key] = value[key];
  }
  if (value.score !== undefined) {
    if (typeof value.score !== 'number') throw bad("'score' must be a number");
    out.score = value.score;
  }
  return out;
}

/**
 * One label as the line `labels.jsonl` holds (JSON, fields in a fixed order, newline ended):
 * what `appendLabels` writes and what the review page exports.
 *
 * @param label - the label
 */
export function formatLabelLine(label: LabelRecord): string {
  const object: LabelObject = {
    hash: label.object.hash,
    hdu: label.object.hdu,
    peak: [label.object.peak[0], label.object.peak[1]],
    ...(label.object.path !== undefined ? { path: label.object.path } : {}),
  };
  const line: LabelRecord = {
    v: 1,
    id: label.id,
    kind: label.kind,
    label: label.label,
    who: label.who,
    when: label.when,
    object,
    ...(label.transform !== undefined ? { transform: label.transform } : {}),
    ...(label.score !== undefined ? { score: label.score } : {}),
    ...(label.note !== undefined ? { note: label.note } : {}),
  };
  return `${JSON.stringify(line)}\n`;
}

/**
 * The decisions in force: the last label of each id (a store only grows, so a later line is a
 * changed mind), sorted by id so that everything built from them is in one order whatever the
 * order of the lines.
 *
 * @param labels - every label read, in file order
 */
export function latestLabels(labels: Iterable<LabelRecord>): LabelRecord[] {
  const byId = new Map<string, LabelRecord>();
  for (const l of labels) byId.set(l.id, l);
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/**
 * Whether two objects are the same: one image (hash and HDU) and peaks within `tolerance`
 * pixels along each axis (a classifier's peak and a builder's may differ by a pixel).
 *
 * @param a - one object
 * @param b - the other
 * @param tolerance - pixels. Default {@link LABEL_PEAK_TOLERANCE}
 */
export function sameObject(
  a: Pick<LabelObject, 'hash' | 'hdu' | 'peak'>,
  b: Pick<LabelObject, 'hash' | 'hdu' | 'peak'>,
  tolerance = LABEL_PEAK_TOLERANCE,
): boolean {
  return (
    a.hash === b.hash &&
    a.hdu === b.hdu &&
    Math.abs(a.peak[0] - b.peak[0]) <= tolerance &&
    Math.abs(a.peak[1] - b.peak[1]) <= tolerance
  );
}

/** Counts of the decisions in force, by kind. */
export interface LabelSummary {
  /** Candidates kept (confirmed positives). */
  keep: number;
  /** Candidates rejected (hard negatives). */
  reject: number;
  /** Candidates and samples marked unsure. */
  unsure: number;
  /** Dataset samples rejected. */
  samplesRejected: number;
  /** Dataset samples kept. */
  samplesKept: number;
}

/**
 * How many decisions of each sort are in force.
 *
 * @param labels - the labels (all lines; only the last per id counts)
 */
export function summarizeLabels(labels: Iterable<LabelRecord>): LabelSummary {
  const s: LabelSummary = { keep: 0, reject: 0, unsure: 0, samplesRejected: 0, samplesKept: 0 };
  for (const l of latestLabels(labels)) {
    if (l.label === 'unsure') s.unsure++;
    else if (l.kind === 'candidate') s[l.label]++;
    else if (l.label === 'reject') s.samplesRejected++;
    else s.samplesKept++;
  }
  return s;
}
