import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  CATALOGUE_COLUMNS,
  catalogueCrtf,
  catalogueCsv,
  catalogueDs9,
  catalogueVotable,
  type CatalogueRow,
} from '../src/report/catalogue.js';

const tmp = mkdtempSync(join(tmpdir(), 'catalogue-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function hasAstropy(): boolean {
  if (!existsSync('/usr/bin/python3')) return false;
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import astropy'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}
const astropy = hasAstropy();

const HOSTILE = 'we,ird "name"\nline2 <&> \'q\' ρ Oph; {x} #.fits';

const SERPENS: CatalogueRow = {
  file: 'serpenssouthc7_2019_band6_0.fits',
  object: 'Serpens_South_C7',
  sourceIndex: 0,
  raDeg: 277.5172039582,
  decDeg: -2.050756896391,
  frame: 'ICRS',
  raHms: '18h30m04.129s',
  decDms: '-02d03m02.72s',
  peakRow: 241,
  peakCol: 242,
  score: 0.934,
  scoreErr: 0.021,
  label: 'positive',
  peakJyBeam: 0.11841459572315216,
  integratedJy: 0.5579530176229327,
  integratedErrJy: 0.011664755030364257,
  rmsJyBeam: 0.0013343037034219685,
  snr: 88.74635918304425,
  beamMajorArcsec: 0.7000602483747,
  beamMinorArcsec: 0.4541097581388,
  beamPaDeg: -60.88540649414,
  pixelScaleArcsec: 0.09299999991092,
  projectCode: '2019.1.01234.S',
  memberOus: 'uid://A001/X1465/X2a0f',
};

const ROWS: CatalogueRow[] = [
  SERPENS,
  {
    file: HOSTILE,
    object: 'a <b>&amp; "c", d',
    sourceIndex: 3,
    raDeg: 0.000012,
    decDeg: -89.99,
    peakRow: 0,
    peakCol: 1,
    score: NaN,
    snr: Infinity,
    label: '#neg, "x"\ny',
    beamMajorArcsec: 1.2, // no minor axis and no PA: drawn as a circle
  },
  { file: 'nowcs.fits', sourceIndex: 1, peakRow: 5, peakCol: 6, score: 0.5 },
  {
    file: 'b335_2017_band6_0.fits',
    object: 'B335',
    sourceIndex: 0,
    raDeg: 294.253725,
    decDeg: 7.569330555556,
    peakRow: 493,
    peakCol: 491,
    score: 0.12,
    beamMajorArcsec: 0.0317,
    beamMinorArcsec: 0.0229,
    beamPaDeg: 150,
  },
];

const FK5_ROW: CatalogueRow = {
  ...SERPENS,
  file: 'old.fits',
  frame: 'FK5',
  raDeg: 83.63308,
  decDeg: 22.0145,
  beamPaDeg: 10,
};

/** What a cell should read back as: undefined and NaN as null (astropy masks both). */
function expected(row: CatalogueRow, key: keyof CatalogueRow): string | number | null {
  const v = row[key];
  if (v === undefined || (typeof v === 'number' && Number.isNaN(v))) return null;
  if (v === Infinity) return 'inf';
  return v;
}

/** Run a Python script on the files and parse the JSON it prints; astropy's warnings (unknown units, invalid UCDs) fail it. */
function python(script: string, ...args: string[]): unknown {
  const out = execFileSync(
    '/usr/bin/python3',
    ['-W', 'error::UserWarning', '-c', script, ...args],
    {
      encoding: 'utf8',
    },
  );
  return JSON.parse(out);
}

// Every cell as JSON: masked → null, ±inf → 'inf'/'-inf', numpy scalars → Python values.
const PY_CELLS = `
import json, math, sys
import numpy as np
from astropy.table import Table
def cell(col, i):
    if np.ma.is_masked(col[i]):
        return None
    v = col[i].item() if hasattr(col[i], 'item') else col[i]
    if isinstance(v, float) and math.isinf(v):
        return 'inf' if v > 0 else '-inf'
    if isinstance(v, float) and math.isnan(v):
        return None
    return v
def dump(t):
    return {name: {'unit': None if t[name].unit is None else t[name].unit.to_string('vounit'),
                   'ucd': t[name].meta.get('ucd'),
                   'values': [cell(t[name], i) for i in range(len(t))]} for name in t.colnames}
`;

describe('catalogueCsv', () => {
  it('writes one header line with the units in the column names, then a line per row', () => {
    const csv = catalogueCsv(ROWS);
    expect(csv.startsWith('file,object,source_index,ra_deg,dec_deg,frame,equinox_yr,')).toBe(true);
    expect(csv.split('\r\n')[0].split(',')).toEqual(CATALOGUE_COLUMNS.map((c) => c.name));
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(parseCsv(csv)).toHaveLength(ROWS.length + 1);
  });

  it('round-trips every value, hostile strings included, through an RFC 4180 parser', () => {
    const [header, ...records] = parseCsv(catalogueCsv(ROWS));
    ROWS.forEach((row, i) => {
      CATALOGUE_COLUMNS.forEach((c, j) => {
        expect(header[j]).toBe(c.name);
        const v = row[c.key];
        const text = records[i][j];
        if (v === undefined) expect(text).toBe('');
        else if (typeof v === 'number') expect(Number(text.replace('inf', 'Infinity'))).toBe(v);
        else expect(text).toBe(v);
      });
    });
  });

  it.skipIf(!astropy)('astropy reads it (format ascii.csv) with the same values', () => {
    const path = join(tmp, 'candidates.csv');
    writeFileSync(path, catalogueCsv(ROWS));
    const got = python(
      `${PY_CELLS}\nprint(json.dumps(dump(Table.read(sys.argv[1], format='ascii.csv'))))`,
      path,
    ) as Record<string, { values: unknown[] }>;
    expect(Object.keys(got)).toEqual(CATALOGUE_COLUMNS.map((c) => c.name));
    for (const c of CATALOGUE_COLUMNS) {
      // astropy trims spaces around a text cell and reads CRLF in a quoted one as LF, so these
      // rows have neither (docs/catalogues.md says so).
      const want = ROWS.map((r) => expected(r, c.key));
      expect(got[c.name].values, c.name).toEqual(want);
    }
  });
});

describe('catalogueVotable', () => {
  it.skipIf(!astropy)(
    'astropy parses it strictly (verify=exception) with the same values, units, UCDs and COOSYS',
    () => {
      const path = join(tmp, 'candidates.vot');
      writeFileSync(
        path,
        catalogueVotable(ROWS, { description: 'run <1> & "2"', info: { model: 'm&1' } }),
      );
      const got = python(
        `${PY_CELLS}
import astropy.units as u
from astropy.io.votable import parse
v = parse(sys.argv[1], verify='exception')
t = v.get_first_table()
print(json.dumps({
    'coosys': [(c.ID, c.system, c.equinox) for c in v.resources[0].coordinate_systems],
    'info': {i.name: i.value for i in v.resources[0].infos},
    'description': t.description,
    'fields': [(f.name, f.datatype, f.ref) for f in t.fields],
    'table': dump(Table.read(sys.argv[1], format='votable')),
    # Our unit strings as astropy writes them in VOUnit, to compare with what it read.
    'units': {s: u.Unit(s, format='vounit').to_string('vounit') for s in json.loads(sys.argv[2])},
}))`,
        path,
        JSON.stringify(CATALOGUE_COLUMNS.flatMap((c) => (c.unit === undefined ? [] : [c.unit]))),
      ) as {
        coosys: [string, string, string | null][];
        info: Record<string, string>;
        description: string;
        fields: [string, string, string | null][];
        table: Record<string, { unit: string | null; ucd: string; values: unknown[] }>;
        units: Record<string, string>;
      };
      expect(got.coosys).toEqual([['coosys', 'ICRS', null]]);
      expect(got.info.model).toBe('m&1');
      expect(got.info.creator).toMatch(/^alma-classifier \d/);
      expect(got.description).toBe('run <1> & "2"');
      const refs = Object.fromEntries(got.fields.map(([n, , ref]) => [n, ref]));
      expect(refs.ra_deg).toBe('coosys');
      expect(refs.dec_deg).toBe('coosys');
      const types = Object.fromEntries(got.fields.map(([n, t]) => [n, t]));
      expect(types.file).toBe('unicodeChar'); // 'ρ' is not ASCII
      expect(types.object).toBe('char');
      expect(types.source_index).toBe('int');
      expect(types.ra_deg).toBe('double');
      for (const c of CATALOGUE_COLUMNS) {
        const col = got.table[c.name];
        expect(col.ucd, c.name).toBe(c.ucd);
        expect(col.unit, c.name).toBe(c.unit === undefined ? null : got.units[c.unit]);
        const want = ROWS.map((r) => {
          const e = expected(r, c.key);
          // An undefined text cell is the empty string, not null, in a VOTable.
          return e === null && c.type === 'string' ? '' : e;
        });
        expect(col.values, c.name).toEqual(want);
      }
      expect(got.table.ra_deg.values[0]).toBe(SERPENS.raDeg);
      expect(got.table.ra_deg.values[1]).toBe(0.000012);
    },
  );

  it.skipIf(!astropy)('names an FK5 frame with its equinox in COOSYS', () => {
    const path = join(tmp, 'fk5.vot');
    writeFileSync(
      path,
      catalogueVotable([FK5_ROW, { ...FK5_ROW, frame: undefined, equinox: 2000 }]),
    );
    const got = python(
      `import json, sys
from astropy.io.votable import parse
v = parse(sys.argv[1], verify='exception')
print(json.dumps([(c.system, c.equinox) for c in v.resources[0].coordinate_systems]))`,
      path,
    );
    expect(got).toEqual([['eq_FK5', 'J2000']]);
  });

  it('escapes markup and refuses rows in two frames', () => {
    const vot = catalogueVotable(ROWS);
    expect(vot).toContain('<TD>a &#60;b&#62;&#38;amp; &#34;c&#34;, d</TD>');
    expect(vot).not.toContain('<b>');
    expect(() => catalogueVotable([SERPENS, FK5_ROW])).toThrow(
      /2 frames \(ICRS, FK5 J2000\).*one file per frame/,
    );
  });

  it('replaces characters XML 1.0 cannot hold and keeps CR', () => {
    const vot = catalogueVotable([{ ...SERPENS, object: 'a\u0001b\rc\ud800d' }]);
    expect(vot).toContain('<TD>a\ufffdb&#13;c\ufffdd</TD>');
  });
});

interface RegionLine {
  frame: string;
  shape: string;
  args: string[];
  props: Record<string, string[]>;
}

/** Read the shapes of a DS9 region file: frame lines, `shape(args) # key=value ...`. */
function parseDs9(text: string): { header: string; lines: RegionLine[] } {
  const all = text.split('\n').filter((l) => l !== '');
  let frame = '';
  const lines: RegionLine[] = [];
  for (const line of all.slice(1)) {
    if (line.startsWith('#') || line.startsWith('global ')) continue;
    if (/^(icrs|fk5|fk4)$/.test(line)) {
      frame = line;
      continue;
    }
    const m = /^(\w+)\(([^)]*)\)\s*#\s*(.*)$/.exec(line);
    if (!m) throw new Error(`not a DS9 shape line: ${line}`);
    lines.push({ frame, shape: m[1], args: m[2].split(','), props: properties(m[3]) });
  }
  return { header: all[0], lines };
}

/** `key={v}`, `key="v"`, `key='v'` or `key=v` pairs; a key may repeat. */
function properties(text: string): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of text.matchAll(/(\w+)=(?:\{([^}]*)\}|"([^"]*)"|'([^']*)'|([^\s,]+))/g)) {
    (out[m[1]] ??= []).push(m[2] ?? m[3] ?? m[4] ?? m[5]);
  }
  return out;
}

/** Read a CRTF file: `shape [[ra deg, dec deg], ...] coord=..., color=..., label="..."`. */
function parseCrtf(text: string): { header: string; lines: RegionLine[] } {
  const all = text.split('\n').filter((l) => l !== '');
  const lines: RegionLine[] = [];
  for (const line of all.slice(1)) {
    if (line.startsWith('#')) continue;
    const m = /^(\w+) \[(.*)\] (coord=.*)$/.exec(line);
    if (!m) throw new Error(`not a CRTF line: ${line}`);
    const args = m[2].replace(/[[\]]/g, '').split(', ');
    const props = properties(m[3]);
    lines.push({ frame: props.coord[0], shape: m[1], args, props });
  }
  return { header: all[0], lines };
}

const near = (text: string, unit: string, value: number, digits: number): void => {
  expect(text.endsWith(unit), `${text} in ${unit}`).toBe(true);
  expect(Number(text.slice(0, text.length - unit.length))).toBeCloseTo(value, digits);
};

describe('catalogueDs9', () => {
  it('writes the 4.1 header and, per row with a position, the beam ellipse or a circle with the score', () => {
    const { header, lines } = parseDs9(catalogueDs9(ROWS));
    expect(header).toBe('# Region file format: DS9 version 4.1');
    expect(lines).toHaveLength(3); // the row without a position is left out
    const [serpens, hostile, b335] = lines;
    expect(serpens.frame).toBe('icrs');
    expect(serpens.shape).toBe('ellipse');
    near(serpens.args[0], '', SERPENS.raDeg!, 8);
    near(serpens.args[1], '', SERPENS.decDeg!, 8);
    near(serpens.args[2], '"', SERPENS.beamMajorArcsec! / 2, 4); // semi-axes: the FWHM contour
    near(serpens.args[3], '"', SERPENS.beamMinorArcsec! / 2, 4);
    near(serpens.args[4], '', SERPENS.beamPaDeg! + 90, 3); // DS9 angle from the RA axis
    expect(serpens.props.text).toEqual(['0.934']);
    expect(serpens.props.tag).toEqual(['alma-classifier', 'positive']);
    expect(hostile.shape).toBe('circle'); // no full beam
    near(hostile.args[2], '"', 1, 4);
    near(hostile.args[0], '', 0.000012, 8);
    expect(hostile.props.text).toEqual(['NaN']);
    expect(hostile.props.tag).toEqual(['alma-classifier', '#neg, "x" y']);
    near(b335.args[4], '', 240, 3);
    expect(catalogueDs9(ROWS)).toContain('# 1 candidates without a sky position are left out');
  });

  it('says the frame again where it changes, so mixed frames each keep theirs', () => {
    const text = catalogueDs9([
      SERPENS,
      FK5_ROW,
      { ...FK5_ROW, frame: 'FK4', equinox: 1950 },
      SERPENS,
    ]);
    expect(parseDs9(text).lines.map((l) => l.frame)).toEqual(['icrs', 'fk5', 'fk4', 'icrs']);
    expect(() => catalogueDs9([{ ...FK5_ROW, equinox: 1990 }])).toThrow(
      /old\.fits source 0 is in FK5 J1990.*precess/,
    );
  });

  it('keeps hostile text on its line inside a delimiter it does not contain', () => {
    const text = catalogueDs9([SERPENS], {
      text: () => HOSTILE,
      shape: 'circle',
      radiusArcsec: 2.5,
    });
    const { lines } = parseDs9(text);
    expect(lines).toHaveLength(1);
    expect(lines[0].shape).toBe('circle');
    near(lines[0].args[2], '"', 2.5, 4);
    // The text holds braces and both quotes: braces are dropped, the newline becomes a space.
    expect(lines[0].props.text).toEqual([HOSTILE.replace('\n', ' ').replace(/[{}]/g, '')]);
    const quoted = parseDs9(catalogueDs9([SERPENS], { text: () => 'a {b} "c"' })).lines[0];
    expect(quoted.props.text).toEqual(['a {b} "c"']);
  });

  it('refuses colours that are not a name or #rrggbb', () => {
    expect(() => catalogueDs9(ROWS, { color: 'red text={x}' })).toThrow(/colour name or #rrggbb/);
    expect(catalogueDs9(ROWS, { color: '#ff8800' })).toContain('global color=#ff8800 ');
  });
});

describe('catalogueCrtf', () => {
  it('writes #CRTF and, per row, ellipse [[ra, dec], [a, b], pa] coord=… with a label', () => {
    const { header, lines } = parseCrtf(catalogueCrtf(ROWS));
    expect(header.startsWith('#CRTF')).toBe(true);
    expect(lines).toHaveLength(3);
    const [serpens, hostile, b335] = lines;
    expect(serpens.shape).toBe('ellipse');
    expect(serpens.frame).toBe('ICRS');
    near(serpens.args[0], 'deg', SERPENS.raDeg!, 8);
    near(serpens.args[1], 'deg', SERPENS.decDeg!, 8);
    near(serpens.args[2], 'arcsec', SERPENS.beamMajorArcsec! / 2, 4); // CRTF takes semi-axes
    near(serpens.args[3], 'arcsec', SERPENS.beamMinorArcsec! / 2, 4);
    near(serpens.args[4], 'deg', SERPENS.beamPaDeg!, 3); // north through east, as the beam
    expect(serpens.props.label).toEqual(['0.934']);
    expect(serpens.props.color).toEqual(['green']);
    expect(hostile.shape).toBe('circle');
    near(hostile.args[2], 'arcsec', 1, 4);
    near(b335.args[4], 'deg', 150, 3);
  });

  it('puts the frame on every line: ICRS, J2000 for FK5, B1950 for FK4', () => {
    const rows = [SERPENS, FK5_ROW, { ...FK5_ROW, frame: 'FK4' as const, equinox: undefined }];
    expect(parseCrtf(catalogueCrtf(rows)).lines.map((l) => l.frame)).toEqual([
      'ICRS',
      'J2000',
      'B1950',
    ]);
    expect(() => catalogueCrtf([{ ...FK5_ROW, frame: 'FK4', equinox: 1975 }])).toThrow(/FK4 B1975/);
  });

  it('keeps a hostile label on its line in quotes it does not contain', () => {
    const single = parseCrtf(catalogueCrtf([SERPENS], { text: () => 'say "hi",\n[x]' })).lines;
    expect(single).toHaveLength(1);
    expect(single[0].props.label).toEqual(['say "hi", [x]']);
    const both = parseCrtf(catalogueCrtf([SERPENS], { text: () => HOSTILE })).lines;
    expect(both[0].props.label).toEqual([HOSTILE.replace('\n', ' ').replace(/"/g, '')]);
  });
});

describe('row checks', () => {
  it('refuses RA without Dec, positions off the sphere and fractional pixels', () => {
    const { decDeg: _dec, ...noDec } = SERPENS;
    void _dec;
    expect(() => catalogueCsv([noDec])).toThrow(/row 0 .*raDeg and decDeg must be given together/);
    expect(() => catalogueVotable([{ ...SERPENS, decDeg: 91 }])).toThrow(/not a sky position/);
    expect(() => catalogueDs9([{ ...SERPENS, peakRow: 1.5 }])).toThrow(
      /peakRow must be an integer/,
    );
  });
});

/** RFC 4180: fields split on commas, records on CRLF, `"…"` with `""` inside a field. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i];
    if (ch === '"' && field === '') {
      i++;
      while (i < text.length) {
        if (text[i] === '"' && text[i + 1] === '"') {
          field += '"';
          i += 2;
        } else if (text[i] === '"') {
          i++;
          break;
        } else field += text[i++];
      }
    } else if (ch === ',') {
      record.push(field);
      field = '';
      i++;
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      field += ch;
      i++;
    }
  }
  return records;
}
