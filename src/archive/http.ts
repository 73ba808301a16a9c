import crossFetch from 'cross-fetch';
import { ArchiveError } from '../core/errors.js';
import { isServiceError, parseVOTable } from './votable.js';

/**
 * The part of the Fetch API this module uses. {@link defaultFetch} is the default; pass another
 * `fetch` or a test double instead. Bodies may be web `ReadableStream`s or Node readables
 * (node-fetch); both are read as async iterables of bytes.
 */
export type FetchLike = (url: string, init?: RequestInit) => Promise<Response>;

/**
 * The default HTTP layer: the platform's `fetch` (Node 18+, browsers), looked up at each call;
 * `cross-fetch` where there is none. The platform's fetch ends a body that the server cuts
 * short of its `Content-Length` with an error at once, where node-fetch (cross-fetch in Node)
 * waits for the inactivity timeout.
 */
export const defaultFetch: FetchLike = (url, init) =>
  typeof globalThis.fetch === 'function'
    ? globalThis.fetch(url, init)
    : (crossFetch as FetchLike)(url, init);

/** Retry and timeout settings shared by every request of the archive client. */
export interface RetryOptions {
  /** Extra attempts after a 5xx/429 answer, a timeout or a dropped connection. Default 3. */
  retries?: number;
  /** Wait before the first retry, ms; doubles each time. Default 1000. */
  backoffMs?: number;
  /** Longest wait for response headers, and longest silence while a body streams, ms. Default 60000. */
  timeoutMs?: number;
}

/** Defaults of {@link RetryOptions}. */
export const DEFAULT_RETRY_OPTIONS: Required<RetryOptions> = {
  retries: 3,
  backoffMs: 1000,
  timeoutMs: 60_000,
};

// Failures of the connection itself (refused, reset, timed out) carry no HTTP status, like
// service-reported errors; this set tells the two apart without widening ArchiveError.
const connectionFailures = new WeakSet<ArchiveError>();

/**
 * Whether `err` is a failure to reach a service at all — connection refused or reset, a name
 * that does not resolve, a timeout, a transfer cut short — rather than an answer from it (an
 * HTTP error status, `QUERY_STATUS=ERROR`). Useful to tell a user that the archive cannot be
 * reached (offline, a firewall, a mirror down).
 *
 * @param err - an error thrown by `AlmaArchive` or `downloadProducts`
 */
export function isConnectionFailure(err: unknown): boolean {
  return err instanceof ArchiveError && connectionFailures.has(err);
}

/** An answer or failure that another attempt may fix (5xx, 429, timeout, network error). */
export function isTransient(err: unknown): boolean {
  if (!(err instanceof ArchiveError)) return true;
  if (err.status !== undefined) return err.status >= 500 || err.status === 429;
  return connectionFailures.has(err);
}

/** Resolve after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A request with a deadline: the returned `signal` aborts when `timeoutMs` passes without
 * `touch()` being called, so a stalled body read fails instead of hanging.
 */
export interface Deadline {
  /** Abort signal to pass to fetch. */
  signal: AbortSignal;
  /** Restart the inactivity timer (call on every chunk received). */
  touch(): void;
  /** Stop the timer. */
  clear(): void;
  /** True once the timer fired. */
  readonly expired: boolean;
}

/** Start an inactivity deadline of `timeoutMs`. */
export function startDeadline(timeoutMs: number): Deadline {
  const controller = new AbortController();
  let expired = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = setTimeout(() => {
      expired = true;
      controller.abort();
    }, timeoutMs);
  };
  arm();
  return {
    signal: controller.signal,
    touch: arm,
    clear: () => {
      if (timer !== undefined) clearTimeout(timer);
    },
    get expired() {
      return expired;
    },
  };
}

/** The chunks of a response body, whichever stream flavour the fetch implementation returns. */
export async function* bodyChunks(res: Response): AsyncGenerator<Uint8Array> {
  const body = res.body as unknown;
  if (body === null || body === undefined) return;
  if (typeof (body as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function') {
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      yield typeof chunk === 'string' ? new TextEncoder().encode(chunk) : chunk;
    }
    return;
  }
  const reader = (body as ReadableStream<Uint8Array>).getReader();
  let ended = false;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) {
        ended = true;
        return;
      }
      yield value;
    }
  } finally {
    // A reader that stops early (an error while writing) cancels the rest of the body, which
    // frees the connection.
    if (!ended) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}

/** An `ArchiveError` about a broken transfer (short body, wrong size) that a retry may fix. */
export function transferError(url: string, message: string): ArchiveError {
  const e = new ArchiveError(`${url}: ${message}`, url);
  connectionFailures.add(e);
  return e;
}

/** Wrap a low-level failure (abort, socket reset) as an `ArchiveError` naming the URL. */
export function networkError(
  url: string,
  err: unknown,
  deadline?: Deadline,
  timeoutMs?: number,
): ArchiveError {
  if (err instanceof ArchiveError) return err;
  const msg = err instanceof Error ? err.message : String(err);
  const e = deadline?.expired
    ? new ArchiveError(`${url}: no data for ${timeoutMs} ms (timed out)`, url, undefined, {
        cause: err,
      })
    : new ArchiveError(`${url}: request failed: ${msg}`, url, undefined, { cause: err });
  connectionFailures.add(e);
  return e;
}

/**
 * Fetch `url` and hand the response to `consume` (which reads the body, calling
 * `deadline.touch()` per chunk), with the inactivity timeout, retrying transient failures with
 * exponential backoff. A non-2xx answer is passed to `onHttpError` (default: `ArchiveError`
 * with the status and the start of the body) and never to `consume`.
 */
export async function fetchWith<T>(
  fetchImpl: FetchLike,
  url: string,
  init: RequestInit,
  opts: Required<RetryOptions>,
  consume: (res: Response, deadline: Deadline) => Promise<T>,
  onRetry?: (attempt: number, err: ArchiveError) => void,
): Promise<T> {
  return withRetry(
    async () => {
      const deadline = startDeadline(opts.timeoutMs);
      try {
        const res = await fetchImpl(url, { ...init, signal: deadline.signal });
        if (!res.ok) throw await httpError(url, res);
        return await consume(res, deadline);
      } catch (err) {
        throw networkError(url, err, deadline, opts.timeoutMs);
      } finally {
        deadline.clear();
      }
    },
    opts,
    onRetry,
  );
}

/** @internal Bytes of a non-2xx body read for its message: a TAP error document fits, a huge page does not. */
export const ERROR_BODY_PREFIX_BYTES = 64 * 1024;

/**
 * At most the first `maxBytes` of a body as text; the rest is never read (the body is cancelled,
 * which frees the connection).
 */
async function bodyPrefix(res: Response, maxBytes: number): Promise<string> {
  const chunks: Uint8Array[] = [];
  let n = 0;
  try {
    for await (const chunk of bodyChunks(res)) {
      chunks.push(chunk.subarray(0, maxBytes - n));
      n += Math.min(chunk.length, maxBytes - n);
      if (n >= maxBytes) break;
    }
  } catch {
    // What arrived before the connection failed is enough for a message.
  }
  const all = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder('utf-8').decode(all);
}

/**
 * An `ArchiveError` for a non-2xx answer, quoting the start of its body. Only the first
 * {@link ERROR_BODY_PREFIX_BYTES} of the body are read. A TAP/DataLink error document there
 * (`QUERY_STATUS=ERROR`) gives the service's own message; anything else — an HTML page, a
 * VOTable cut at the prefix — gives the HTTP status and the start of the text.
 */
export async function httpError(url: string, res: Response): Promise<ArchiveError> {
  const body = await bodyPrefix(res, ERROR_BODY_PREFIX_BYTES);
  if (/<VOTABLE/i.test(body)) {
    // TAP and DataLink services explain failures in a VOTable with QUERY_STATUS=ERROR.
    try {
      parseVOTable(body, { source: url });
    } catch (e) {
      if (isServiceError(e))
        return new ArchiveError(`${e.message} (HTTP ${res.status})`, url, res.status);
    }
  }
  const detail = body.replace(/\s+/g, ' ').trim().slice(0, 300);
  return new ArchiveError(
    `${url}: HTTP ${res.status} ${res.statusText}${detail ? `: ${detail}` : ''}`,
    url,
    res.status,
  );
}

/** Run `attempt` until it succeeds, a non-transient error occurs, or retries run out. */
export async function withRetry<T>(
  attempt: () => Promise<T>,
  opts: Required<RetryOptions>,
  onRetry?: (attempt: number, err: ArchiveError) => void,
): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const e = err instanceof ArchiveError ? err : networkError('request', err);
      if (i >= opts.retries || !isTransient(e)) throw e;
      onRetry?.(i + 1, e);
      await sleep(opts.backoffMs * 2 ** i);
    }
  }
}
