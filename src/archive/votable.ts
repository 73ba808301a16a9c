import { SaxesParser } from 'saxes';
import { ArchiveError } from '../core/errors.js';

/**
 * One cell of a VOTable. Numbers are JavaScript numbers (`long` values beyond 2^53 lose
 * precision); `char`/`unicodeChar` arrays are strings; other arrays are number or boolean arrays
 * (a multi-dimensional array flattened, first dimension fastest, as the file stores it); complex
 * values are `[re, im]` pairs flattened into the array. `null` is a null cell (empty TABLEDATA
 * cell, the FIELD's `VALUES null` sentinel, a BINARY2 null flag, or `?` for booleans).
 * Floating-point NaN stays NaN (VOTable's own null for floats).
 *
 * An empty cell of an integer column (`short`, `int`, `long`, ...) is `null` here; astropy reads
 * it as a masked value whose data is 0 (`table.array.mask` true, `table.array.data` 0). Both say
 * "no value"; only astropy's unmasked data would read it as 0.
 */
export type VOValue =
  string | number | boolean | null | readonly number[] | readonly (boolean | null)[];

/** A FIELD (column) of a VOTable. */
export interface VOField {
  /** `name` attribute. */
  name: string;
  /** `ID` attribute, if any. */
  id?: string;
  /** VOTable primitive datatype (`char`, `double`, `long`, ...). */
  datatype: string;
  /** `arraysize` attribute, if any (`*`, `23`, `3x*`, ...). */
  arraysize?: string;
  /** `unit` attribute, if any. */
  unit?: string;
  /** `ucd` attribute, if any. */
  ucd?: string;
  /** The `VALUES null` sentinel of integer columns, if any. */
  nullValue?: string;
}

/** A PARAM (name/value pair) of a RESOURCE, e.g. DataLink's `accessURL`. */
export interface VOParam {
  /** `name` attribute. */
  name: string;
  /** `ID` attribute, if any. */
  id?: string;
  /** `value` attribute, as text. */
  value: string;
  /** Name of the enclosing GROUP, if the PARAM sits in one. */
  group?: string;
}

/** An INFO element (`QUERY_STATUS`, `QUERY`, ...). */
export interface VOInfo {
  /** `name` attribute. */
  name: string;
  /** `value` attribute. */
  value: string;
  /** Text content (TAP puts the error message here). */
  text: string;
}

/** A RESOURCE other than the result table's, e.g. a DataLink ad-hoc service descriptor. */
export interface VOResource {
  /** `ID` attribute, if any. */
  id?: string;
  /** `type` attribute (`results`, `meta`). */
  type?: string;
  /** `utype` attribute (`adhoc:service` for service descriptors). */
  utype?: string;
  /** PARAMs, including those inside GROUPs. */
  params: VOParam[];
}

/** One TABLE: its columns and rows. */
export interface VOTableData {
  /** `ID` attribute, if any (another TABLE may take its FIELDs with `ref`). */
  id?: string;
  /** The columns, in order. */
  fields: VOField[];
  /** The rows; `rows[i][j]` is column `fields[j]` of row `i`. */
  rows: VOValue[][];
}

/** A parsed VOTable document. */
export interface VOTable extends VOTableData {
  /** `QUERY_STATUS` (`OK`, `OVERFLOW`, ...); `undefined` when the document has none. */
  status: string | undefined;
  /** True when the service truncated the result at MAXREC (`QUERY_STATUS=OVERFLOW`). */
  overflow: boolean;
  /** Every INFO element, in document order. */
  infos: VOInfo[];
  /** Every RESOURCE with its PARAMs (the results resource included). */
  resources: VOResource[];
  /** Every TABLE of the document; `fields`/`rows` are those of the first. */
  tables: VOTableData[];
}

/** Options of {@link parseVOTable}. */
export interface ParseVOTableOptions {
  /** Where the document came from (a URL or file), named in error messages. Default `'VOTable'`. */
  source?: string;
}

/** The rows of a table as objects keyed by column name (inputs are not mutated). */
export function voTableRecords(table: VOTableData): Record<string, VOValue>[] {
  return table.rows.map((row) => {
    const rec: Record<string, VOValue> = {};
    table.fields.forEach((f, j) => {
      rec[f.name] = row[j];
    });
    return rec;
  });
}

const SIZES: Readonly<Record<string, number>> = {
  boolean: 1,
  unsignedByte: 1,
  short: 2,
  int: 4,
  long: 8,
  char: 1,
  unicodeChar: 2,
  float: 4,
  double: 8,
  floatComplex: 8,
  doubleComplex: 16,
};

/**
 * The shape of an arraysize: elements of a fixed array (`count`), or, for a variable one
 * (`2x3x*`), the elements per step of its last dimension (`inner`, 6 here), of which a binary
 * cell's leading count says how many follow (as astropy reads them).
 */
function arrayShape(arraysize: string | undefined): {
  count: number;
  variable: boolean;
  inner: number;
} {
  if (arraysize === undefined || arraysize === '') return { count: 1, variable: false, inner: 1 };
  const dims = arraysize.split('x');
  const last = dims[dims.length - 1];
  const product = (ds: string[]): number => ds.reduce((n, d) => n * Number(d), 1);
  if (last.endsWith('*')) return { count: 0, variable: true, inner: product(dims.slice(0, -1)) };
  const count = product(dims);
  return { count, variable: false, inner: count };
}

function parseBool(s: string): boolean | null {
  switch (s.trim()) {
    case 'T':
    case 't':
    case 'true':
    case 'TRUE':
    case 'True':
    case '1':
      return true;
    case 'F':
    case 'f':
    case 'false':
    case 'FALSE':
    case 'False':
    case '0':
      return false;
    default:
      return null;
  }
}

function parseNumber(s: string): number {
  const t = s.trim();
  if (/^[+-]?(?:nan|NaN|NAN)$/.test(t)) return NaN;
  if (/^[+-]?(?:inf|Inf|INF|infinity|Infinity)$/.test(t))
    return t.startsWith('-') ? -Infinity : Infinity;
  if (/^0x[0-9a-f]+$/i.test(t)) return parseInt(t, 16);
  return Number(t);
}

/** Datatypes outside the standard that astropy reads as standard ones. */
const DATATYPE_ALIASES: Readonly<Record<string, string>> = {
  string: 'char',
  unicodeString: 'unicodeChar',
};

/** Decode one TABLEDATA cell according to its FIELD. */
function tableDataCell(text: string, f: VOField): VOValue {
  if (f.datatype === 'char' || f.datatype === 'unicodeChar') {
    if (text === '') return null;
    // A fixed-length string holds at most its arraysize characters (astropy truncates too).
    const fixed = f.arraysize !== undefined && /^\d+$/.test(f.arraysize) ? Number(f.arraysize) : 0;
    return fixed > 0 && text.length > fixed ? text.slice(0, fixed) : text;
  }
  const t = text.trim();
  if (t === '') return null;
  const { count, variable } = arrayShape(f.arraysize);
  const scalar = !variable && count === 1 && !f.datatype.endsWith('Complex');
  if (f.datatype === 'boolean' || f.datatype === 'bit') {
    const vals = f.datatype === 'bit' && !/\s/.test(t) && t.length > 1 ? [...t] : t.split(/\s+/);
    const bools = vals.map(parseBool);
    return scalar ? bools[0] : bools;
  }
  if (scalar) {
    if (f.nullValue !== undefined && t === f.nullValue.trim()) return null;
    return parseNumber(t);
  }
  return t.split(/\s+/).map(parseNumber);
}

function base64ToBytes(b64: string, source: string): Uint8Array {
  const clean = b64.replace(/[^A-Za-z0-9+/=]/g, '');
  if (typeof atob === 'function') {
    let bin: string;
    try {
      bin = atob(clean);
    } catch (err) {
      // atob rejects misplaced '=' padding or a length of 4k+1 with a DOMException.
      throw new ArchiveError(
        `${source}: the base64 STREAM is malformed (${(err as Error).message})`,
        source,
        undefined,
        { cause: err },
      );
    }
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  throw new ArchiveError('no base64 decoder (atob) in this environment');
}

/** Reads the BINARY / BINARY2 serialisation (big-endian, optional per-row null bitmap). */
class BinaryReader {
  private pos = 0;
  private readonly view: DataView;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly source: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  get done(): boolean {
    return this.pos >= this.bytes.length;
  }
  /** Bytes consumed so far. */
  get offset(): number {
    return this.pos;
  }
  private need(n: number): void {
    if (this.pos + n > this.bytes.length) {
      throw new ArchiveError(
        `${this.source}: binary VOTable stream ends inside a row`,
        this.source,
      );
    }
  }
  bytesOf(n: number): Uint8Array {
    this.need(n);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  int32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos);
    this.pos += 4;
    return v;
  }
  /** One primitive element, as a number (or boolean/char code handled by the caller). */
  element(datatype: string): number {
    const v = this.view;
    const p = this.pos;
    this.need(SIZES[datatype]);
    this.pos += SIZES[datatype];
    switch (datatype) {
      case 'unsignedByte':
        return v.getUint8(p);
      case 'short':
        return v.getInt16(p);
      case 'int':
        return v.getInt32(p);
      case 'long':
        return Number(v.getBigInt64(p));
      case 'float':
        return v.getFloat32(p);
      case 'double':
        return v.getFloat64(p);
      default:
        throw new ArchiveError(
          `${this.source}: unsupported binary datatype ${datatype}`,
          this.source,
        );
    }
  }
}

function readBinaryCell(r: BinaryReader, f: VOField, source: string): VOValue {
  const shape = arrayShape(f.arraysize);
  const steps = shape.variable ? r.int32() : 1;
  const n = shape.variable ? steps * shape.inner : shape.count;
  if (!(steps >= 0) || !Number.isSafeInteger(n)) {
    throw new ArchiveError(
      `${source}: binary VOTable cell of ${f.name} has length ${steps}`,
      source,
    );
  }
  const scalar = !shape.variable && shape.count === 1;
  switch (f.datatype) {
    case 'char': {
      const b = r.bytesOf(n);
      let s = '';
      for (const c of b) {
        if (c === 0) break;
        s += String.fromCharCode(c);
      }
      return s === '' ? null : s;
    }
    case 'unicodeChar': {
      const b = r.bytesOf(2 * n);
      let s = '';
      for (let i = 0; i + 1 < b.length; i += 2) {
        const c = (b[i] << 8) | b[i + 1];
        if (c === 0) break;
        s += String.fromCharCode(c);
      }
      return s === '' ? null : s;
    }
    case 'boolean': {
      const b = r.bytesOf(n);
      const vals = [...b].map((c) => parseBool(String.fromCharCode(c)));
      return scalar ? vals[0] : vals;
    }
    case 'bit': {
      // A variable array of bit arrays packs each step in whole bytes (as astropy reads it).
      const per = shape.variable && shape.inner > 1 ? shape.inner : n;
      const vals: boolean[] = [];
      for (let done = 0; done < n; done += per) {
        const b = r.bytesOf(Math.ceil(per / 8));
        for (let i = 0; i < per; i++) vals.push(((b[i >> 3] >> (7 - (i & 7))) & 1) === 1);
      }
      return scalar ? vals[0] : vals;
    }
    case 'floatComplex':
    case 'doubleComplex': {
      const part = f.datatype === 'floatComplex' ? 'float' : 'double';
      const vals: number[] = [];
      for (let i = 0; i < 2 * n; i++) vals.push(r.element(part));
      return vals;
    }
    default: {
      if (!(f.datatype in SIZES)) {
        throw new ArchiveError(
          `${source}: unknown VOTable datatype ${JSON.stringify(f.datatype)}`,
          source,
        );
      }
      const vals: number[] = [];
      for (let i = 0; i < n; i++) vals.push(r.element(f.datatype));
      if (!scalar) return vals;
      const x = vals[0];
      if (f.nullValue !== undefined && x === parseNumber(f.nullValue)) return null;
      return x;
    }
  }
}

function decodeBinary(
  b64: string,
  fields: VOField[],
  binary2: boolean,
  source: string,
): VOValue[][] {
  const r = new BinaryReader(base64ToBytes(b64, source), source);
  const rows: VOValue[][] = [];
  const maskBytes = Math.ceil(fields.length / 8);
  while (!r.done) {
    const start = r.offset;
    const mask = binary2 ? r.bytesOf(maskBytes) : undefined;
    const row: VOValue[] = [];
    fields.forEach((f, j) => {
      const cell = readBinaryCell(r, f, source);
      const isNull = mask !== undefined && ((mask[j >> 3] >> (7 - (j & 7))) & 1) === 1;
      row.push(isNull ? null : cell);
    });
    // A row that reads no bytes (no fields, or only empty arrays) would repeat forever.
    if (r.offset === start) {
      throw new ArchiveError(
        `${source}: binary VOTable rows hold no data for the declared fields`,
        source,
      );
    }
    rows.push(row);
  }
  return rows;
}

/**
 * An incremental VOTable reader: feed text chunks with {@link VOTableStreamParser.write} and
 * call {@link VOTableStreamParser.close} for the result, so a large TAP answer is parsed while
 * it downloads instead of after being buffered whole.
 */
export class VOTableStreamParser {
  private readonly sax = new SaxesParser({ xmlns: false });
  private readonly source: string;
  private readonly stack: string[] = [];
  private readonly infos: VOInfo[] = [];
  private readonly resources: VOResource[] = [];
  private readonly resourceStack: VOResource[] = [];
  private readonly tables: VOTableData[] = [];
  private table: VOTableData | undefined;
  private field: VOField | undefined;
  private row: VOValue[] | undefined;
  private text = '';
  private info: VOInfo | undefined;
  private group: string | undefined;
  private encoding: 'BINARY' | 'BINARY2' | undefined;
  /** `encoding` of the TD being read (`base64`: the cell's binary serialisation). */
  private cellEncoding: string | undefined;
  private error: Error | undefined;

  /** @param opts - where the document comes from, for error messages */
  constructor(opts: ParseVOTableOptions = {}) {
    this.source = opts.source ?? 'VOTable';
    this.sax.on('error', (e) => {
      this.fail(`not a well-formed VOTable: ${e.message}`);
    });
    this.sax.on('opentag', (tag) =>
      this.open(localName(tag.name), tag.attributes as Record<string, string>),
    );
    this.sax.on('closetag', (tag) => this.closeTag(localName(tag.name)));
    this.sax.on('text', (t) => {
      this.text += t;
    });
    this.sax.on('cdata', (t) => {
      this.text += t;
    });
  }

  private open(name: string, a: Record<string, string>): void {
    this.stack.push(name);
    this.text = '';
    switch (name) {
      case 'RESOURCE': {
        const res: VOResource = { id: a.ID, type: a.type, utype: a.utype, params: [] };
        this.resources.push(res);
        this.resourceStack.push(res);
        break;
      }
      case 'TABLE': {
        this.table = { fields: [], rows: [] };
        if (a.ID !== undefined) this.table.id = a.ID;
        if (a.ref !== undefined) {
          // The FIELDs of an earlier TABLE (VOTable 1.1+, e.g. astropy's regression.xml).
          const model = this.tables.find((t) => t.id === a.ref);
          if (model === undefined)
            this.fail(`TABLE ref=${JSON.stringify(a.ref)} names no earlier TABLE`);
          else this.table.fields = [...model.fields];
        }
        this.tables.push(this.table);
        break;
      }
      case 'TD':
        this.cellEncoding = a.encoding;
        break;
      case 'FIELD':
        this.field = {
          name: a.name ?? a.ID ?? '',
          id: a.ID,
          datatype: DATATYPE_ALIASES[a.datatype ?? 'char'] ?? a.datatype ?? 'char',
          arraysize: a.arraysize,
          unit: a.unit,
          ucd: a.ucd,
        };
        this.table?.fields.push(this.field);
        break;
      case 'VALUES':
        if (this.field && a.null !== undefined) this.field.nullValue = a.null;
        break;
      case 'GROUP':
        this.group = a.name ?? a.ID;
        break;
      case 'PARAM': {
        const res = this.resourceStack[this.resourceStack.length - 1];
        res?.params.push({
          name: a.name ?? a.ID ?? '',
          id: a.ID,
          value: a.value ?? '',
          group: this.group,
        });
        break;
      }
      case 'INFO':
        this.info = { name: a.name ?? a.ID ?? '', value: a.value ?? '', text: '' };
        this.infos.push(this.info);
        break;
      case 'TR':
        this.row = [];
        break;
      case 'BINARY':
      case 'BINARY2':
        this.encoding = name;
        break;
      case 'STREAM':
        if (a.encoding !== undefined && a.encoding !== 'base64') {
          this.fail(`STREAM encoding ${JSON.stringify(a.encoding)} is not supported (only base64)`);
        }
        if (a.href !== undefined) this.fail('STREAM with href (remote data) is not supported');
        break;
      case 'FITS':
        this.fail(
          'FITS-serialised VOTable data is not supported; ask the service for TABLEDATA or BINARY2',
        );
        break;
    }
  }

  private closeTag(name: string): void {
    this.stack.pop();
    switch (name) {
      case 'FIELD':
        this.field = undefined;
        break;
      case 'GROUP':
        this.group = undefined;
        break;
      case 'RESOURCE':
        this.resourceStack.pop();
        break;
      case 'INFO':
        if (this.info) this.info.text = this.text.trim();
        this.info = undefined;
        break;
      case 'TD': {
        const f = this.table?.fields[this.row?.length ?? 0];
        if (!f || !this.row) {
          this.fail('a row has more cells than the table has FIELDs');
          break;
        }
        if (this.cellEncoding === undefined) {
          this.row.push(tableDataCell(this.text, f));
        } else if (this.cellEncoding === 'base64') {
          // The cell in BINARY serialisation (astropy reads such cells too).
          try {
            const cell = new BinaryReader(base64ToBytes(this.text, this.source), this.source);
            this.row.push(readBinaryCell(cell, f, this.source));
          } catch (e) {
            this.error ??= e instanceof Error ? e : new Error(String(e));
            throw STOP;
          }
        } else {
          this.fail(`TD encoding ${JSON.stringify(this.cellEncoding)} is not supported`);
        }
        this.cellEncoding = undefined;
        break;
      }
      case 'TR':
        if (this.row && this.table) {
          while (this.row.length < this.table.fields.length) this.row.push(null);
          this.table.rows.push(this.row);
        }
        this.row = undefined;
        break;
      case 'STREAM':
        if (this.table && this.encoding) {
          try {
            const rows = decodeBinary(
              this.text,
              this.table.fields,
              this.encoding === 'BINARY2',
              this.source,
            );
            for (const r of rows) this.table.rows.push(r);
          } catch (e) {
            this.error ??= e instanceof Error ? e : new Error(String(e));
            throw STOP;
          }
        }
        break;
      case 'BINARY':
      case 'BINARY2':
        this.encoding = undefined;
        break;
      case 'TABLE':
        this.table = undefined;
        break;
    }
    this.text = '';
  }

  /** Record the first problem and stop the XML parser at once (it throws {@link STOP}). */
  private fail(message: string): never {
    this.error ??= new ArchiveError(`${this.source}: ${message}`, this.source);
    throw STOP;
  }

  /** Run the XML parser, ending at the first problem: nothing after it is parsed. */
  private run(step: () => void): void {
    if (this.error) return;
    try {
      step();
    } catch (e) {
      if (e !== STOP) this.error ??= e instanceof Error ? e : new Error(String(e));
    }
  }

  /** Whether parsing has failed: {@link close} will throw, and further chunks are ignored. */
  get failed(): boolean {
    return this.error !== undefined;
  }

  /** Feed the next chunk of the document; after the first error, chunks are ignored. */
  write(chunk: string): void {
    this.run(() => this.sax.write(chunk));
  }

  /**
   * Finish parsing and return the document.
   *
   * @throws ArchiveError when the XML is malformed, not a VOTable, uses an unsupported
   *   serialisation, or the service reports `QUERY_STATUS=ERROR` (the message carries the
   *   service's own text)
   */
  close(): VOTable {
    this.run(() => this.sax.close());
    if (this.error) throw this.error;
    if (this.resources.length === 0 && this.tables.length === 0 && this.infos.length === 0) {
      throw new ArchiveError(
        `${this.source}: not a VOTable (no RESOURCE, TABLE or INFO element)`,
        this.source,
      );
    }
    const statusInfos = this.infos.filter((i) => i.name === 'QUERY_STATUS');
    const error = statusInfos.find((i) => i.value.toUpperCase() === 'ERROR');
    if (error) {
      const msg = error.text && error.text !== error.value ? error.text : 'no message given';
      const err = new ArchiveError(
        `${this.source}: the service reported QUERY_STATUS=ERROR: ${msg}`,
        this.source,
      );
      serviceErrors.add(err);
      throw err;
    }
    const overflow = statusInfos.some((i) => i.value.toUpperCase() === 'OVERFLOW');
    const status = overflow ? 'OVERFLOW' : statusInfos[statusInfos.length - 1]?.value;
    const first = this.tables[0] ?? { fields: [], rows: [] };
    return {
      fields: first.fields,
      rows: first.rows,
      status,
      overflow,
      infos: this.infos,
      resources: this.resources,
      tables: this.tables,
    };
  }
}

/** The errors that carry a service's own `QUERY_STATUS=ERROR` message. */
const serviceErrors = new WeakSet<Error>();

/**
 * @internal Whether `err` is the error {@link parseVOTable} throws for a document whose
 * `QUERY_STATUS` is `ERROR` (the service's own message), rather than for a malformed one.
 */
export function isServiceError(err: unknown): err is ArchiveError {
  return err instanceof ArchiveError && serviceErrors.has(err);
}

/** Thrown inside the XML parser's handlers to stop it at the first problem. */
const STOP: unique symbol = Symbol('stop parsing');

function localName(name: string): string {
  const i = name.indexOf(':');
  return i < 0 ? name : name.slice(i + 1);
}

/**
 * Parse a VOTable (1.1–1.4) document: TABLEDATA, BINARY and BINARY2 serialisations, every
 * primitive datatype, fixed and variable arrays, nulls (see {@link VOValue}), INFOs and
 * RESOURCE PARAMs (DataLink service descriptors).
 *
 * @param src - the document as text or UTF-8 bytes
 * @throws ArchiveError on malformed XML, unsupported serialisation, or `QUERY_STATUS=ERROR`
 *   (with the service's message); `OVERFLOW` is not an error but sets `overflow: true`
 */
export function parseVOTable(
  src: string | Uint8Array | ArrayBuffer,
  opts: ParseVOTableOptions = {},
): VOTable {
  const parser = new VOTableStreamParser(opts);
  parser.write(typeof src === 'string' ? src : new TextDecoder('utf-8').decode(src));
  return parser.close();
}

/**
 * Parse a VOTable from a stream of byte or text chunks (e.g. an HTTP body) without holding the
 * whole document text in memory.
 *
 * @throws ArchiveError as {@link parseVOTable}
 */
export async function parseVOTableStream(
  chunks: AsyncIterable<Uint8Array | string>,
  opts: ParseVOTableOptions = {},
): Promise<VOTable> {
  const parser = new VOTableStreamParser(opts);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) {
    parser.write(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    // Stop reading at the first error: the rest of a broken body is never pulled.
    if (parser.failed) return parser.close();
  }
  parser.write(decoder.decode());
  return parser.close();
}
