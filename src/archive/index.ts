// archive module: public, browser-safe exports.
export * from './adql.js';
export * from './archive.js';
export * from './datalink.js';
export * from './download.js';
export {
  DEFAULT_RETRY_OPTIONS,
  defaultFetch,
  isConnectionFailure,
  type FetchLike,
  type RetryOptions,
} from './http.js';
export * from './mirrors.js';
export * from './observation.js';
export * from './votable.js';
export * from './vocabulary.js';
export * from './file-name.js';
