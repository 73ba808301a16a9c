// Candidate catalogues in the formats astronomers open: CSV, VOTable, DS9 and CASA regions.
// Pure string writers, browser-safe; the caller writes the files.
import { VERSION } from '../core/version.js';

/** An equatorial reference frame, as FITS `RADESYS` names it. */
export type CatalogueFrame = 'ICRS' | 'FK5' | 'FK4';

/**
 * One classified candidate on the sky. Optional fields may be undefined (an image without a
 * celestial WCS has no RA/Dec, one without BMAJ no beam); every writer says what it does then.
 */
export interface CatalogueRow {
  /** The FITS file (path or name) the candidate comes from. */
  file: string;
  /** Object name, e.g. the header's `OBJECT`. */
  object?: string;
  /** Index of the source within its file, 0 = the first. */
  sourceIndex: number;
  /** Right ascension of the peak, degrees, in {@link CatalogueRow.frame}. */
  raDeg?: number;
  /** Declination of the peak, degrees, in {@link CatalogueRow.frame}. */
  decDeg?: number;
  /**
   * Frame of `raDeg`/`decDeg`. When undefined, the FITS rule (WCS Paper II) applies: ICRS
   * without an equinox, FK4 for an equinox before 1984, FK5 from 1984 on.
   */
  frame?: CatalogueFrame;
  /** Equinox of FK5 (Julian, default 2000) or FK4 (Besselian, default 1950) positions, years. */
  equinox?: number;
  /** Right ascension as sexagesimal text, e.g. `18h30m04.129s`. */
  raHms?: string;
  /** Declination as sexagesimal text, e.g. `-02d03m02.72s`. */
  decDms?: string;
  /** Row of the peak pixel, 0-based numpy order (FITS y − 1). */
  peakRow: number;
  /** Column of the peak pixel, 0-based numpy order (FITS x − 1). */
  peakCol: number;
  /** Classifier score of the positive class, in [0, 1]. */
  score: number;
  /** Uncertainty of the score (e.g. the spread over an ensemble or test-time augmentations). */
  scoreErr?: number;
  /** Class label, assigned or known (e.g. `'positive'`). */
  label?: string;
  /** Peak intensity, Jy/beam. */
  peakJyBeam?: number;
  /** Integrated flux density, Jy. */
  integratedJy?: number;
  /** 1σ error of {@link CatalogueRow.integratedJy}, Jy. */
  integratedErrJy?: number;
  /** Image noise (robust rms away from the source), Jy/beam. */
  rmsJyBeam?: number;
  /** Peak signal-to-noise ratio. */
  snr?: number;
  /** Beam FWHM along the major axis, arcsec. */
  beamMajorArcsec?: number;
  /** Beam FWHM along the minor axis, arcsec. */
  beamMinorArcsec?: number;
  /** Beam position angle, degrees, north through east. */
  beamPaDeg?: number;
  /** Pixel size, arcsec per pixel. */
  pixelScaleArcsec?: number;
  /** ALMA project code, e.g. `'2019.1.01234.S'`. */
  projectCode?: string;
  /** Member OUS UID, e.g. `'uid://A001/X1465/X2a0f'`. */
  memberOus?: string;
  /**
   * `'fainter'` or `'brighter'` when the object's model input lies outside the range of the
   * model's training inputs, so its score is an extrapolation (`Candidate.outsideTraining`).
   */
  outsideTraining?: string;
}

/** One column of the CSV and VOTable catalogues. */
export interface CatalogueColumn {
  /** The row field it holds. */
  key: keyof CatalogueRow;
  /** Column name, with the unit in it (`ra_deg`). */
  name: string;
  /** Value type: text, integer, or float64. */
  type: 'string' | 'int' | 'double';
  /** VOUnit string, when the column has a unit. */
  unit?: string;
  /** IVOA UCD1+ word(s). */
  ucd: string;
  /** One line saying what the column holds. */
  description: string;
}

/** The columns of {@link catalogueCsv} and {@link catalogueVotable}, in order. */
export const CATALOGUE_COLUMNS: readonly CatalogueColumn[] = [
  {
    key: 'file',
    name: 'file',
    type: 'string',
    ucd: 'meta.id;meta.file',
    description: 'FITS file the candidate comes from',
  },
  {
    key: 'object',
    name: 'object',
    type: 'string',
    ucd: 'meta.id',
    description: 'Object name (FITS OBJECT)',
  },
  {
    key: 'sourceIndex',
    name: 'source_index',
    type: 'int',
    ucd: 'meta.id.part',
    description: 'Index of the source within its file, 0 = first',
  },
  {
    key: 'raDeg',
    name: 'ra_deg',
    type: 'double',
    unit: 'deg',
    ucd: 'pos.eq.ra;meta.main',
    description: 'Right ascension of the peak pixel',
  },
  {
    key: 'decDeg',
    name: 'dec_deg',
    type: 'double',
    unit: 'deg',
    ucd: 'pos.eq.dec;meta.main',
    description: 'Declination of the peak pixel',
  },
  {
    key: 'frame',
    name: 'frame',
    type: 'string',
    ucd: 'pos.frame',
    description: 'Reference frame of ra_deg and dec_deg (FITS RADESYS)',
  },
  {
    key: 'equinox',
    name: 'equinox_yr',
    type: 'double',
    unit: 'yr',
    ucd: 'time.equinox',
    description: 'Equinox of FK5 (Julian) or FK4 (Besselian) positions',
  },
  {
    key: 'raHms',
    name: 'ra_hms',
    type: 'string',
    ucd: 'pos.eq.ra',
    description: 'Right ascension, sexagesimal hours',
  },
  {
    key: 'decDms',
    name: 'dec_dms',
    type: 'string',
    ucd: 'pos.eq.dec',
    description: 'Declination, sexagesimal degrees',
  },
  {
    key: 'peakRow',
    name: 'peak_row_pix',
    type: 'int',
    unit: 'pixel',
    ucd: 'pos.cartesian.y;instr.pixel',
    description: 'Row of the peak pixel, 0-based numpy order (FITS y - 1)',
  },
  {
    key: 'peakCol',
    name: 'peak_col_pix',
    type: 'int',
    unit: 'pixel',
    ucd: 'pos.cartesian.x;instr.pixel',
    description: 'Column of the peak pixel, 0-based numpy order (FITS x - 1)',
  },
  {
    key: 'score',
    name: 'score',
    type: 'double',
    ucd: 'stat.probability',
    description: 'Classifier score of the positive class (0-1, not a calibrated probability)',
  },
  {
    key: 'scoreErr',
    name: 'score_err',
    type: 'double',
    ucd: 'stat.error;stat.probability',
    description: 'Uncertainty of the score',
  },
  {
    key: 'label',
    name: 'label',
    type: 'string',
    ucd: 'meta.code.class',
    description: 'Class label',
  },
  {
    key: 'peakJyBeam',
    name: 'peak_jy_beam',
    type: 'double',
    unit: 'Jy/beam',
    ucd: 'phot.flux.density;stat.max',
    description: 'Peak intensity',
  },
  {
    key: 'integratedJy',
    name: 'integrated_jy',
    type: 'double',
    unit: 'Jy',
    ucd: 'phot.flux.density',
    description: 'Integrated flux density over the object',
  },
  {
    key: 'integratedErrJy',
    name: 'integrated_err_jy',
    type: 'double',
    unit: 'Jy',
    ucd: 'stat.error;phot.flux.density',
    description: '1-sigma noise error of integrated_jy',
  },
  {
    key: 'rmsJyBeam',
    name: 'rms_jy_beam',
    type: 'double',
    unit: 'Jy/beam',
    ucd: 'stat.stdev;phot.flux.density',
    description: 'Image noise, robust rms away from the source',
  },
  {
    key: 'snr',
    name: 'snr',
    type: 'double',
    ucd: 'stat.snr',
    description: 'Peak signal-to-noise ratio',
  },
  {
    key: 'beamMajorArcsec',
    name: 'beam_major_arcsec',
    type: 'double',
    unit: 'arcsec',
    ucd: 'phys.angSize.smajAxis;instr.beam',
    description: 'Beam FWHM, major axis',
  },
  {
    key: 'beamMinorArcsec',
    name: 'beam_minor_arcsec',
    type: 'double',
    unit: 'arcsec',
    ucd: 'phys.angSize.sminAxis;instr.beam',
    description: 'Beam FWHM, minor axis',
  },
  {
    key: 'beamPaDeg',
    name: 'beam_pa_deg',
    type: 'double',
    unit: 'deg',
    ucd: 'pos.posAng;instr.beam',
    description: 'Beam position angle, north through east',
  },
  {
    key: 'pixelScaleArcsec',
    name: 'pixel_scale_arcsec',
    type: 'double',
    unit: 'arcsec/pixel',
    ucd: 'instr.scale',
    description: 'Pixel size',
  },
  {
    key: 'projectCode',
    name: 'project_code',
    type: 'string',
    ucd: 'meta.id;obs.proposal',
    description: 'ALMA project code',
  },
  {
    key: 'memberOus',
    name: 'member_ous',
    type: 'string',
    ucd: 'meta.id;meta.dataset',
    description: 'ALMA member OUS UID',
  },
  {
    key: 'outsideTraining',
    name: 'outside_training',
    type: 'string',
    ucd: 'meta.code.qual',
    description:
      'fainter or brighter: the model input lies outside the range of the training inputs (the score is an extrapolation)',
  },
];

/**
 * The candidates as CSV (RFC 4180): one header line of the {@link CATALOGUE_COLUMNS} names
 * (units in the names: `ra_deg`, `peak_jy_beam`), then one line per row, CRLF line ends.
 * Numbers are written in full (the shortest text that reads back as the same float64); NaN and
 * ±Infinity as `nan`, `inf`, `-inf` (what numpy and astropy read). A field is quoted, with `"`
 * doubled, when it holds `"`, `,`, CR or LF, starts with `#` (astropy would take the line for a
 * comment) or starts or ends with a space. An undefined field, and an empty string, is empty.
 *
 * @param rows - the candidates
 * @returns the file's text
 * @throws RangeError when a row is invalid (see {@link catalogueVotable})
 */
export function catalogueCsv(rows: readonly CatalogueRow[]): string {
  checkRows(rows, 'catalogueCsv');
  const lines = [CATALOGUE_COLUMNS.map((c) => c.name).join(',')];
  for (const row of rows) {
    lines.push(CATALOGUE_COLUMNS.map((c) => csvField(row[c.key])).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

function csvField(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'nan';
    if (value === Infinity) return 'inf';
    if (value === -Infinity) return '-inf';
    return String(value);
  }
  if (/[",\r\n]/.test(value) || value.startsWith('#') || /^\s|\s$/.test(value)) {
    return `"${value.replace(/"/g, '""')}"`;
  }
  return value;
}

/** Metadata of a {@link catalogueVotable} file. */
export interface CatalogueVotableMeta {
  /** `name` of the TABLE. Default `'candidates'`. */
  name?: string;
  /** Text of the table's DESCRIPTION. Default: none. */
  description?: string;
  /** `INFO` elements of the RESOURCE, name → value (e.g. the model, the run's date). */
  info?: Record<string, string>;
}

/** Defaults of {@link CatalogueVotableMeta}. */
export const DEFAULT_CATALOGUE_VOTABLE_META: Required<Omit<CatalogueVotableMeta, 'description'>> = {
  name: 'candidates',
  info: {},
};

/**
 * The candidates as a VOTable 1.4 with TABLEDATA, as TOPCAT, Aladin and astropy read it: a
 * FIELD per {@link CATALOGUE_COLUMNS} entry with `datatype` (`char`, or `unicodeChar` for a
 * column with non-ASCII text; `int`; `double`), `unit`, `ucd` and a DESCRIPTION; `INFO
 * name="creator"` naming this library; and a COOSYS for the rows' frame (`ICRS`, `eq_FK5` with
 * `equinox="J2000"`, `eq_FK4` with `equinox="B1950"`) that the RA/Dec FIELDs reference.
 *
 * Nulls: an undefined value is an empty cell, which VOTable 1.4 (§6) reads as null for
 * `double` and as the empty string for text (astropy masks both); NaN is written `NaN`,
 * ±Infinity `+Inf`/`-Inf`. The integer columns are never undefined. Text is XML-escaped
 * (`& < > " '`, CR as `&#13;` so it survives XML's line-end normalisation); characters XML 1.0
 * cannot hold (C0 controls other than TAB, LF, CR; lone surrogates) become U+FFFD.
 *
 * @param rows - the candidates
 * @param meta - see {@link CatalogueVotableMeta}
 * @returns the file's text (UTF-8 declared)
 * @throws RangeError when the rows with a position are in more than one frame (one VOTable
 *   names one COOSYS: write one file per frame), or a row is invalid: RA without Dec or the
 *   reverse, a non-finite position, a declination beyond ±90°, or a non-integer pixel or index
 */
export function catalogueVotable(
  rows: readonly CatalogueRow[],
  meta: CatalogueVotableMeta = {},
): string {
  const fn = 'catalogueVotable';
  checkRows(rows, fn);
  const { name, info } = { ...DEFAULT_CATALOGUE_VOTABLE_META, ...meta };
  const frames = new Map<string, ResolvedFrame>();
  for (const row of rows) {
    if (row.raDeg === undefined) continue;
    const f = resolveFrame(row);
    frames.set(frameKey(f), f);
  }
  if (frames.size > 1) {
    throw new RangeError(
      `${fn}: the rows are in ${frames.size} frames (${[...frames.keys()].join(', ')}); a ` +
        'VOTable names one COOSYS, so write one file per frame',
    );
  }
  const frame = [...frames.values()][0] ?? { frame: 'ICRS', equinox: undefined };
  const coosys =
    frame.frame === 'ICRS'
      ? 'system="ICRS"'
      : `system="eq_${frame.frame}" equinox="${frame.frame === 'FK5' ? 'J' : 'B'}${frame.equinox}"`;
  const positional = new Set<keyof CatalogueRow>(['raDeg', 'decDeg', 'raHms', 'decDms']);
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<VOTABLE version="1.4" xmlns="http://www.ivoa.net/xml/VOTable/v1.3"' +
      ' xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"' +
      ' xsi:schemaLocation="http://www.ivoa.net/xml/VOTable/v1.3 http://www.ivoa.net/xml/VOTable/VOTable-1.4.xsd">',
    ' <RESOURCE type="results">',
    `  <INFO name="creator" value="alma-classifier ${VERSION}"/>`,
  ];
  for (const [k, v] of Object.entries(info)) {
    out.push(`  <INFO name="${xmlText(k)}" value="${xmlText(v)}"/>`);
  }
  out.push(`  <COOSYS ID="coosys" ${coosys}/>`);
  out.push(`  <TABLE name="${xmlText(name)}" nrows="${rows.length}">`);
  if (meta.description !== undefined) {
    out.push(`   <DESCRIPTION>${xmlText(meta.description)}</DESCRIPTION>`);
  }
  for (const c of CATALOGUE_COLUMNS) {
    const datatype =
      c.type === 'string'
        ? rows.some((r) => /[\u0080-\uffff]/.test(String(r[c.key] ?? '')))
          ? 'datatype="unicodeChar" arraysize="*"'
          : 'datatype="char" arraysize="*"'
        : `datatype="${c.type}"`;
    const unit = c.unit === undefined ? '' : ` unit="${c.unit}"`;
    const ref = positional.has(c.key) ? ' ref="coosys"' : '';
    out.push(
      `   <FIELD name="${c.name}" ID="${c.name}" ${datatype}${unit} ucd="${c.ucd}"${ref}>` +
        `<DESCRIPTION>${xmlText(c.description)}</DESCRIPTION></FIELD>`,
    );
  }
  out.push('   <DATA>', '    <TABLEDATA>');
  for (const row of rows) {
    const cells = CATALOGUE_COLUMNS.map((c) => `<TD>${votableCell(row[c.key])}</TD>`);
    out.push(`     <TR>${cells.join('')}</TR>`);
  }
  out.push('    </TABLEDATA>', '   </DATA>', '  </TABLE>', ' </RESOURCE>', '</VOTABLE>', '');
  return out.join('\n');
}

function votableCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (value === Infinity) return '+Inf';
    if (value === -Infinity) return '-Inf';
    return String(value);
  }
  return xmlText(value);
}

/** Escape text for XML content and attributes; replace what XML 1.0 cannot hold. */
function xmlText(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const ch = text[i];
    if (code >= 0xd800 && code <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        out += ch + text[++i];
        continue;
      }
      out += '\ufffd'; // a lone high surrogate
    } else if ((code >= 0xdc00 && code <= 0xdfff) || code === 0xfffe || code === 0xffff) {
      out += '\ufffd';
    } else if (code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) {
      out += '\ufffd';
    } else if ('&<>"\'\r'.includes(ch)) {
      out += `&#${code};`;
    } else {
      out += ch;
    }
  }
  return out;
}

/** Options of {@link catalogueDs9} and {@link catalogueCrtf}. */
export interface CatalogueRegionOptions {
  /**
   * `'beam'`: the beam's FWHM ellipse at each position (a circle of `radiusArcsec` for a row
   * without a full beam); `'circle'`: always a circle of `radiusArcsec`. Default `'beam'`.
   */
  shape?: 'beam' | 'circle';
  /** Circle radius, arcsec. Default 1. */
  radiusArcsec?: number;
  /** Region colour: a name (`green`) or `#rrggbb`. Default `'green'`. */
  color?: string;
  /** The text shown at each region. Default: the score with 3 decimals. */
  text?: (row: CatalogueRow) => string;
  /** DS9 `tag` every region carries (besides the row's label). Default `'alma-classifier'`. */
  tag?: string;
}

/** Defaults of {@link CatalogueRegionOptions}. */
export const DEFAULT_CATALOGUE_REGION_OPTIONS: Required<CatalogueRegionOptions> = {
  shape: 'beam',
  radiusArcsec: 1,
  color: 'green',
  text: (row) => (Number.isFinite(row.score) ? row.score.toFixed(3) : String(row.score)),
  tag: 'alma-classifier',
};

/**
 * The candidates as a DS9 region file (format 4.1), in sky coordinates: a frame line (`icrs`,
 * `fk5` = FK5 J2000, `fk4` = FK4 B1950) before the first row and again wherever the frame
 * changes, so rows in different frames each keep theirs; then per row
 * `ellipse(ra,dec,a",b",angle)` with the beam's half widths (the FWHM contour) and DS9's
 * angle = PA + 90° (DS9 measures from the RA axis, the beam PA from north through east), or
 * `circle(ra,dec,r")`; and `# color=… text={…} tag={alma-classifier} tag={label}`. Positions in
 * degrees to 1e-8° (36 µas), sizes to 0.1 mas.
 *
 * Rows without a sky position are left out (a comment line counts them). Text and tags go in
 * `{}`, or `"…"` or `'…'` when the text holds a brace; line breaks become spaces, and when the
 * text holds all three delimiters its braces are dropped.
 *
 * @param rows - the candidates
 * @param opts - see {@link CatalogueRegionOptions}
 * @returns the file's text
 * @throws RangeError for an FK5 equinox other than 2000 or an FK4 equinox other than 1950
 *   (DS9 has no frame for them), a colour that is not a name or `#rrggbb`, or an invalid row
 */
export function catalogueDs9(
  rows: readonly CatalogueRow[],
  opts: CatalogueRegionOptions = {},
): string {
  const fn = 'catalogueDs9';
  checkRows(rows, fn);
  const o = regionOptions(opts, fn);
  const out = [
    '# Region file format: DS9 version 4.1',
    `# Written by alma-classifier ${VERSION}: ${rows.length} candidates`,
    `global color=${o.color} width=1 font="helvetica 10 normal roman" select=1 highlite=1 dash=0 fixed=0 edit=1 move=1 delete=1 include=1 source=1`,
  ];
  const braces: Delimiters = [
    ['{', '}'],
    ['"', '"'],
    ["'", "'"],
  ];
  let current = '';
  let skipped = 0;
  for (const row of rows) {
    if (row.raDeg === undefined || row.decDeg === undefined) {
      skipped++;
      continue;
    }
    const frame = fixedEquinoxFrame(row, fn, { ICRS: 'icrs', FK5: 'fk5', FK4: 'fk4' });
    if (frame !== current) out.push(frame);
    current = frame;
    const at = `${fmtDeg(row.raDeg)},${fmtDeg(row.decDeg)}`;
    const beam = beamOf(row, o.shape);
    const shape =
      beam === undefined
        ? `circle(${at},${fmtArcsec(o.radiusArcsec)}")`
        : `ellipse(${at},${fmtArcsec(beam.major / 2)}",${fmtArcsec(beam.minor / 2)}",${fmtAngle((((beam.pa + 90) % 360) + 360) % 360)})`;
    const tags = [o.tag, ...(row.label === undefined ? [] : [row.label])]
      .map((t) => ` tag=${delimit(t, braces)}`)
      .join('');
    out.push(`${shape} # text=${delimit(o.text(row), braces)}${tags}`);
  }
  if (skipped > 0) out.push(`# ${skipped} candidates without a sky position are left out`);
  return out.join('\n') + '\n';
}

/**
 * The candidates as a CASA region text file (CRTF v0), as CASA tasks, the CASA viewer and
 * CARTA read it: per row `ellipse [[ra deg, dec deg], [a arcsec, b arcsec], pa deg]` with the
 * beam's half widths (CRTF's ellipse takes semi-axes, so it is the FWHM contour) and the beam
 * PA (north through east, of the first axis), or `circle [[ra, dec], r arcsec]`; then
 * `coord=ICRS` (FK5 J2000 → `J2000`, FK4 B1950 → `B1950`) on every line, so rows in different
 * frames each keep theirs, and `color=…, label="…"`.
 *
 * Rows without a sky position are left out (a comment line counts them). The label goes in
 * `"…"`, or `'…'` when it holds `"`; line breaks become spaces, and when it holds both quotes
 * its `"` are dropped.
 *
 * @param rows - the candidates
 * @param opts - see {@link CatalogueRegionOptions} (`tag` is DS9's and unused here)
 * @returns the file's text
 * @throws RangeError for an FK5 equinox other than 2000 or an FK4 equinox other than 1950, a
 *   colour that is not a name or `#rrggbb`, or an invalid row
 */
export function catalogueCrtf(
  rows: readonly CatalogueRow[],
  opts: CatalogueRegionOptions = {},
): string {
  const fn = 'catalogueCrtf';
  checkRows(rows, fn);
  const o = regionOptions(opts, fn);
  const color = o.color.replace(/^#/, '');
  const out = [
    '#CRTFv0 CASA Region Text Format version 0',
    `# Written by alma-classifier ${VERSION}`,
  ];
  const quotes: Delimiters = [
    ['"', '"'],
    ["'", "'"],
  ];
  let skipped = 0;
  for (const row of rows) {
    if (row.raDeg === undefined || row.decDeg === undefined) {
      skipped++;
      continue;
    }
    const coord = fixedEquinoxFrame(row, fn, { ICRS: 'ICRS', FK5: 'J2000', FK4: 'B1950' });
    const at = `[${fmtDeg(row.raDeg)}deg, ${fmtDeg(row.decDeg)}deg]`;
    const beam = beamOf(row, o.shape);
    const shape =
      beam === undefined
        ? `circle [${at}, ${fmtArcsec(o.radiusArcsec)}arcsec]`
        : `ellipse [${at}, [${fmtArcsec(beam.major / 2)}arcsec, ${fmtArcsec(beam.minor / 2)}arcsec], ${fmtAngle(beam.pa)}deg]`;
    out.push(`${shape} coord=${coord}, color=${color}, label=${delimit(o.text(row), quotes)}`);
  }
  if (skipped > 0) out.push(`# ${skipped} candidates without a sky position are left out`);
  return out.join('\n') + '\n';
}

type Delimiters = [open: string, close: string][];

/** `text` on one line inside the first delimiter pair it does not contain. */
function delimit(text: string, delimiters: Delimiters): string {
  const flat = text.replace(/\r\n|[\r\n]/g, ' ');
  for (const [open, close] of delimiters) {
    if (!flat.includes(open) && !flat.includes(close)) return open + flat + close;
  }
  const [open, close] = delimiters[0];
  return open + flat.split(open).join('').split(close).join('') + close;
}

function regionOptions(opts: CatalogueRegionOptions, fn: string): Required<CatalogueRegionOptions> {
  const o = { ...DEFAULT_CATALOGUE_REGION_OPTIONS, ...opts };
  if (o.shape !== 'beam' && o.shape !== 'circle') {
    throw new RangeError(
      `${fn}: option 'shape' must be "beam" or "circle", got ${JSON.stringify(o.shape)}`,
    );
  }
  if (!(o.radiusArcsec > 0) || !Number.isFinite(o.radiusArcsec)) {
    throw new RangeError(
      `${fn}: option 'radiusArcsec' must be a positive number, got ${o.radiusArcsec}`,
    );
  }
  if (!/^([A-Za-z]+|#[0-9A-Fa-f]{6})$/.test(o.color)) {
    throw new RangeError(
      `${fn}: option 'color' must be a colour name or #rrggbb, got ${JSON.stringify(o.color)}`,
    );
  }
  return o;
}

function beamOf(
  row: CatalogueRow,
  shape: 'beam' | 'circle',
): { major: number; minor: number; pa: number } | undefined {
  const { beamMajorArcsec: major, beamMinorArcsec: minor, beamPaDeg: pa } = row;
  if (shape === 'circle' || major === undefined || minor === undefined || pa === undefined) {
    return undefined;
  }
  if (!(major > 0 && minor > 0 && Number.isFinite(major + minor + pa))) return undefined;
  return { major, minor, pa };
}

interface ResolvedFrame {
  frame: CatalogueFrame;
  equinox: number | undefined;
}

/** The row's frame and equinox with the FITS defaults (WCS Paper II, §3.1) filled in. */
function resolveFrame(row: CatalogueRow): ResolvedFrame {
  const frame =
    row.frame ?? (row.equinox === undefined ? 'ICRS' : row.equinox < 1984 ? 'FK4' : 'FK5');
  if (frame === 'ICRS') return { frame, equinox: undefined };
  return { frame, equinox: row.equinox ?? (frame === 'FK5' ? 2000 : 1950) };
}

function frameKey(f: ResolvedFrame): string {
  return f.frame === 'ICRS' ? 'ICRS' : `${f.frame} ${f.frame === 'FK5' ? 'J' : 'B'}${f.equinox}`;
}

/** The region-file name of the row's frame; DS9 and CRTF know FK5 only at J2000, FK4 at B1950. */
function fixedEquinoxFrame(
  row: CatalogueRow,
  fn: string,
  names: Record<CatalogueFrame, string>,
): string {
  const f = resolveFrame(row);
  if ((f.frame === 'FK5' && f.equinox !== 2000) || (f.frame === 'FK4' && f.equinox !== 1950)) {
    throw new RangeError(
      `${fn}: ${row.file} source ${row.sourceIndex} is in ${frameKey(f)}; region files hold FK5 ` +
        'only at J2000 and FK4 only at B1950: precess the position first',
    );
  }
  return names[f.frame];
}

function checkRows(rows: readonly CatalogueRow[], fn: string): void {
  if (!Array.isArray(rows)) throw new TypeError(`${fn}: rows must be an array`);
  rows.forEach((row, i) => {
    const where = `${fn}: row ${i} (${row.file} source ${row.sourceIndex})`;
    for (const key of ['sourceIndex', 'peakRow', 'peakCol'] as const) {
      if (!Number.isInteger(row[key]))
        throw new RangeError(`${where}: ${key} must be an integer, got ${row[key]}`);
    }
    if ((row.raDeg === undefined) !== (row.decDeg === undefined)) {
      throw new RangeError(`${where}: raDeg and decDeg must be given together`);
    }
    if (row.raDeg !== undefined && row.decDeg !== undefined) {
      if (
        !Number.isFinite(row.raDeg) ||
        !Number.isFinite(row.decDeg) ||
        Math.abs(row.decDeg) > 90
      ) {
        throw new RangeError(
          `${where}: (${row.raDeg}, ${row.decDeg}) is not a sky position in degrees`,
        );
      }
    }
    if (row.frame !== undefined && !['ICRS', 'FK5', 'FK4'].includes(row.frame)) {
      throw new RangeError(
        `${where}: frame must be ICRS, FK5 or FK4, got ${JSON.stringify(row.frame)}`,
      );
    }
  });
}

function fmtDeg(v: number): string {
  return v.toFixed(8);
}

function fmtArcsec(v: number): string {
  return v.toFixed(4);
}

function fmtAngle(v: number): string {
  return v.toFixed(3);
}
