/**
 * A real HTTP server on 127.0.0.1 (random port) that replays recorded ALMA archive responses
 * and serves files with injected faults, for tests of the archive client, the CLI and anything
 * that downloads (sharding, streaming).
 *
 * Routes:
 * - `POST|GET /tap/sync`: the TAP answer set with `tap` (text or a function of the request).
 * - `GET /datalink/sync?ID=...`: the DataLink document registered for that ID, else 404.
 * - `GET /files/<name>`: a file added with `addFile`, honouring `Range`, after consuming the
 *   next queued fault for that file.
 * - anything added with `route` (a handler may answer later, e.g. to hold requests in flight).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** A fault served instead of (or in the middle of) the normal answer, once per request. */
export type Fault =
  /** Answer with this status (500, 401, 403, ...) and a short body. */
  | { kind: 'status'; status: number; body?: string; contentType?: string }
  /** Send the headers (full length) and `after` bytes, then destroy the socket. */
  | { kind: 'cut'; after: number }
  /** Declare the full length, send `after` bytes, then close the connection cleanly. */
  | { kind: 'short'; after: number }
  /** Send the headers and `after` bytes, then go silent (until the client gives up). */
  | { kind: 'stall'; after: number }
  /** Ignore any Range header and send the whole file with 200. */
  | { kind: 'ignore-range' }
  /** Serve other bytes instead of the file (e.g. an HTML error page under a `.fits` name). */
  | { kind: 'body'; bytes: Uint8Array | string; contentType?: string };

/** One request the server received. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Request body as text (TAP form posts). */
  body: string;
  /** Parsed form body (`QUERY`, `MAXREC`, ... for TAP). */
  form: URLSearchParams;
}

/** An answer for a custom route or a TAP function. */
export interface Reply {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

interface FileEntry {
  bytes: Uint8Array;
  headers: Record<string, string>;
  faults: Fault[];
}

export interface ReplayServer {
  /** Base URL, e.g. `http://127.0.0.1:41234` (use as an archive mirror). */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: RecordedRequest[];
  /** Set the TAP answer. */
  tap(answer: string | ((req: RecordedRequest) => Reply | string)): void;
  /** Register the DataLink document for an ID. */
  dataLink(id: string, document: string): void;
  /**
   * Serve `bytes` at `/files/<name>` (name URL-encoded in the path); returns the URL. `faults`
   * are consumed one per request, in order; after them the file is served normally.
   */
  addFile(
    name: string,
    bytes: Uint8Array,
    opts?: { faults?: Fault[]; headers?: Record<string, string> },
  ): string;
  /** Queue more faults for a file. */
  fault(name: string, ...faults: Fault[]): void;
  /** Drop every queued fault of every file (files are served normally from now on). */
  clearFaults(): void;
  /** Add a custom route (exact path match); the handler may answer with a promise. */
  route(
    method: string,
    path: string,
    handler: (req: RecordedRequest) => Reply | Promise<Reply>,
  ): void;
  /** Requests made for a path. */
  hits(path: string): RecordedRequest[];
  /** Stop the server and drop open (stalled) connections. */
  close(): Promise<void>;
}

export interface ReplayServerOptions {
  /** Initial TAP answer. */
  tap?: string;
  /** Initial DataLink documents by ID. */
  dataLink?: Record<string, string>;
}

function send(res: ServerResponse, reply: Reply): void {
  const body = reply.body ?? '';
  const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
  res.writeHead(reply.status ?? 200, { 'Content-Length': String(bytes.length), ...reply.headers });
  res.end(bytes);
}

export async function startReplayServer(opts: ReplayServerOptions = {}): Promise<ReplayServer> {
  const requests: RecordedRequest[] = [];
  let tapAnswer: string | ((req: RecordedRequest) => Reply | string) | undefined = opts.tap;
  const links = new Map<string, string>(Object.entries(opts.dataLink ?? {}));
  const files = new Map<string, FileEntry>();
  const routes = new Map<string, (req: RecordedRequest) => Reply | Promise<Reply>>();
  const sockets = new Set<Socket>();

  const serveFile = (req: RecordedRequest, res: ServerResponse, entry: FileEntry) => {
    const fault = entry.faults.shift();
    if (fault?.kind === 'status') {
      send(res, {
        status: fault.status,
        body: fault.body ?? `fault ${fault.status}`,
        headers: { 'Content-Type': fault.contentType ?? 'text/plain' },
      });
      return;
    }
    if (fault?.kind === 'body') {
      send(res, {
        body: fault.bytes,
        headers: { 'Content-Type': fault.contentType ?? 'text/html', ...entry.headers },
      });
      return;
    }
    const all = entry.bytes;
    const range = /^bytes=(\d+)-(\d*)$/.exec(String(req.headers.range ?? ''));
    let start = 0;
    let end = all.length;
    let status = 200;
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Accept-Ranges': 'bytes',
      ...entry.headers,
    };
    if (range && fault?.kind !== 'ignore-range') {
      start = Number(range[1]);
      end = range[2] ? Math.min(all.length, Number(range[2]) + 1) : all.length;
      if (start >= all.length) {
        send(res, { status: 416, headers: { 'Content-Range': `bytes */${all.length}` } });
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end - 1}/${all.length}`;
    }
    const body = Buffer.from(all.subarray(start, end));
    headers['Content-Length'] = String(body.length);
    res.writeHead(status, headers);
    if (fault?.kind === 'cut' || fault?.kind === 'short' || fault?.kind === 'stall') {
      res.write(body.subarray(0, Math.min(fault.after, body.length)), () => {
        // A moment for the client to read what was sent: a reset (or an end) arriving first
        // would make the client drop bytes it had received but not yet handed over (the
        // kernel on a reset, the platform's fetch when its body stream errors).
        if (fault.kind === 'cut') setTimeout(() => res.socket?.destroy(), 30);
        else if (fault.kind === 'short') setTimeout(() => res.socket?.end(), 30);
        // stall: keep the socket open and silent; close() destroys it.
      });
      return;
    }
    res.end(body);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = Buffer.concat(chunks).toString('utf8');
      const rec: RecordedRequest = {
        method: req.method ?? 'GET',
        path: u.pathname,
        query: u.searchParams,
        headers: req.headers,
        body,
        form: new URLSearchParams(body),
      };
      requests.push(rec);
      const custom = routes.get(`${rec.method} ${rec.path}`);
      if (custom) {
        void Promise.resolve(custom(rec)).then((reply) => send(res, reply));
        return;
      }
      if (rec.path === '/tap/sync') {
        if (tapAnswer === undefined) return send(res, { status: 404, body: 'no TAP answer set' });
        const a = typeof tapAnswer === 'function' ? tapAnswer(rec) : tapAnswer;
        const reply = typeof a === 'string' ? { body: a } : a;
        return send(res, {
          ...reply,
          headers: { 'Content-Type': 'application/x-votable+xml', ...reply.headers },
        });
      }
      if (rec.path === '/datalink/sync') {
        const doc = links.get(rec.query.get('ID') ?? '');
        if (doc === undefined)
          return send(res, {
            status: 404,
            body: `no DataLink document for ${rec.query.get('ID')}`,
          });
        return send(res, {
          body: doc,
          headers: { 'Content-Type': 'application/x-votable+xml;content=datalink' },
        });
      }
      if (rec.path.startsWith('/files/')) {
        const entry = files.get(decodeURIComponent(rec.path.slice('/files/'.length)));
        if (entry) return serveFile(rec, res, entry);
      }
      send(res, { status: 404, body: `not found: ${rec.path}` });
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    requests,
    tap(answer) {
      tapAnswer = answer;
    },
    dataLink(id, document) {
      links.set(id, document);
    },
    addFile(name, bytes, o = {}) {
      files.set(name, { bytes, headers: o.headers ?? {}, faults: [...(o.faults ?? [])] });
      return `${url}/files/${encodeURIComponent(name)}`;
    },
    fault(name, ...faults) {
      const entry = files.get(name);
      if (!entry) throw new Error(`no file ${name}`);
      entry.faults.push(...faults);
    },
    clearFaults() {
      for (const entry of files.values()) entry.faults.length = 0;
    },
    route(method, path, handler) {
      routes.set(`${method.toUpperCase()} ${path}`, handler);
    },
    hits(path) {
      return requests.filter((r) => r.path === path);
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A base URL on which nothing listens (connection refused), for failover tests. */
export async function refusedUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** One row of a generated DataLink document. */
export interface DataLinkRowSpec {
  id: string;
  accessUrl?: string;
  serviceDef?: string;
  errorMessage?: string;
  semantics?: string;
  contentType?: string;
  contentLength?: number;
}

const xmlEscape = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/**
 * A DataLink 1.1 VOTable with the ALMA service's columns, for generated products (e.g. many
 * files served by this server). `services` adds ad-hoc DataLink descriptors (tarball listings):
 * service ID → the ID its accessURL asks for.
 */
export function dataLinkDocument(
  rows: DataLinkRowSpec[],
  services: Record<string, string> = {},
): string {
  const td = (v: string | number | undefined) =>
    v === undefined ? '<TD/>' : `<TD>${xmlEscape(String(v))}</TD>`;
  const trs = rows
    .map(
      (r) =>
        `<TR>${td(r.id)}${td(r.accessUrl)}${td(r.serviceDef)}${td(r.errorMessage)}${td(r.semantics ?? '#this')}` +
        `${td('')}${td(r.contentType ?? 'application/octet-stream')}${td(r.contentLength)}${td('true')}</TR>`,
    )
    .join('\n');
  const res = Object.entries(services)
    .map(
      ([id, target]) =>
        `<RESOURCE type="meta" ID="${xmlEscape(id)}" utype="adhoc:service">` +
        `<PARAM name="standardID" datatype="char" arraysize="*" value="ivo://ivoa.net/std/DataLink#links-1.0"/>` +
        `<PARAM name="accessURL" datatype="char" arraysize="*" value="https://almascience.org/datalink/sync?ID=${xmlEscape(encodeURIComponent(target))}"/>` +
        `</RESOURCE>`,
    )
    .join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<VOTABLE xmlns="http://www.ivoa.net/xml/VOTable/v1.3" version="1.4">
<RESOURCE type="results"><TABLE>
<FIELD name="ID" datatype="char" arraysize="*"/><FIELD name="access_url" datatype="char" arraysize="*"/>
<FIELD name="service_def" datatype="char" arraysize="*"/><FIELD name="error_message" datatype="char" arraysize="*"/>
<FIELD name="semantics" datatype="char" arraysize="*"/><FIELD name="description" datatype="char" arraysize="*"/>
<FIELD name="content_type" datatype="char" arraysize="*"/><FIELD name="content_length" datatype="long" unit="byte"/>
<FIELD name="readable" datatype="boolean"/>
<DATA><TABLEDATA>
${trs}
</TABLEDATA></DATA></TABLE></RESOURCE>
${res}
</VOTABLE>
`;
}
