import type { VOTable, VOValue } from './votable.js';

/** One downloadable file listed by DataLink. */
export interface DataProduct {
  /** Where to download it. */
  url: string;
  /** Its file name: the last path segment of the URL. */
  fileName: string;
  /** `content_length` in bytes, or `null` when DataLink does not say. */
  sizeBytes: number | null;
  /** `content_type` (MIME type). */
  contentType: string;
  /** DataLink `semantics` (`#this`, `#auxiliary`, ...). */
  semantics: string;
  /** DataLink `description`. */
  description: string;
  /** The member OUS uid whose DataLink listing (or expanded tarball) holds the file. */
  memberOus: string;
  /** The `obs_id` of the observation it came from, when the caller passed observations. */
  obsId?: string;
  /** DataLink `readable`: false when the current identity may not download it. */
  readable: boolean;
}

/** Options of `AlmaArchive.dataProducts`. Defaults: {@link DEFAULT_DATA_PRODUCT_OPTIONS}. */
export interface DataProductOptions {
  /** Replace tarballs by the files inside them (follows the ad-hoc DataLink services). */
  expandTarfiles?: boolean;
  /** Keep only files whose URL contains every one of these strings (ALminer's `filename_must_include`). */
  include?: readonly string[];
  /** Keep only URLs ending in `.fits` (ALminer's `fitsonly`). */
  fitsOnly?: boolean;
  /** Keep `#auxiliary` products (calibration scripts, QA reports). */
  auxiliary?: boolean;
  /**
   * Member OUSs listed at the same time (each one's DataLink call, then its tarballs' in turn),
   * so at most this many DataLink requests are in flight. The result is the same, in the same
   * order, whatever the concurrency.
   */
  concurrency?: number;
}

/** Defaults of {@link DataProductOptions}: the original pipeline's choices. */
export const DEFAULT_DATA_PRODUCT_OPTIONS: Required<DataProductOptions> = {
  expandTarfiles: true,
  include: ['.pbcor', '_sci', '.cont'],
  fitsOnly: true,
  auxiliary: false,
  concurrency: 4,
};

/** How many products a filter removed, with a few of their names. */
export interface FilterStat {
  /** Which filter (`error_message`, `auxiliary`, `fitsOnly`, `include .pbcor`, `maxBytes`, ...). */
  filter: string;
  /** Products it removed. */
  removed: number;
  /** Up to five file names it removed. */
  examples: string[];
}

/** The result of `AlmaArchive.dataProducts`: the products, and what the filters removed. */
export interface DataProductList {
  /** Products that passed every filter, unique by URL. */
  products: DataProduct[];
  /** Products listed before filtering by name/type (after tarball expansion). */
  listed: number;
  /** Per filter, in the order applied. */
  filtered: FilterStat[];
  /** Warnings (rows with an `error_message`, ...). */
  warnings: string[];
}

/** The DataLink standard ID of a service that lists the files of a tarball. */
export const DATALINK_STANDARD_ID = 'ivo://ivoa.net/std/DataLink#links-1.0';

/** A DataLink row, read loosely (column → value). */
export type DataLinkRow = Record<string, VOValue>;

function s(v: VOValue | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

/** Ad-hoc DataLink services of a response: service ID → the `ID` its accessURL asks for. */
export function adhocDataLinkServices(doc: VOTable): Map<string, string> {
  const out = new Map<string, string>();
  for (const res of doc.resources) {
    if (res.utype !== 'adhoc:service' || !res.id) continue;
    const std = res.params.find((p) => p.name === 'standardID')?.value;
    const access = res.params.find((p) => p.name === 'accessURL')?.value;
    if (std !== DATALINK_STANDARD_ID || !access) continue;
    const id = new URL(access).searchParams.get('ID');
    if (id) out.set(res.id, id);
  }
  return out;
}

/** The last path segment of a URL, percent-decoded (`''` when there is none). */
export function urlFileName(url: string): string {
  try {
    const path = new URL(url).pathname;
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1));
  } catch {
    return url.slice(url.lastIndexOf('/') + 1);
  }
}

/** Where a DataLink row came from, for {@link toDataProduct}. */
export interface DataProductOrigin {
  /** The member OUS uid whose listing (or expanded tarball) holds the row. */
  memberOus: string;
  /** The observation's `obs_id`, when known. */
  obsId?: string;
}

/** Build a product from a DataLink row (the row is not modified). */
export function toDataProduct(row: DataLinkRow, origin: DataProductOrigin): DataProduct {
  const { memberOus, obsId } = origin;
  const url = s(row.access_url);
  const size = row.content_length;
  return {
    url,
    fileName: urlFileName(url),
    sizeBytes: typeof size === 'number' && Number.isFinite(size) ? size : null,
    contentType: s(row.content_type),
    semantics: s(row.semantics),
    description: s(row.description),
    memberOus,
    ...(obsId !== undefined ? { obsId } : {}),
    readable: row.readable !== false,
  };
}

/** Records the removals of each filter step. */
export class FilterLog {
  /** The steps so far. */
  readonly stats: FilterStat[] = [];

  /** Keep the items passing `keep`; record the others under `filter`. */
  apply<T>(items: T[], filter: string, keep: (item: T) => boolean, name: (item: T) => string): T[] {
    const kept: T[] = [];
    const stat: FilterStat = { filter, removed: 0, examples: [] };
    for (const it of items) {
      if (keep(it)) kept.push(it);
      else {
        stat.removed++;
        if (stat.examples.length < 5) stat.examples.push(name(it));
      }
    }
    this.stats.push(stat);
    return kept;
  }
}

/**
 * Explain why a filtered list is empty (or small): one line per filter that removed something,
 * with example names. Returns `''` when no filter removed anything.
 */
export function explainFilters(stats: readonly FilterStat[]): string {
  return stats
    .filter((st) => st.removed > 0)
    .map((st) => `${st.filter} removed ${st.removed} (e.g. ${st.examples.join(', ')})`)
    .join('; ');
}
