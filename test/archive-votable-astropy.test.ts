/**
 * VOTables astropy reads, read the same way (astropy's own regression.xml with `TABLE ref`,
 * multi-dimensional variable-length arrays in every serialisation), the null convention where
 * we differ on purpose, and parsing that stops at the first XML error — also for error pages,
 * of which only a prefix is read. Answers recorded by scripts/make-votable-fixtures.py.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArchiveError } from '../src/core/errors.js';
import { AlmaArchive } from '../src/archive/archive.js';
import { parseVOTable, type VOValue } from '../src/archive/votable.js';

const DIR = join(__dirname, 'fixtures', 'votable');
type Dump = { id: string | null; fields: string[]; rows: unknown[][] }[];
const json = (name: string): unknown => JSON.parse(readFileSync(join(DIR, name), 'utf8'));

/** A cell as the astropy dump writes it: NaN/Inf as text, an empty variable array as null. */
function normal(v: VOValue | unknown): unknown {
  if (typeof v === 'number' && !Number.isFinite(v))
    return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Inf' : '-Inf';
  if (Array.isArray(v)) return v.length === 0 ? null : v.map(normal);
  return v;
}

describe('VOTables astropy reads', () => {
  it('regression.xml (astropy’s test file): TABLE ref takes the FIELDs of the table it names', () => {
    const doc = parseVOTable(readFileSync(join(DIR, 'regression.xml')), {
      source: 'regression.xml',
    });
    const want = json('regression.astropy.json') as Dump;
    expect(doc.tables.map((t) => [t.fields.length, t.rows.length])).toEqual(
      want.map((t) => [t.fields.length, t.rows.length]),
    );
    expect(doc.tables.map((t) => t.fields.map((f) => f.name))).toEqual(want.map((t) => t.fields));
    expect(doc.tables[0].id).toBe('main_table');
    expect(doc.tables[2].id).toBe('last_table');
    // The columns that hold ordinary values read as astropy reads them; the others hold the
    // file's deliberate overflows and oddities, which astropy clips or masks with warnings.
    const same = [
      'int',
      'long',
      'bit',
      'bitvararray',
      'bitvararray2',
      'floatComplex',
      'doubleComplexArray',
      'doubleComplexArrayFixed',
      'nulls',
      'precision1',
      'precision2',
    ];
    want.forEach((table, k) => {
      for (const name of same) {
        const j = table.fields.indexOf(name);
        const got = doc.tables[k].rows.map((r) => normal(r[j]));
        expect(got, `table ${k} ${name}`).toEqual(table.rows.map((r) => normal(r[j])));
      }
    });
    // A cell in BINARY serialisation inside TABLEDATA (TD encoding="base64"): float 1.0.
    expect(doc.tables[0].rows[0][doc.tables[0].fields.findIndex((f) => f.name === 'float')]).toBe(
      1,
    );
  });

  it('TABLE ref to no earlier TABLE is an ArchiveError', () => {
    expect(() =>
      parseVOTable('<VOTABLE><RESOURCE><TABLE ref="nope"/></RESOURCE></VOTABLE>', { source: 'x' }),
    ).toThrow(/^x: TABLE ref="nope" names no earlier TABLE/);
  });

  for (const format of ['tabledata', 'binary', 'binary2']) {
    it(`arraysize "2x*" and "2x3x*" in ${format.toUpperCase()} (written by astropy)`, () => {
      const doc = parseVOTable(readFileSync(join(DIR, `varray.${format}.xml`)));
      const want = (json('varray.astropy.json') as Record<string, Dump>)[format][0];
      expect(doc.rows.map((r) => r.map(normal))).toEqual(want.rows.map((r) => r.map(normal)));
      expect(doc.rows[0][1]).toEqual([1.5, 2.5, 3.5, 4.5]);
      expect(doc.rows[1][2]).toHaveLength(12);
    });
  }

  it('an empty long cell is null (astropy: masked, data 0)', () => {
    const doc = parseVOTable(
      '<VOTABLE><RESOURCE><TABLE><FIELD name="n" datatype="long"/><DATA><TABLEDATA>' +
        '<TR><TD/></TR><TR><TD>7</TD></TR></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>',
    );
    expect(doc.rows).toEqual([[null], [7]]);
  });
});

describe('parsing stops at the first XML error', () => {
  // 2 MB of markup with errors in every line (unquoted attributes, HTML entities), as an HTML
  // error page has: parsed to the end, it cost a second of CPU per attempt.
  const broken =
    '<VOTABLE><RESOURCE><TABLE><FIELD name="a" datatype="char" arraysize="*"/><DATA><TABLEDATA>' +
    '<p class=x>fish &nbsp; chips<br></p>\n'.repeat(60_000);

  it('a document with an error on every line is refused, naming the first', () => {
    expect(() => parseVOTable(broken, { source: 'page' })).toThrow(
      /^page: not a well-formed VOTable: 1:\d+: /,
    );
  });

  it('the same, fed as a stream: chunks after the error are not parsed', async () => {
    const { parseVOTableStream } = await import('../src/archive/votable.js');
    let pulled = 0;
    async function* chunks() {
      for (let i = 0; i < broken.length; i += 4096) {
        pulled++;
        yield broken.slice(i, i + 4096);
      }
    }
    await expect(parseVOTableStream(chunks(), { source: 'page' })).rejects.toThrow(
      /not a well-formed VOTable: 1:/,
    );
    // The error is in the first chunk: the parser stops there instead of reading all 2 MB.
    expect(pulled).toBeLessThan(5);
  });
});

describe('error pages: only a prefix is read, and the message is the HTTP status', () => {
  let server: Server;
  let url: string;
  let sent = 0;
  let finished = false;
  beforeAll(async () => {
    // A 500 whose body would be 700 MB: the start of a VOTable, then endless broken markup.
    server = createServer((req, res) => {
      req.resume();
      sent = 0;
      finished = false;
      res.writeHead(500, { 'Content-Type': 'text/html', 'Content-Length': String(700e6) });
      const line = Buffer.from('<p>Internal error & more & more</p>\n'.repeat(1000));
      res.write('<html><VOTABLE><RESOURCE><INFO name="QUERY_STATUS" value="ERROR">');
      const pump = (): void => {
        while (sent < 700e6) {
          sent += line.length;
          if (!res.write(line)) {
            res.once('drain', pump);
            return;
          }
        }
        finished = true;
        res.end();
      };
      res.on('close', () => undefined);
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('a 500 with a huge broken page: "HTTP 500" with the start of the page, fast', async () => {
    const alma = new AlmaArchive({ mirror: url, retries: 0, backoffMs: 1, timeoutMs: 5000 });
    const t0 = performance.now();
    const err = await alma.query('SELECT 1').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ArchiveError);
    expect((err as ArchiveError).status).toBe(500);
    expect((err as ArchiveError).message).toMatch(
      new RegExp(`^${url}/tap/sync: HTTP 500 Internal Server Error: <html><VOTABLE>`),
    );
    expect((err as ArchiveError).message.length).toBeLessThan(500);
    expect(performance.now() - t0).toBeLessThan(3000);
    // The client hung up after the prefix: the server never got to send the whole body.
    await new Promise((r) => setTimeout(r, 200));
    expect(finished).toBe(false);
    expect(sent).toBeLessThan(64e6);
  });
});
