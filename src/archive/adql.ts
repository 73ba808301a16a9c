import { ArchiveError } from '../core/errors.js';
import { ALMA_SCIENCE_KEYWORDS, ALMA_SCIENTIFIC_CATEGORIES } from './vocabulary.js';

/**
 * The string-valued ObsCore/ALMA columns that a keyword search may compare with `LIKE`
 * (ALminer's `VALID_KEYWORDS_STR`). Numeric columns are filtered with the dedicated criteria
 * (`releasedAfter`, `maxResolutionArcsec`, `bands`, `cone`, `published`) instead.
 */
export const OBSCORE_STRING_COLUMNS: readonly string[] = [
  'obs_publisher_did',
  'obs_collection',
  'facility_name',
  'instrument_name',
  'obs_id',
  'dataproduct_type',
  'target_name',
  's_region',
  'pol_states',
  'o_ucd',
  'band_list',
  'authors',
  'pub_abstract',
  'proposal_abstract',
  'schedblock_name',
  'proposal_authors',
  'group_ous_uid',
  'member_ous_uid',
  'asdm_uid',
  'obs_title',
  'type',
  'scan_intent',
  'science_observation',
  'antenna_arrays',
  'is_mosaic',
  'obs_release_date',
  'frequency_support',
  'obs_creator_name',
  'pub_title',
  'first_author',
  'qa2_passed',
  'bib_reference',
  'science_keyword',
  'scientific_category',
  'lastModified',
  'access_url',
  'access_format',
  'proposal_id',
  'data_rights',
];

/** A cone (or point) search around ICRS coordinates. */
export interface ConeCriteria {
  /** Right ascension, degrees (ICRS). */
  ra: number;
  /** Declination, degrees (ICRS). */
  dec: number;
  /** Search radius in arcminutes (ALminer's default 1 arcmin). Ignored when `point` is true. */
  radiusArcmin?: number;
  /**
   * `true`: only observations whose footprint contains the point (`CONTAINS(POINT(...), s_region)`);
   * `false` (default): footprints that intersect the circle or contain its centre.
   */
  point?: boolean;
}

/**
 * What to search the ALMA archive for. Different fields are ANDed; several values of one field
 * are ORed; a value with spaces is split into words that are ANDed, quoted phrases (`'...'` or
 * `"..."`) stay whole; `target_name` values turn `_` and spaces into the `%` wildcard. All
 * string comparisons are `LOWER(column) LIKE '%value%'` (ALminer's `keysearch` semantics).
 */
export interface SearchCriteria {
  /**
   * Column name → value(s), as ALminer's `search_dict`. Column names must be in
   * {@link OBSCORE_STRING_COLUMNS}.
   */
  fields?: Readonly<Record<string, string | readonly string[]>>;
  /** Shorthand for `fields.science_keyword`; each value must be able to match a valid keyword. */
  scienceKeyword?: string | readonly string[];
  /** Shorthand for `fields.scientific_category`; checked against the archive's categories. */
  scientificCategory?: string | readonly string[];
  /** Shorthand for `fields.target_name` (ALMA source names, `_`/space match anything). */
  target?: string | readonly string[];
  /** Cone or point search on `s_region`. */
  cone?: ConeCriteria;
  /** Keep observations released on or after this date (`obs_release_date >= 'YYYY-MM-DD'`). */
  releasedAfter?: string | Date;
  /**
   * Keep observations whose angular resolution `s_resolution` is below this, arcseconds; rows
   * whose resolution is null or NaN are dropped.
   */
  maxResolutionArcsec?: number;
  /** Keep observations in any of these ALMA bands (1–10). */
  bands?: readonly number[];
  /** `true` (default): public data only; `false`: proprietary only; `null`: both. */
  public?: boolean | null;
  /** `true`: published only; `false`: unpublished only; `null`/undefined (default): both. */
  published?: boolean | null;
  /** Value required in `scan_intent`; default `'TARGET'` (science targets, as ALminer). `null` disables. */
  scanIntent?: string | null;
}

/**
 * Longest search value accepted, in characters. Science keywords and target names are tens of
 * characters; a value this long is a mistake (a pasted file), and would make a query and a row
 * test of hundreds of kilobytes.
 */
export const MAX_SEARCH_VALUE_LENGTH = 1000;

/** Defaults of {@link SearchCriteria} that are not "absent". */
export const DEFAULT_SEARCH_CRITERIA = {
  /** Public data only. */
  public: true,
  /** Science targets only (not calibrators). */
  scanIntent: 'TARGET',
  /** Cone radius when a cone gives none, arcminutes. */
  coneRadiusArcmin: 1,
} as const;

/**
 * One condition of a search: its ADQL text, and (where it can be evaluated on a returned row)
 * the same test in TypeScript so a reply can be re-checked and counted per value.
 */
export interface SearchCondition {
  /** The column or filter this condition is about (`science_keyword`, `releasedAfter`, ...). */
  field: string;
  /** The ADQL text, parenthesised. */
  adql: string;
  /** The user's values for a keyword field, one per ORed branch (empty for filters). */
  values: readonly string[];
  /** Per value: does a row's column text satisfy that branch. Absent for filters. */
  valueTests?: readonly ((text: string) => boolean)[];
  /** Does a row (column name → value) satisfy the whole condition; absent if not checkable here. */
  test?: (row: Readonly<Record<string, unknown>>) => boolean;
}

/** Escape a string for an ADQL single-quoted literal (`'` → `''`). ALminer does not do this. */
export function adqlString(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

// Words as ALminer's tokenizer sees them (decimals such as "2015.1" kept whole, hyphens kept),
// plus apostrophes inside a word ("Zel'dovich") so they are escaped rather than dropped.
const WORD = /\d+\.\d+|[\p{L}\p{N}_-]+(?:'[\p{L}\p{N}_-]+)*/gu;

/**
 * Split one search value into the terms that are ANDed: quoted phrases stay whole, other text is
 * split into words. A value without whitespace is one term, unchanged (as ALminer).
 */
export function splitSearchValue(value: string): string[] {
  if (!/\s/.test(value)) return [value];
  const terms: string[] = [];
  // A phrase opens with a quote at the start of a word and closes with the same quote at the
  // end of one, so apostrophes inside words never start a phrase.
  const phrase = /(^|\s)(["'])(.*?)\2(?=\s|$)/gsu;
  let last = 0;
  const words = (text: string) => {
    for (const m of text.matchAll(WORD)) terms.push(m[0]);
  };
  for (const m of value.matchAll(phrase)) {
    const start = (m.index ?? 0) + m[1].length;
    words(value.slice(last, start));
    if (m[3].trim() !== '') terms.push(m[3]);
    last = start + m[2].length * 2 + m[3].length;
  }
  words(value.slice(last));
  return terms;
}

/** `LIKE` pattern → anchored RegExp, for re-checking rows on this side. */
function likeRegExp(pattern: string): RegExp {
  let src = '';
  for (const ch of pattern) {
    if (ch === '%') src += '[\\s\\S]*';
    else if (ch === '_') src += '[\\s\\S]';
    else src += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^${src}$`, 'u');
}

function asList(v: string | readonly string[] | undefined): string[] {
  if (v === undefined) return [];
  return typeof v === 'string' ? [v] : [...v];
}

function cellText(v: unknown): string {
  if (v === null || v === undefined) return '';
  return String(v);
}

/**
 * The ADQL and row test of one keyword field (ORed values, each an AND of terms).
 * `target_name` is never split (its spaces become wildcards), as in ALminer.
 */
function keywordCondition(field: string, values: readonly string[]): SearchCondition {
  const branches: { adql: string; test: (text: string) => boolean }[] = [];
  for (const raw of values) {
    if (typeof raw !== 'string') {
      throw new ArchiveError(`search value for ${field} must be text, got ${JSON.stringify(raw)}`);
    }
    if (raw.length > MAX_SEARCH_VALUE_LENGTH) {
      throw new ArchiveError(
        `search value for ${field} is ${raw.length} characters long; at most ${MAX_SEARCH_VALUE_LENGTH} are accepted (${JSON.stringify(raw.slice(0, 40))}...)`,
      );
    }
    const terms =
      field === 'target_name'
        ? [raw.replace(/[_ ]/g, '%')]
        : splitSearchValue(raw).filter((t) => t !== '');
    if (terms.length === 0) {
      throw new ArchiveError(`search value ${JSON.stringify(raw)} for ${field} has no words`);
    }
    const likes = terms.map((t) => `%${t.toLowerCase()}%`);
    const parts = likes.map((p) => `LOWER(${field}) LIKE ${adqlString(p)}`);
    const regexps = likes.map(likeRegExp);
    branches.push({
      adql: field !== 'target_name' && /\s/.test(raw) ? `(${parts.join(' AND ')})` : parts[0],
      test: (text) => {
        const lower = text.toLowerCase();
        return regexps.every((r) => r.test(lower));
      },
    });
  }
  const valueTests = branches.map((b) => b.test);
  return {
    field,
    values,
    adql: `(${branches.map((b) => b.adql).join(' OR ')})`,
    valueTests,
    test: (row) => {
      const text = cellText(row[field]);
      return valueTests.some((t) => t(text));
    },
  };
}

function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The `n` entries of `vocabulary` closest to `value` (case-insensitive edit distance). */
function closestValues(value: string, vocabulary: readonly string[], n = 3): string[] {
  const v = value.toLowerCase();
  return [...vocabulary]
    .map((entry) => ({ entry, d: editDistance(v, entry.toLowerCase()) }))
    .sort((x, y) => x.d - y.d || x.entry.localeCompare(y.entry))
    .slice(0, n)
    .map((x) => x.entry);
}

const VOCABULARIES: Readonly<Record<string, readonly string[]>> = {
  science_keyword: ALMA_SCIENCE_KEYWORDS,
  scientific_category: ALMA_SCIENTIFIC_CATEGORIES,
};

/** Throw if a value of a controlled field cannot match any entry of the archive's vocabulary. */
function checkVocabulary(cond: SearchCondition): void {
  const vocabulary = VOCABULARIES[cond.field];
  if (!vocabulary || !cond.valueTests) return;
  cond.valueTests.forEach((test, i) => {
    if (vocabulary.some((entry) => test(entry))) return;
    const value = cond.values[i];
    const hint = closestValues(value, vocabulary)
      .map((s) => JSON.stringify(s))
      .join(', ');
    throw new ArchiveError(
      `unknown ${cond.field} ${JSON.stringify(value)}: it matches none of the archive's values; closest are ${hint}`,
    );
  });
}

function isoDate(d: string | Date): string {
  if (d instanceof Date) {
    if (Number.isNaN(d.getTime())) throw new ArchiveError('releasedAfter is an invalid Date');
    return d.toISOString().slice(0, 10);
  }
  const m =
    typeof d === 'string'
      ? /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?$/.exec(d)
      : null;
  const [year, month, day, hour, minute, second] = (m?.slice(1) ?? []).map((x) =>
    x === undefined ? 0 : Number(x),
  );
  // A date of the calendar (2020-02-30 and 2020-13-45 are not), and a time of the clock.
  const valid =
    m !== null &&
    month >= 1 &&
    month <= 12 &&
    day >= 1 &&
    day <= new Date(Date.UTC(year, month, 0)).getUTCDate() &&
    hour <= 23 &&
    minute <= 59 &&
    second <= 59;
  if (!valid) {
    throw new ArchiveError(
      `releasedAfter ${JSON.stringify(d)} is not a calendar date of the form YYYY-MM-DD`,
    );
  }
  return d as string;
}

function finiteOrThrow(name: string, v: number): number {
  if (!Number.isFinite(v)) throw new ArchiveError(`${name} must be a finite number, got ${v}`);
  return v;
}

/** Band numbers as listed in `band_list` (e.g. `"3 6"` or `3`). */
function bandsOf(v: unknown): number[] {
  return cellText(v)
    .split(/[\s,]+/)
    .filter((s) => s !== '')
    .map(Number);
}

/**
 * The conditions of a search, in the order they appear in the ADQL: the user's fields (in
 * insertion order), the shorthands, cone, date, resolution, bands, published, data rights, scan
 * intent. Throws `ArchiveError` for unknown columns, unknown vocabulary values and bad numbers.
 */
export function searchConditions(criteria: SearchCriteria): SearchCondition[] {
  const fields = new Map<string, string[]>();
  const add = (field: string, values: string[]) => {
    if (values.length === 0) return;
    fields.set(field, [...(fields.get(field) ?? []), ...values]);
  };
  for (const [field, values] of Object.entries(criteria.fields ?? {})) add(field, asList(values));
  add('science_keyword', asList(criteria.scienceKeyword));
  add('scientific_category', asList(criteria.scientificCategory));
  add('target_name', asList(criteria.target));

  const conds: SearchCondition[] = [];
  for (const [field, values] of fields) {
    if (!OBSCORE_STRING_COLUMNS.includes(field)) {
      throw new ArchiveError(
        `unknown search field ${JSON.stringify(field)}; valid fields are ${OBSCORE_STRING_COLUMNS.join(', ')}`,
      );
    }
    if (field === 'data_rights' || field === 'scan_intent') {
      throw new ArchiveError(
        `${field} is set by the 'public' and 'scanIntent' criteria, not by fields`,
      );
    }
    const cond = keywordCondition(field, values);
    checkVocabulary(cond);
    conds.push(cond);
  }

  if (criteria.cone) {
    const { ra, dec } = criteria.cone;
    finiteOrThrow('cone.ra', ra);
    finiteOrThrow('cone.dec', dec);
    const r =
      finiteOrThrow(
        'cone.radiusArcmin',
        criteria.cone.radiusArcmin ?? DEFAULT_SEARCH_CRITERIA.coneRadiusArcmin,
      ) / 60;
    const contains = `1 = CONTAINS(POINT('ICRS',${ra},${dec}), s_region)`;
    conds.push({
      field: 'cone',
      values: [],
      adql: criteria.cone.point
        ? `(${contains})`
        : `(1 = INTERSECTS(CIRCLE('ICRS',${ra},${dec},${r}), s_region) OR ${contains})`,
    });
  }
  if (criteria.releasedAfter !== undefined) {
    const date = isoDate(criteria.releasedAfter);
    conds.push({
      field: 'releasedAfter',
      values: [],
      adql: `(obs_release_date >= ${adqlString(date)})`,
      test: (row) => cellText(row.obs_release_date) >= date,
    });
  }
  if (criteria.maxResolutionArcsec !== undefined) {
    const max = finiteOrThrow('maxResolutionArcsec', criteria.maxResolutionArcsec);
    conds.push({
      field: 'maxResolutionArcsec',
      values: [],
      adql: `(s_resolution < ${max})`,
      test: (row) => typeof row.s_resolution === 'number' && row.s_resolution < max,
    });
  }
  if (criteria.bands && criteria.bands.length > 0) {
    const bands = criteria.bands.map((b) => {
      if (!Number.isInteger(b) || b < 1 || b > 10)
        throw new ArchiveError(`ALMA band must be 1–10, got ${b}`);
      return b;
    });
    // band_list is text ("3 6") on the ALMA services; LIKE cannot tell 1 from 10, the row test can.
    conds.push({
      field: 'bands',
      values: [],
      adql: `(${bands.map((b) => `band_list LIKE '%${b}%'`).join(' OR ')})`,
      test: (row) => bandsOf(row.band_list).some((b) => bands.includes(b)),
    });
  }
  if (criteria.published === true || criteria.published === false) {
    const want = criteria.published;
    conds.push({
      field: 'published',
      values: [],
      adql: want ? '(publication_year IS NOT NULL)' : '(publication_year IS NULL)',
      // Some serialisations write a missing year as -1 rather than null.
      test: (row) =>
        (typeof row.publication_year === 'number' && row.publication_year > 0) === want,
    });
  }
  const pub = criteria.public === undefined ? DEFAULT_SEARCH_CRITERIA.public : criteria.public;
  if (pub !== null) {
    conds.push(keywordCondition('data_rights', [pub ? 'Public' : 'Proprietary']));
  }
  const intent =
    criteria.scanIntent === undefined ? DEFAULT_SEARCH_CRITERIA.scanIntent : criteria.scanIntent;
  if (intent !== null) conds.push(keywordCondition('scan_intent', [intent]));
  return conds;
}

/**
 * Build the ADQL query on `ivoa.obscore` for `criteria`, with ALminer's `keysearch` semantics
 * (see {@link SearchCriteria}); for ALminer's documented examples the text is identical to
 * ALminer's. Unlike ALminer, quotes inside values are escaped, field names are checked, and
 * `science_keyword`/`scientific_category` values that cannot match the archive's vocabulary are
 * rejected with the closest valid values. `%` and `_` in values act as `LIKE` wildcards.
 *
 * @throws ArchiveError for an unknown field, an unknown vocabulary value, or a non-finite number
 */
export function buildKeywordQuery(criteria: SearchCriteria): string {
  return conditionsQuery(searchConditions(criteria));
}

/** The ObsCore query that ANDs `conds` (as {@link searchConditions} returns them), ordered by project. */
export function conditionsQuery(conds: readonly SearchCondition[]): string {
  return `SELECT * FROM ivoa.obscore WHERE ${conds.map((c) => c.adql).join(' AND ')} ORDER BY proposal_id`;
}
