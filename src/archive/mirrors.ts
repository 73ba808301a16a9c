import { ArchiveError } from '../core/errors.js';

/** The three ALMA Regional Centre mirrors of the ALMA Science Archive. */
export type MirrorName = 'ESO' | 'NRAO' | 'NAOJ';

/** Base URLs of the ALMA archive mirrors (TAP at `{base}/tap`, DataLink at `{base}/datalink`). */
export const ALMA_MIRRORS: Readonly<Record<MirrorName, string>> = {
  ESO: 'https://almascience.eso.org',
  NRAO: 'https://almascience.nrao.edu',
  NAOJ: 'https://almascience.nao.ac.jp',
};

/** Base URL of a mirror given by name (case-insensitive) or as an http(s) URL (trailing `/` removed). */
export function mirrorUrl(mirror: MirrorName | string): string {
  const named = (Object.keys(ALMA_MIRRORS) as MirrorName[]).find((k) => k === mirror.toUpperCase());
  if (named) return ALMA_MIRRORS[named];
  if (!/^https?:\/\/[^/\s]+/i.test(mirror)) {
    throw new ArchiveError(
      `unknown mirror ${JSON.stringify(mirror)}: use ESO, NRAO, NAOJ or an http(s) base URL`,
      mirror,
    );
  }
  return mirror.replace(/\/+$/, '');
}

/**
 * The mirrors to try, in order: the chosen one, then `fallbacks`. When `fallbacks` is undefined,
 * a named mirror falls back to the other two named ones and a URL to none.
 */
export function mirrorChain(
  mirror: MirrorName | string,
  fallbacks?: readonly (MirrorName | string)[],
): string[] {
  const first = mirrorUrl(mirror);
  const rest =
    fallbacks ??
    (Object.values(ALMA_MIRRORS).includes(first)
      ? Object.values(ALMA_MIRRORS).filter((u) => u !== first)
      : []);
  return [...new Set([first, ...rest.map(mirrorUrl)])];
}
