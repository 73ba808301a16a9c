import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError } from '../src/core/errors.js';
import { buildKeywordQuery, splitSearchValue } from '../src/archive/adql.js';
import { AlmaArchive, type ArchiveEvent } from '../src/archive/archive.js';
import { mirrorChain, mirrorUrl } from '../src/archive/mirrors.js';
import { parseVOTable, parseVOTableStream, voTableRecords } from '../src/archive/votable.js';
import { summarizeObservations } from '../src/archive/observation.js';
import {
  dataLinkDocument,
  refusedUrl,
  type DataLinkRowSpec,
  startReplayServer,
  type ReplayServer,
} from './helpers/replay-server.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/archive/${name}`, import.meta.url), 'utf8');

const TAIL =
  "AND (LOWER(data_rights) LIKE '%public%') AND (LOWER(scan_intent) LIKE '%target%') ORDER BY proposal_id";

describe('buildKeywordQuery', () => {
  // Expected strings: ALminer 0.1.x keysearch() run on its own documented examples
  // (docstring of alminer.keysearch and docs/tutorials/1_query_tools.ipynb).
  it('reproduces ALminer for words ANDed inside one value', () => {
    expect(
      buildKeywordQuery({
        fields: { proposal_abstract: ['high-mass star formation outflow disk'] },
      }),
    ).toBe(
      "SELECT * FROM ivoa.obscore WHERE ((LOWER(proposal_abstract) LIKE '%high-mass%' AND LOWER(proposal_abstract) LIKE '%star%' AND LOWER(proposal_abstract) LIKE '%formation%' AND LOWER(proposal_abstract) LIKE '%outflow%' AND LOWER(proposal_abstract) LIKE '%disk%')) " +
        TAIL,
    );
  });
  it('reproduces ALminer for several values ORed', () => {
    expect(
      buildKeywordQuery({
        fields: { proposal_abstract: ['high-mass', 'star', 'formation', 'outflow', 'disk'] },
      }),
    ).toBe(
      "SELECT * FROM ivoa.obscore WHERE (LOWER(proposal_abstract) LIKE '%high-mass%' OR LOWER(proposal_abstract) LIKE '%star%' OR LOWER(proposal_abstract) LIKE '%formation%' OR LOWER(proposal_abstract) LIKE '%outflow%' OR LOWER(proposal_abstract) LIKE '%disk%') " +
        TAIL,
    );
  });
  it('reproduces ALminer for quoted phrases kept whole', () => {
    expect(
      buildKeywordQuery({
        fields: { proposal_abstract: ["'high-mass star formation' outflow disk"] },
      }),
    ).toBe(
      "SELECT * FROM ivoa.obscore WHERE ((LOWER(proposal_abstract) LIKE '%high-mass star formation%' AND LOWER(proposal_abstract) LIKE '%outflow%' AND LOWER(proposal_abstract) LIKE '%disk%')) " +
        TAIL,
    );
    expect(
      buildKeywordQuery({
        fields: {
          proposal_abstract: [
            '"high-mass star formation" outflow disk',
            '"massive star formation" outflow disk',
          ],
        },
      }),
    ).toBe(
      "SELECT * FROM ivoa.obscore WHERE ((LOWER(proposal_abstract) LIKE '%high-mass star formation%' AND LOWER(proposal_abstract) LIKE '%outflow%' AND LOWER(proposal_abstract) LIKE '%disk%') OR (LOWER(proposal_abstract) LIKE '%massive star formation%' AND LOWER(proposal_abstract) LIKE '%outflow%' AND LOWER(proposal_abstract) LIKE '%disk%')) " +
        TAIL,
    );
  });
  it('reproduces ALminer for two fields ANDed', () => {
    expect(
      buildKeywordQuery({
        fields: { proposal_abstract: ['star formation'] },
        scientificCategory: 'Galaxy evolution',
      }),
    ).toBe(
      "SELECT * FROM ivoa.obscore WHERE ((LOWER(proposal_abstract) LIKE '%star%' AND LOWER(proposal_abstract) LIKE '%formation%')) AND ((LOWER(scientific_category) LIKE '%galaxy%' AND LOWER(scientific_category) LIKE '%evolution%')) " +
        TAIL,
    );
  });
  it('reproduces ALminer for target names and proposal ids', () => {
    expect(buildKeywordQuery({ target: ['GRB021004', 'SPT0319-47', 'G345'] })).toBe(
      "SELECT * FROM ivoa.obscore WHERE (LOWER(target_name) LIKE '%grb021004%' OR LOWER(target_name) LIKE '%spt0319-47%' OR LOWER(target_name) LIKE '%g345%') " +
        TAIL,
    );
    expect(buildKeywordQuery({ target: ['Serpens South C7', 'b335_2'] })).toBe(
      "SELECT * FROM ivoa.obscore WHERE (LOWER(target_name) LIKE '%serpens%south%c7%' OR LOWER(target_name) LIKE '%b335%2%') " +
        TAIL,
    );
    expect(
      buildKeywordQuery({ fields: { proposal_id: ['2015.1.00664.S', '2016.1.00204.S'] } }),
    ).toBe(
      "SELECT * FROM ivoa.obscore WHERE (LOWER(proposal_id) LIKE '%2015.1.00664.s%' OR LOWER(proposal_id) LIKE '%2016.1.00204.s%') " +
        TAIL,
    );
  });
  it('builds the thesis query with filters before data rights, as ALminer tutorials place them', () => {
    const q = buildKeywordQuery({
      scienceKeyword: ['Outflows, jets and ionized winds'],
      releasedAfter: '2016-01-01',
      maxResolutionArcsec: 0.4,
    });
    expect(q).toBe(
      "SELECT * FROM ivoa.obscore WHERE ((LOWER(science_keyword) LIKE '%outflows%' AND LOWER(science_keyword) LIKE '%jets%' AND LOWER(science_keyword) LIKE '%and%' AND LOWER(science_keyword) LIKE '%ionized%' AND LOWER(science_keyword) LIKE '%winds%')) AND (obs_release_date >= '2016-01-01') AND (s_resolution < 0.4) " +
        TAIL,
    );
  });
  it('escapes quotes inside values so the ADQL stays well formed (ALminer does not)', () => {
    const q = buildKeywordQuery({ fields: { obs_title: ["O'Dell nebula"] } });
    expect(q).toContain("LOWER(obs_title) LIKE '%o''dell%'");
    const sz = buildKeywordQuery({ scienceKeyword: ["Sunyaev-Zel'dovich"] });
    expect(sz).toContain("'%sunyaev-zel''dovich%'");
    // No unbalanced quote: every literal closes.
    expect((sz.match(/'/g) ?? []).length % 2).toBe(0);
  });
  it('keeps several quoted phrases apart (ALminer merges them into one)', () => {
    expect(splitSearchValue('"a b" c "d e"')).toEqual(['a b', 'c', 'd e']);
    expect(splitSearchValue('no-space')).toEqual(['no-space']);
  });
  it('rejects unknown fields, and keywords that match nothing with the closest valid ones', () => {
    expect(() => buildKeywordQuery({ fields: { not_a_column: ['x'] } })).toThrow(
      /unknown search field "not_a_column"/,
    );
    let err: unknown;
    try {
      buildKeywordQuery({ scienceKeyword: 'Low mass star formaton' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ArchiveError);
    expect((err as Error).message).toMatch(
      /unknown science_keyword "Low mass star formaton".*"Low-mass star formation"/,
    );
    expect(() => buildKeywordQuery({ scientificCategory: 'Planets' })).toThrow(/closest are/);
    // Partial values that can match a listed keyword are fine, as with ALminer's LIKE.
    expect(() => buildKeywordQuery({ scienceKeyword: 'outflows' })).not.toThrow();
  });
  it('builds cone and point searches, bands and published filters', () => {
    const cone = buildKeywordQuery({ cone: { ra: 83.8, dec: -5.4, radiusArcmin: 1.2 } });
    expect(cone).toContain(
      "(1 = INTERSECTS(CIRCLE('ICRS',83.8,-5.4,0.02), s_region) OR 1 = CONTAINS(POINT('ICRS',83.8,-5.4), s_region))",
    );
    expect(buildKeywordQuery({ cone: { ra: 1, dec: 2, point: true } })).toContain(
      "WHERE (1 = CONTAINS(POINT('ICRS',1,2), s_region)) AND",
    );
    const q = buildKeywordQuery({ target: 'x', bands: [6, 7], published: true, public: null });
    expect(q).toContain("(band_list LIKE '%6%' OR band_list LIKE '%7%')");
    expect(q).toContain('(publication_year IS NOT NULL)');
    expect(q).not.toContain('data_rights');
    expect(() => buildKeywordQuery({ maxResolutionArcsec: NaN })).toThrow(ArchiveError);
    expect(() => buildKeywordQuery({ releasedAfter: '01/01/2016' })).toThrow(/YYYY-MM-DD/);
  });
});

describe('parseVOTable', () => {
  it('reads the same rows from the TABLEDATA and BINARY2 serialisations of the keysearch fixture', () => {
    const td = parseVOTable(fixture('obscore-keysearch.tabledata.xml'));
    const b2 = parseVOTable(fixture('obscore-keysearch.binary2.xml'));
    expect(td.fields).toHaveLength(64);
    expect(td.rows).toHaveLength(7);
    expect(b2.fields.map((f) => f.name)).toEqual(td.fields.map((f) => f.name));
    expect(b2.rows).toEqual(td.rows);
    const rec = voTableRecords(td)[2];
    expect(rec.target_name).toBe('G328.2551-0.5321_A');
    expect(rec.s_resolution).toBe(0.35);
    expect(rec.band_list).toBe(3);
    expect(rec.pub_title).toBeNull();
  });
  it('turns QUERY_STATUS=ERROR into ArchiveError with the service message', () => {
    expect(() =>
      parseVOTable(fixture('pyvo-errorstatus.xml'), { source: 'http://x/tap/sync' }),
    ).toThrow(/http:\/\/x\/tap\/sync: the service reported QUERY_STATUS=ERROR/);
    const custom =
      '<VOTABLE><RESOURCE type="results"><INFO name="QUERY_STATUS" value="ERROR">Column foo does not exist</INFO></RESOURCE></VOTABLE>';
    expect(() => parseVOTable(custom)).toThrow(/QUERY_STATUS=ERROR: Column foo does not exist/);
  });
  it('reports OVERFLOW instead of ignoring it', () => {
    const t = parseVOTable(fixture('pyvo-overflowstatus.xml'));
    expect(t.overflow).toBe(true);
    expect(t.status).toBe('OVERFLOW');
    expect(t.rows.map((r) => r[0])).toEqual([23, 42, 1337]);
    expect(t.rows[1][1]).toBe("Don't panic, and always carry a towel");
  });
  it('reads DataLink service descriptors (RESOURCE PARAMs)', () => {
    const t = parseVOTable(fixture('alma-datalink.xml'));
    const svc = t.resources.filter((r) => r.utype === 'adhoc:service');
    expect(svc.map((r) => r.id)).toEqual([
      'DataLink.2017.1.01185.S_uid___A001_X12a3_Xe9_001_of_001.tar',
      'DataLink.2017.1.01185.S_uid___A001_X12a3_Xe9_auxiliary.tar',
    ]);
    expect(t.rows).toHaveLength(9);
    expect(voTableRecords(t)[1].content_length).toBe(556278784);
    expect(voTableRecords(t)[1].readable).toBe(true);
  });
  it('decodes BINARY with every primitive type, fixed and variable arrays and VALUES nulls', () => {
    // Encoded by hand from the VOTable 1.4 spec (section 5.4): big-endian, variable arrays
    // prefixed by a 4-byte element count.
    const parts: number[] = [];
    const dv = (n: number, f: (v: DataView) => void) => {
      const b = new DataView(new ArrayBuffer(n));
      f(b);
      parts.push(...new Uint8Array(b.buffer));
    };
    const row = (vals: {
      s: number;
      i: number;
      l: bigint;
      f: number;
      d: number;
      name: string;
      arr: number[];
    }) => {
      parts.push('T'.charCodeAt(0)); // boolean
      parts.push(0xa0); // bit arraysize 3 → 101
      parts.push(200); // unsignedByte
      dv(2, (v) => v.setInt16(0, vals.s));
      dv(4, (v) => v.setInt32(0, vals.i));
      dv(8, (v) => v.setBigInt64(0, vals.l));
      dv(4, (v) => v.setFloat32(0, vals.f));
      dv(8, (v) => v.setFloat64(0, vals.d));
      dv(4, (v) => v.setInt32(0, vals.name.length));
      for (const c of vals.name) parts.push(c.charCodeAt(0));
      dv(4, (v) => v.setInt32(0, 2)); // unicodeChar *
      dv(4, (v) => {
        v.setUint16(0, 0x3b1);
        v.setUint16(2, 0x3b2);
      });
      for (const x of vals.arr) dv(8, (v) => v.setFloat64(0, x)); // double arraysize 2
      dv(8, (v) => {
        v.setFloat32(0, 1.5);
        v.setFloat32(4, -2);
      }); // floatComplex
    };
    row({ s: -3, i: -99, l: 2n ** 40n, f: 0.5, d: Math.PI, name: 'ab', arr: [1, 2] });
    row({ s: 7, i: 5, l: -1n, f: NaN, d: -0.25, name: '', arr: [3, NaN] });
    const b64 = Buffer.from(parts).toString('base64');
    const doc = `<?xml version="1.0"?><VOTABLE version="1.4"><RESOURCE><TABLE>
      <FIELD name="b" datatype="boolean"/><FIELD name="bits" datatype="bit" arraysize="3"/>
      <FIELD name="u" datatype="unsignedByte"/><FIELD name="s" datatype="short"/>
      <FIELD name="i" datatype="int"><VALUES null="-99"/></FIELD><FIELD name="l" datatype="long"/>
      <FIELD name="f" datatype="float"/><FIELD name="d" datatype="double"/>
      <FIELD name="name" datatype="char" arraysize="*"/><FIELD name="greek" datatype="unicodeChar" arraysize="*"/>
      <FIELD name="arr" datatype="double" arraysize="2"/><FIELD name="c" datatype="floatComplex"/>
      <DATA><BINARY><STREAM encoding="base64">${b64}</STREAM></BINARY></DATA></TABLE></RESOURCE></VOTABLE>`;
    const t = parseVOTable(new TextEncoder().encode(doc));
    expect(t.rows).toHaveLength(2);
    expect(t.rows[0]).toEqual([
      true,
      [true, false, true],
      200,
      -3,
      null,
      2 ** 40,
      0.5,
      Math.PI,
      'ab',
      'αβ',
      [1, 2],
      [1.5, -2],
    ]);
    expect(t.rows[1][4]).toBe(5);
    expect(t.rows[1][5]).toBe(-1);
    expect(t.rows[1][6]).toBeNaN();
    expect(t.rows[1][8]).toBeNull();
    expect((t.rows[1][10] as number[])[1]).toBeNaN();
  });
  it('honours the BINARY2 null bitmap', () => {
    // Two fields; row 1 has field 2 flagged null (bitmap 0b01000000).
    const bytes = [0x00, 0, 0, 0, 1, 0, 0, 0, 2, 0x40, 0, 0, 0, 3, 0, 0, 0, 4];
    const doc = `<VOTABLE><RESOURCE><TABLE><FIELD name="a" datatype="int"/><FIELD name="b" datatype="int"/>
      <DATA><BINARY2><STREAM encoding="base64">${Buffer.from(bytes).toString('base64')}</STREAM></BINARY2></DATA></TABLE></RESOURCE></VOTABLE>`;
    expect(parseVOTable(doc).rows).toEqual([
      [1, 2],
      [3, null],
    ]);
  });
  it('rejects malformed XML and truncated binary streams with ArchiveError', () => {
    expect(() => parseVOTable('<VOTABLE><RESOURCE>', { source: 'f.xml' })).toThrow(ArchiveError);
    const doc = `<VOTABLE><RESOURCE><TABLE><FIELD name="a" datatype="double"/>
      <DATA><BINARY><STREAM encoding="base64">${Buffer.from([1, 2, 3]).toString('base64')}</STREAM></BINARY></DATA></TABLE></RESOURCE></VOTABLE>`;
    expect(() => parseVOTable(doc, { source: 'f.xml' })).toThrow(
      /f\.xml: binary VOTable stream ends inside a row/,
    );
  });
  it('parses a document split into arbitrary chunks identically', async () => {
    const text = fixture('obscore-keysearch.binary2.xml');
    const bytes = new TextEncoder().encode(text);
    async function* chunks() {
      for (let i = 0; i < bytes.length; i += 777) yield bytes.subarray(i, i + 777);
    }
    const streamed = await parseVOTableStream(chunks());
    expect(streamed.rows).toEqual(parseVOTable(text).rows);
  });
});

describe('mirrors', () => {
  it('resolves names and URLs, and fails over among named mirrors by default', () => {
    expect(mirrorUrl('naoj')).toBe('https://almascience.nao.ac.jp');
    expect(mirrorUrl('http://127.0.0.1:1234/')).toBe('http://127.0.0.1:1234');
    expect(mirrorChain('NRAO')).toEqual([
      'https://almascience.nrao.edu',
      'https://almascience.eso.org',
      'https://almascience.nao.ac.jp',
    ]);
    expect(mirrorChain('http://a.test')).toEqual(['http://a.test']);
    expect(() => mirrorUrl('Mars')).toThrow(/unknown mirror "Mars"/);
  });
});

describe('AlmaArchive against the replay server', () => {
  let server: ReplayServer;
  beforeAll(async () => {
    server = await startReplayServer({
      tap: fixture('obscore-keysearch.tabledata.xml'),
      dataLink: {
        'uid://A001/X12a3/Xe9': fixture('alma-datalink.xml'),
        '2017.1.01185.S_uid___A001_X12a3_Xe9_001_of_001.tar': fixture(
          'alma-datalink-recurse-this.xml',
        ),
        '2017.1.01185.S_uid___A001_X12a3_Xe9_auxiliary.tar': fixture(
          'alma-datalink-recurse-aux.xml',
        ),
      },
    });
  });
  afterAll(() => server.close());

  const thesis = {
    scienceKeyword: [
      'Outflows, jets and ionized winds',
      'Low-mass star formation',
      'Outflows, jets, feedback',
    ],
    releasedAfter: '2016-01-01',
    maxResolutionArcsec: 0.4,
  };

  it('posts a TAP doQuery with the ADQL and MAXREC', async () => {
    const alma = new AlmaArchive({ mirror: server.url, maxrec: 5000 });
    const res = await alma.search(thesis);
    const req = server.hits('/tap/sync').at(-1)!;
    expect(req.method).toBe('POST');
    expect(req.form.get('REQUEST')).toBe('doQuery');
    expect(req.form.get('LANG')).toBe('ADQL');
    expect(req.form.get('MAXREC')).toBe('5000');
    expect(req.form.get('QUERY')).toBe(res.query);
  });

  for (const ser of ['tabledata', 'binary2']) {
    it(`keysearch over obscore-keysearch.${ser} keeps the right rows after filters and de-duplication`, async () => {
      server.tap(fixture(`obscore-keysearch.${ser}.xml`));
      const alma = new AlmaArchive({ mirror: server.url });
      const res = await alma.search(thesis);
      expect(res.returned).toBe(7);
      expect(res.observations.map((o) => o.sourceName)).toEqual(['CrAus_09', 'G328.2551-0.5321_A']);
      const removed = Object.fromEntries(res.filtered.map((f) => [f.filter, f.removed]));
      // Spiral-galaxy and ISM rows fail the keyword test; HH212 (2015) the date; TMC1A (0.55")
      // the resolution; the second CrAus_09 row is a duplicate obs_id.
      expect(removed).toMatchObject({
        science_keyword: 2,
        releasedAfter: 1,
        maxResolutionArcsec: 1,
        'duplicate obs_id': 1,
      });
      const g328 = res.observations[1];
      expect(g328.projectCode).toBe(g328.columns.proposal_id);
      expect(g328.angResArcsec).toBe(0.35);
      expect(g328.fovArcsec).toBeCloseTo((g328.columns.s_fov as number) * 3600, 2);
      // ALminer: min frequency = c / em_max, in GHz.
      expect(g328.minFreqGHz).toBeCloseTo(299792458 / (g328.columns.em_max as number) / 1e9, 2);
      expect(g328.minFreqGHz).toBeLessThan(g328.maxFreqGHz);
      expect(summarizeObservations(res.observations)).toMatchObject({
        observations: 2,
        targets: 2,
      });
    });
  }

  it('reports per keyword how many rows it matched, and warns when a keyword is lost', async () => {
    server.tap(fixture('obscore-keysearch.tabledata.xml'));
    const events: ArchiveEvent[] = [];
    const alma = new AlmaArchive({ mirror: server.url, onEvent: (e) => events.push(e) });
    const res = await alma.search({
      ...thesis,
      scienceKeyword: [...thesis.scienceKeyword, 'Debris disks'],
    });
    const byValue = Object.fromEntries(res.perValue.map((v) => [v.value, [v.returned, v.kept]]));
    expect(byValue).toEqual({
      'Outflows, jets and ionized winds': [1, 1],
      'Low-mass star formation': [2, 1],
      'Outflows, jets, feedback': [2, 0],
      'Debris disks': [0, 0],
    });
    expect(res.warnings).toContain('science_keyword "Debris disks" matched no rows');
    expect(
      res.warnings.some((w) => w.includes('"Outflows, jets, feedback" matched 2 rows, none left')),
    ).toBe(true);
    expect(events.filter((e) => e.type === 'warning')).toHaveLength(2);
  });

  it('surfaces a service error document and an overflow', async () => {
    server.tap(fixture('pyvo-errorstatus.xml'));
    const alma = new AlmaArchive({ mirror: server.url, retries: 0 });
    await expect(alma.query('SELECT 1')).rejects.toThrow(
      /tap\/sync: the service reported QUERY_STATUS=ERROR/,
    );
    server.tap(() => ({
      status: 400,
      body: '<VOTABLE><RESOURCE><INFO name="QUERY_STATUS" value="ERROR">Unknown column xyz</INFO></RESOURCE></VOTABLE>',
    }));
    await expect(alma.query('SELECT xyz')).rejects.toThrow(/Unknown column xyz \(HTTP 400\)/);
    server.tap(fixture('pyvo-overflowstatus.xml'));
    const t = await alma.query('SELECT 1');
    expect(t.overflow).toBe(true);
    server.tap(fixture('obscore-keysearch.tabledata.xml'));
  });

  it('retries a 500 and fails over to the next mirror when one refuses connections', async () => {
    let calls = 0;
    server.route('POST', '/flaky/tap/sync', () =>
      ++calls === 1 ? { status: 500, body: 'busy' } : { body: fixture('pyvo-overflowstatus.xml') },
    );
    const events: ArchiveEvent[] = [];
    const dead = await refusedUrl();
    const alma = new AlmaArchive({
      mirror: dead,
      fallbackMirrors: [`${server.url}/flaky`],
      retries: 2,
      backoffMs: 5,
      timeoutMs: 2000,
      onEvent: (e) => events.push(e),
    });
    const t = await alma.query('SELECT 1');
    expect(t.rows).toHaveLength(3);
    expect(alma.mirror).toBe(`${server.url}/flaky`);
    const sw = events.find((e) => e.type === 'mirror-switch');
    expect(sw).toMatchObject({ from: dead, to: `${server.url}/flaky` });
    expect(events.filter((e) => e.type === 'retry').length).toBeGreaterThanOrEqual(3);
    expect(calls).toBe(2);
  });

  it('fails over when a mirror keeps answering 5xx', async () => {
    server.route('GET', '/down/datalink/sync', () => ({ status: 503, body: 'maintenance' }));
    const events: ArchiveEvent[] = [];
    const alma = new AlmaArchive({
      mirror: `${server.url}/down`,
      fallbackMirrors: [server.url],
      retries: 1,
      backoffMs: 1,
      onEvent: (e) => events.push(e),
    });
    const doc = await alma.dataLink('uid://A001/X12a3/Xe9');
    expect(doc.rows).toHaveLength(9);
    expect(server.hits('/down/datalink/sync')).toHaveLength(2);
    expect(events.find((e) => e.type === 'mirror-switch')).toMatchObject({
      reason: expect.stringMatching(/HTTP 503/),
    });
  });

  it('does not fail over on a query error (4xx), which another mirror would repeat', async () => {
    server.route('POST', '/bad/tap/sync', () => ({ status: 400, body: 'syntax error' }));
    const alma = new AlmaArchive({
      mirror: `${server.url}/bad`,
      fallbackMirrors: [server.url],
      retries: 0,
    });
    await expect(alma.query('SELEC')).rejects.toMatchObject({ status: 400 });
  });

  it('expands tarballs through DataLink into exactly the files astroquery lists', async () => {
    const alma = new AlmaArchive({ mirror: server.url });
    const all = await alma.dataProducts(['uid://A001/X12a3/Xe9'], {
      include: [],
      fitsOnly: false,
      auxiliary: true,
    });
    // astroquery get_data_info(expand_tarfiles=True): 9 rows − 2 service rows + 6 (tar, no
    // cutouts) + 48 (auxiliary tar); all have an access_url.
    expect(all.listed).toBe(7 + 6 + 48);
    const fits = await alma.dataProducts(['uid://A001/X12a3/Xe9'], { include: [] });
    expect(fits.products.map((p) => p.fileName)).toEqual([
      'member.uid___A001_X12a3_Xe9.50_kms_cloud_sci.spw0_1_2_3_4_5_6_7_8_9_10_11_12_13_14_15.mfs.I.manual.image.pbcor.fits',
      'member.uid___A001_X12a3_Xe9.50_kms_cloud_sci.spw0_4_8_12.cube.I.manual.image.pbcor.fits',
    ]);
    expect(fits.products[0]).toMatchObject({
      sizeBytes: 1359360,
      memberOus: 'uid://A001/X12a3/Xe9',
      semantics: '#this',
    });
    // auxiliary=false (the default) never asks for the auxiliary tarball's listing.
    const before = server.hits('/datalink/sync').length;
    await alma.dataProducts(['uid://A001/X12a3/Xe9'], { include: [] });
    const asked = server
      .hits('/datalink/sync')
      .slice(before)
      .map((r) => r.query.get('ID'));
    expect(asked).toEqual([
      'uid://A001/X12a3/Xe9',
      '2017.1.01185.S_uid___A001_X12a3_Xe9_001_of_001.tar',
    ]);
  });

  it("explains which filters removed everything with the thesis's file-name filters", async () => {
    const alma = new AlmaArchive({ mirror: server.url });
    const res = await alma.dataProducts(['uid://A001/X12a3/Xe9']);
    expect(res.products).toEqual([]);
    const f = Object.fromEntries(res.filtered.map((s) => [s.filter, s]));
    // 6 listed at the first level (README, tarball, 4 raw ASDMs) + 6 in the tarball, 2 of them FITS.
    expect(res.listed).toBe(12);
    expect(f.fitsOnly.removed).toBe(10);
    expect(f['include ".pbcor"'].removed).toBe(0);
    expect(f['include ".cont"'].removed).toBe(2);
    expect(f['include ".cont"'].examples[0]).toMatch(/mfs\.I\.manual\.image\.pbcor\.fits$/);
  });

  describe('dataProducts over many member OUSs', () => {
    // 12 OUSs, each listing one FITS file; every third also a tarball holding one more, and
    // every fourth a row with an error_message. The earlier an OUS, the slower its answer, so
    // concurrent calls end in about the reverse order of the input.
    const uids = Array.from({ length: 12 }, (_, i) => `uid://A001/X1/X${i}`);
    const docs = new Map<string, string>();
    const expected: string[] = [];
    const warnings: string[] = [];
    uids.forEach((uid, i) => {
      const tar = `${uid.slice(6).replace(/\//g, '_')}.tar`;
      const rows: DataLinkRowSpec[] = [
        { id: uid, accessUrl: `http://x/files/p${i}.fits`, contentLength: 100 + i },
      ];
      expected.push(`p${i}.fits`);
      if (i % 3 === 0) {
        rows.push({ id: uid, serviceDef: 'tarball' });
        docs.set(tar, dataLinkDocument([{ id: tar, accessUrl: `http://x/files/t${i}.fits` }]));
        expected.push(`t${i}.fits`);
      }
      if (i % 4 === 0) {
        rows.push({
          id: uid,
          accessUrl: `http://x/files/gone${i}.fits`,
          errorMessage: 'gone',
        });
        warnings.push(`DataLink error for gone${i}.fits (${uid}): gone`);
      }
      docs.set(uid, dataLinkDocument(rows, i % 3 === 0 ? { tarball: tar } : {}));
    });
    const flight = { now: 0, peak: 0 };
    beforeAll(() => {
      server.route('GET', '/slow/datalink/sync', async (req) => {
        flight.now++;
        flight.peak = Math.max(flight.peak, flight.now);
        const id = req.query.get('ID') ?? '';
        const i = uids.indexOf(id);
        await new Promise((r) => setTimeout(r, i < 0 ? 2 : 40 - 3 * i));
        flight.now--;
        const doc = docs.get(id);
        return doc === undefined ? { status: 404, body: `no ${id}` } : { body: doc };
      });
    });
    const list = async (alma: AlmaArchive, concurrency?: number) => {
      flight.peak = 0;
      const res = await alma.dataProducts(uids, {
        include: [],
        ...(concurrency !== undefined ? { concurrency } : {}),
      });
      return { res, peak: flight.peak };
    };

    it('lists them with at most `concurrency` DataLink calls in flight (default 4), in the input order', async () => {
      const events: ArchiveEvent[] = [];
      const alma = new AlmaArchive({
        mirror: `${server.url}/slow`,
        onEvent: (e) => events.push(e),
      });
      const one = await list(alma, 1);
      expect(one.peak).toBe(1);
      expect(one.res.products.map((p) => p.fileName)).toEqual(expected);
      expect(one.res.warnings).toEqual(warnings);
      const byDefault = await list(alma);
      expect(byDefault.peak).toBe(4);
      expect(byDefault.res).toEqual(one.res);
      const two = await list(alma, 2);
      expect(two.peak).toBe(2);
      expect(two.res).toEqual(one.res);
      // The warnings are reported in the input order too, once per listing.
      expect(events.map((e) => (e.type === 'warning' ? e.message : e.type))).toEqual([
        ...warnings,
        ...warnings,
        ...warnings,
      ]);
      await expect(alma.dataProducts(uids, { concurrency: 0 })).rejects.toThrow(
        /concurrency must be a whole number ≥ 1, got 0/,
      );
    });

    it('calls in flight that fail on a dead mirror together switch mirrors once', async () => {
      const dead = await refusedUrl();
      const events: ArchiveEvent[] = [];
      const alma = new AlmaArchive({
        mirror: dead,
        fallbackMirrors: [`${server.url}/slow`],
        retries: 0,
        onEvent: (e) => events.push(e),
      });
      const { res, peak } = await list(alma);
      expect(peak).toBeGreaterThan(1);
      expect(res.products.map((p) => p.fileName)).toEqual(expected);
      expect(events.filter((e) => e.type === 'mirror-switch')).toEqual([
        expect.objectContaining({ from: dead, to: `${server.url}/slow` }),
      ]);
      expect(alma.mirror).toBe(`${server.url}/slow`);
    });
  });

  it('drops DataLink rows with an error_message, with a warning', async () => {
    const doc = fixture('alma-datalink.xml').replace(
      /<TD \/>(\s*<TD>#documentation<\/TD>)/,
      '<TD>file is not available</TD>$1',
    );
    server.dataLink('uid://err', doc);
    const alma = new AlmaArchive({ mirror: server.url });
    const res = await alma.dataProducts(['uid://err'], {
      include: [],
      fitsOnly: false,
      expandTarfiles: false,
    });
    expect(res.warnings).toHaveLength(1);
    expect(res.warnings[0]).toMatch(/README\.txt.*file is not available/);
    expect(res.products.some((p) => p.fileName.endsWith('README.txt'))).toBe(false);
  });
});
