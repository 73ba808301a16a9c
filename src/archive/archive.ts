import { mapConcurrent } from '../core/concurrency.js';
import { ArchiveError } from '../core/errors.js';
import { conditionsQuery, searchConditions, type SearchCriteria } from './adql.js';
import {
  adhocDataLinkServices,
  DEFAULT_DATA_PRODUCT_OPTIONS,
  FilterLog,
  toDataProduct,
  type DataLinkRow,
  type DataProduct,
  type DataProductList,
  type DataProductOptions,
  type FilterStat,
} from './datalink.js';
import type { DownloadOptions, DownloadReport } from './download.js';
import {
  bodyChunks,
  DEFAULT_RETRY_OPTIONS,
  defaultFetch,
  fetchWith,
  isTransient,
  type FetchLike,
  type RetryOptions,
} from './http.js';
import { mirrorChain, type MirrorName } from './mirrors.js';
import { toObservation, type Observation } from './observation.js';
import { parseVOTableStream, voTableRecords, type VOTable } from './votable.js';

/** Something the client did that a caller may want to show: a retry, a mirror switch, a warning. */
export type ArchiveEvent =
  | {
      /** Discriminant. */
      type: 'retry';
      /** The URL being retried. */
      url: string;
      /** Attempt number (1 = first retry). */
      attempt: number;
      /** Why the previous attempt failed. */
      reason: string;
    }
  | {
      /** Discriminant. */
      type: 'mirror-switch';
      /** Base URL that failed. */
      from: string;
      /** Base URL tried next. */
      to: string;
      /** Why the switch happened. */
      reason: string;
    }
  | {
      /** Discriminant. */
      type: 'warning';
      /** What happened. */
      message: string;
    };

/** Options of {@link AlmaArchive}. Defaults: {@link DEFAULT_ARCHIVE_OPTIONS}. */
export interface AlmaArchiveOptions extends RetryOptions {
  /** Mirror to use first: `ESO`, `NRAO`, `NAOJ` or a base URL. */
  mirror?: MirrorName | string;
  /**
   * Mirrors to try, in order, when the chosen one fails (connection refused, 5xx after
   * retries). Default: the other two named mirrors for a named mirror, none for a URL.
   */
  fallbackMirrors?: readonly (MirrorName | string)[];
  /** HTTP layer (default {@link defaultFetch}: the platform's `fetch`). */
  fetch?: FetchLike;
  /** TAP `MAXREC`: rows the service may return before reporting OVERFLOW. */
  maxrec?: number;
  /** Receives retries, mirror switches and warnings as they happen. */
  onEvent?: (event: ArchiveEvent) => void;
}

/** Defaults of {@link AlmaArchiveOptions} (ALminer's `maxrec` of one million rows). */
export const DEFAULT_ARCHIVE_OPTIONS = {
  /** The ESO mirror (`https://almascience.eso.org`). */
  mirror: 'ESO',
  /** Most rows a TAP query may return (`MAXREC`). */
  maxrec: 1_000_000,
  ...DEFAULT_RETRY_OPTIONS,
} as const;

/** Options of {@link AlmaArchive.query}. */
export interface QueryOptions {
  /** TAP `MAXREC` for this query; default the archive's `maxrec` (one million rows). */
  maxrec?: number;
}

/** Options of {@link AlmaArchive.search}. */
export interface SearchOptions {
  /** Column whose repeated values mark duplicate rows; the first row is kept. Default `'obs_id'`; `null` keeps all. */
  dedupeBy?: string | null;
}

/** How many rows one value of a keyword field matched. */
export interface ValueCount {
  /** The column (`science_keyword`, `target_name`, ...). */
  field: string;
  /** The value as the caller gave it. */
  value: string;
  /** Rows of the service's answer that this value matches. */
  returned: number;
  /** Of those, rows left after every filter and de-duplication. */
  kept: number;
}

/** The answer of {@link AlmaArchive.search}. */
export interface SearchResult {
  /** The ADQL sent. */
  query: string;
  /** Base URL of the mirror that answered. */
  mirror: string;
  /** Rows the service returned. */
  returned: number;
  /** Observations left after re-checking every filter and removing duplicates. */
  observations: Observation[];
  /** Per filter (and `duplicate obs_id`), how many rows it removed. */
  filtered: FilterStat[];
  /** Per value of each keyword field, rows matched; a zero is also a warning. */
  perValue: ValueCount[];
  /** True when the service truncated the answer at MAXREC. */
  overflow: boolean;
  /** Warnings: values that matched nothing, overflow. */
  warnings: string[];
}

/**
 * Client of the ALMA Science Archive: TAP search on `ivoa.obscore`, DataLink data products, and
 * downloads (Node only). Each step is usable alone, as astroquery's and pyvo's are.
 *
 * @example
 * ```ts
 * const alma = new AlmaArchive({ mirror: 'ESO' });
 * const found = await alma.search({ scienceKeyword: 'Outflows, jets and ionized winds',
 *   releasedAfter: '2016-01-01', maxResolutionArcsec: 0.4 });
 * const files = await alma.dataProducts(found.observations);
 * ```
 */
export class AlmaArchive {
  private readonly bases: string[];
  private active = 0;
  private readonly fetchImpl: FetchLike;
  private readonly retry: Required<RetryOptions>;
  private readonly maxrec: number;
  private readonly onEvent: ((event: ArchiveEvent) => void) | undefined;

  /** @param opts - mirror, timeouts, retries, HTTP layer; see {@link AlmaArchiveOptions} */
  constructor(opts: AlmaArchiveOptions = {}) {
    this.bases = mirrorChain(opts.mirror ?? DEFAULT_ARCHIVE_OPTIONS.mirror, opts.fallbackMirrors);
    this.fetchImpl = opts.fetch ?? defaultFetch;
    this.retry = {
      retries: opts.retries ?? DEFAULT_ARCHIVE_OPTIONS.retries,
      backoffMs: opts.backoffMs ?? DEFAULT_ARCHIVE_OPTIONS.backoffMs,
      timeoutMs: opts.timeoutMs ?? DEFAULT_ARCHIVE_OPTIONS.timeoutMs,
    };
    this.maxrec = opts.maxrec ?? DEFAULT_ARCHIVE_OPTIONS.maxrec;
    this.onEvent = opts.onEvent;
  }

  /** Base URL of the mirror in use (changes after a failover). */
  get mirror(): string {
    return this.bases[this.active];
  }

  private emit(event: ArchiveEvent): void {
    this.onEvent?.(event);
  }

  /**
   * Run `fn` on the active mirror; on a connection failure or 5xx move to the next one. Calls in
   * flight together that fail on the same mirror move on once: the first moves the archive to
   * the next mirror, the others retry there.
   */
  private async withMirrors<T>(fn: (base: string) => Promise<T>): Promise<T> {
    for (;;) {
      const at = this.active;
      const base = this.bases[at];
      try {
        return await fn(base);
      } catch (err) {
        if (!isTransient(err)) throw err;
        if (this.active !== at) continue;
        const next = this.bases[at + 1];
        if (next === undefined) throw err;
        const reason = err instanceof Error ? err.message : String(err);
        this.emit({ type: 'mirror-switch', from: base, to: next, reason });
        this.active = at + 1;
      }
    }
  }

  private async getVOTable(url: string, init: RequestInit): Promise<VOTable> {
    return fetchWith(
      this.fetchImpl,
      url,
      init,
      this.retry,
      (res, deadline) => {
        const chunks = async function* () {
          for await (const c of bodyChunks(res)) {
            deadline.touch();
            yield c;
          }
        };
        return parseVOTableStream(chunks(), { source: url });
      },
      (attempt, err) => this.emit({ type: 'retry', url, attempt, reason: err.message }),
    );
  }

  /**
   * Run an ADQL query on the archive's TAP service (`POST {base}/tap/sync`, synchronous, VOTable
   * answer parsed as it streams in).
   *
   * @throws ArchiveError with the service's message on `QUERY_STATUS=ERROR`, or naming the URL
   *   when every mirror failed
   */
  async query(adql: string, opts: QueryOptions = {}): Promise<VOTable> {
    const body = new URLSearchParams({
      REQUEST: 'doQuery',
      LANG: 'ADQL',
      QUERY: adql,
      MAXREC: String(opts.maxrec ?? this.maxrec),
    });
    return this.withMirrors((base) =>
      this.getVOTable(`${base}/tap/sync`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: body.toString(),
      }),
    );
  }

  /**
   * Search the archive ({@link buildKeywordQuery} semantics), then re-check every filter on the
   * returned rows (so a service that ignores part of the query cannot leak rows), remove
   * duplicate `obs_id`s, and count rows per keyword value so a value that matched nothing is
   * reported rather than silently lost.
   */
  async search(criteria: SearchCriteria, opts: SearchOptions = {}): Promise<SearchResult> {
    const conds = searchConditions(criteria);
    const query = conditionsQuery(conds);
    const table = await this.query(query);
    const records = voTableRecords(table);
    const log = new FilterLog();
    const name = (r: Record<string, unknown>) => String(r.obs_id ?? '?');
    let rows = records;
    for (const c of conds) {
      if (c.test) rows = log.apply(rows, c.field, c.test, name);
    }
    const dedupeBy = opts.dedupeBy === undefined ? 'obs_id' : opts.dedupeBy;
    if (dedupeBy !== null) {
      const seen = new Set<string>();
      rows = log.apply(
        rows,
        `duplicate ${dedupeBy}`,
        (r) => {
          const key = String(r[dedupeBy] ?? '');
          if (seen.has(key)) return false;
          seen.add(key);
          return true;
        },
        name,
      );
    }
    const warnings: string[] = [];
    const perValue: ValueCount[] = [];
    for (const c of conds) {
      if (!c.valueTests || c.field === 'data_rights' || c.field === 'scan_intent') continue;
      c.valueTests.forEach((t, i) => {
        const text = (r: Record<string, unknown>) => (r[c.field] == null ? '' : String(r[c.field]));
        const count: ValueCount = {
          field: c.field,
          value: c.values[i],
          returned: records.filter((r) => t(text(r))).length,
          kept: rows.filter((r) => t(text(r))).length,
        };
        perValue.push(count);
        if (count.returned === 0) {
          warnings.push(`${c.field} ${JSON.stringify(count.value)} matched no rows`);
        } else if (count.kept === 0) {
          warnings.push(
            `${c.field} ${JSON.stringify(count.value)} matched ${count.returned} rows, none left after filters`,
          );
        }
      });
    }
    if (table.overflow) {
      warnings.push(
        `the answer was truncated at MAXREC=${this.maxrec} rows (QUERY_STATUS=OVERFLOW)`,
      );
    }
    for (const w of warnings) this.emit({ type: 'warning', message: w });
    return {
      query,
      mirror: this.mirror,
      returned: records.length,
      observations: rows.map(toObservation),
      filtered: log.stats,
      perValue,
      overflow: table.overflow,
      warnings,
    };
  }

  /** The raw DataLink listing of one identifier (`GET {base}/datalink/sync?ID=...`). */
  async dataLink(id: string): Promise<VOTable> {
    return this.withMirrors((base) =>
      this.getVOTable(`${base}/datalink/sync?ID=${encodeURIComponent(id)}`, { method: 'GET' }),
    );
  }

  /**
   * List the files of member OUSs through DataLink, expanding tarballs into their files (as
   * astroquery's `get_data_info(expand_tarfiles=True)`), dropping rows that carry an
   * `error_message` (with a warning), and filtering by semantics and file name.
   *
   * @param uids - member OUS uids, or observations (their `memberOusUid`, with `obsId` recorded)
   * @param opts - see {@link DataProductOptions}; defaults {@link DEFAULT_DATA_PRODUCT_OPTIONS}
   */
  async dataProducts(
    uids: readonly (string | Observation)[],
    opts: DataProductOptions = {},
  ): Promise<DataProductList> {
    const o = { ...DEFAULT_DATA_PRODUCT_OPTIONS, ...opts };
    type Row = { row: DataLinkRow; memberOus: string; obsId?: string };
    const rowName = (r: Row) =>
      String(r.row.access_url ?? r.row.service_def ?? r.row.ID ?? '?').replace(/^.*\//, '');
    /** The rows without an `error_message`; a warning for each of the others. */
    const dropErrors = (list: Row[], warnings: string[]) =>
      list.filter((r) => {
        const msg = r.row.error_message;
        if (msg === null || msg === undefined || String(msg).trim() === '') return true;
        warnings.push(`DataLink error for ${rowName(r)} (${r.memberOus}): ${String(msg).trim()}`);
        return false;
      });
    /** One member OUS: its DataLink rows, then its tarballs' (one call after another). */
    const uidOf = (item: string | Observation) =>
      typeof item === 'string' ? item : item.memberOusUid;
    const listOne = async (item: string | Observation) => {
      const uid = uidOf(item);
      const obsId = typeof item === 'string' ? undefined : item.obsId;
      const warnings: string[] = [];
      const doc = await this.dataLink(uid);
      const services = adhocDataLinkServices(doc);
      let level = dropErrors(
        voTableRecords(doc).map((row) => ({ row, memberOus: uid, obsId })),
        warnings,
      );
      if (!o.auxiliary) {
        level = level.filter((r) => !String(r.row.semantics ?? '').includes('#aux'));
      }
      if (o.expandTarfiles) {
        const expanded: Row[] = [];
        const kept: Row[] = [];
        for (const r of level) {
          const serviceId =
            r.row.service_def == null ? undefined : services.get(String(r.row.service_def));
          if (serviceId === undefined) {
            kept.push(r);
            continue;
          }
          const inner = await this.dataLink(serviceId);
          for (const row of voTableRecords(inner)) {
            if (row.semantics === '#cutout') continue;
            expanded.push({ row, memberOus: uid, obsId });
          }
        }
        level = [...kept, ...dropErrors(expanded, warnings)];
      }
      return { rows: level, warnings };
    };

    // Each member OUS once (its first mention), listed `concurrency` at a time; the results
    // joined in the input order whatever order the calls end in.
    const unique = new Map<string, string | Observation>();
    for (const item of uids) if (!unique.has(uidOf(item))) unique.set(uidOf(item), item);
    const perOus = await mapConcurrent([...unique.values()], o.concurrency, listOne);
    const rows = perOus.flatMap((l) => l.rows);
    const warnings = perOus.flatMap((l) => l.warnings);
    for (const w of warnings) this.emit({ type: 'warning', message: w });
    const log = new FilterLog();
    const withUrl = rows.filter((r) => r.row.access_url != null && String(r.row.access_url) !== '');
    let products = withUrl.map((r) => toDataProduct(r.row, r));
    const listed = products.length;
    const pname = (p: DataProduct) => p.fileName;
    if (o.fitsOnly)
      products = log.apply(products, 'fitsOnly', (p) => p.url.endsWith('.fits'), pname);
    for (const part of o.include) {
      products = log.apply(
        products,
        `include ${JSON.stringify(part)}`,
        (p) => p.url.includes(part),
        pname,
      );
    }
    const seenUrl = new Set<string>();
    products = log.apply(
      products,
      'duplicate url',
      (p) => {
        if (seenUrl.has(p.url)) return false;
        seenUrl.add(p.url);
        return true;
      },
      pname,
    );
    return { products, listed, filtered: log.stats, warnings };
  }

  /**
   * Download products to a directory (Node only): streamed to `name.part`, resumed with HTTP
   * Range, verified, then renamed. See `downloadProducts` for the details.
   *
   * @throws ArchiveError outside Node
   */
  async download(products: readonly DataProduct[], opts: DownloadOptions): Promise<DownloadReport> {
    // A computed specifier keeps bundlers from pulling node: modules into browser builds.
    const specifier = './download.node.js';
    let mod: typeof import('./download.node.js');
    try {
      mod = (await import(/* @vite-ignore */ specifier)) as typeof import('./download.node.js');
    } catch (err) {
      throw new ArchiveError(
        'AlmaArchive.download needs Node.js (file system access)',
        undefined,
        undefined,
        {
          cause: err,
        },
      );
    }
    return mod.downloadProducts(products, {
      fetch: this.fetchImpl,
      retries: this.retry.retries,
      backoffMs: this.retry.backoffMs,
      timeoutMs: this.retry.timeoutMs,
      mirrors: [...this.bases.slice(this.active), ...this.bases.slice(0, this.active)],
      ...opts,
    });
  }
}
