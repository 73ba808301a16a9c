/**
 * Base class of every error this library throws on purpose. Each subclass names the concern
 * (FITS, archive, dataset, model) and its message says which file or URL and what was wrong,
 * so a CLI can print `err.message` alone and a caller can branch on `instanceof`.
 */
export class AlmaClassifierError extends Error {
  /** The file path, URL or other resource the error is about, when there is one. */
  readonly source: string | undefined;

  /**
   * @param message - what was wrong, already naming the resource
   * @param source - the file path or URL concerned, if any
   * @param options - standard `ErrorOptions`, e.g. `{ cause }`
   */
  constructor(message: string, source?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.source = source;
  }
}

/** A FITS file could not be read or written: not FITS, truncated, unsupported, or a bad option. */
export class FitsError extends AlmaClassifierError {}

/** A NumPy `.npy` file could not be read or written. */
export class NpyError extends AlmaClassifierError {}

/** The ALMA archive (TAP, DataLink, download) answered with an error or could not be reached. */
export class ArchiveError extends AlmaClassifierError {
  /** HTTP status of the failed response, when the failure was an HTTP answer. */
  readonly status: number | undefined;

  /**
   * @param message - what was wrong, naming the URL
   * @param source - the URL concerned
   * @param status - the HTTP status, if any
   * @param options - standard `ErrorOptions`, e.g. `{ cause }`
   */
  constructor(message: string, source?: string, status?: number, options?: ErrorOptions) {
    super(message, source, options);
    this.status = status;
  }
}

/** A dataset could not be built, saved or loaded. */
export class DatasetError extends AlmaClassifierError {}

/** A model could not be built, trained, saved or loaded. */
export class ModelError extends AlmaClassifierError {}

/** A pipeline step failed (wraps the step's own error as `cause`). */
export class PipelineError extends AlmaClassifierError {}

/** A FITS header's world coordinate system could not be read or used (missing, unsupported, singular). */
export class WcsError extends AlmaClassifierError {}

const SYSTEM_ERRORS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a file is in the way where a folder should be',
  EISDIR: 'is a folder',
  EEXIST: 'already exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or folder',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'name too long',
  EMFILE: 'too many open files',
  EIO: 'input/output error',
  ENOTREG: 'not a regular file',
  EFBIG: 'file too large',
};

/**
 * What a failed system call (a Node `ErrnoException`) means, in words with its code:
 * `no space left on the device (ENOSPC)`; the error's own message for other errors.
 *
 * @param err - the error caught
 */
export function systemErrorText(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code in SYSTEM_ERRORS) return `${SYSTEM_ERRORS[code]} (${code})`;
  return err instanceof Error ? err.message : String(err);
}
