/** Writing the candidate catalogues beside `candidates.json` (Node). */
import { writeFileAtomic } from '../core/atomic.node.js';
import type { CatalogueVotableMeta } from '../report/catalogue.js';
import { candidateCatalogues, type CatalogueCandidate } from './catalogue.js';

/** The extensions of the catalogue files, by what they hold. */
export const CATALOGUE_EXTENSIONS = {
  /** CSV (TOPCAT, pandas, astropy `Table.read(format='ascii.csv')`). */
  csv: '.csv',
  /** VOTable 1.4 (TOPCAT, Aladin, astropy `Table.read(format='votable')`). */
  votable: '.vot',
  /** DS9 regions. */
  ds9: '.reg',
  /** CASA region text (CASA viewer, CARTA). */
  crtf: '.crtf',
} as const;

/** What {@link writeCandidateCatalogues} wrote. */
export interface WrittenCatalogues {
  /** Paths of the four files, by kind. */
  paths: Record<keyof typeof CATALOGUE_EXTENSIONS, string>;
  /** Positions converted to a common frame or left out (see `candidateCatalogueRows`). */
  warnings: string[];
}

/**
 * Write the candidates as `<base>.csv`, `<base>.vot`, `<base>.reg` and `<base>.crtf` (see
 * `candidateCatalogues`), each via `name.part` and a rename. Give `base` as the path of
 * `candidates.json` (its `.json` or `.jsonl` is dropped) to put them beside it.
 *
 * @param candidates - the candidates
 * @param base - path without extension, or the path of the JSON file they sit beside
 * @param meta - VOTable metadata
 */
export async function writeCandidateCatalogues(
  candidates: readonly CatalogueCandidate[],
  base: string,
  meta: CatalogueVotableMeta = {},
): Promise<WrittenCatalogues> {
  const stem = base.replace(/\.jsonl?$/i, '');
  const texts = candidateCatalogues(candidates, meta);
  const paths = {
    csv: stem + CATALOGUE_EXTENSIONS.csv,
    votable: stem + CATALOGUE_EXTENSIONS.votable,
    ds9: stem + CATALOGUE_EXTENSIONS.ds9,
    crtf: stem + CATALOGUE_EXTENSIONS.crtf,
  };
  await Promise.all([
    writeFileAtomic(paths.csv, texts.csv),
    writeFileAtomic(paths.votable, texts.votable),
    writeFileAtomic(paths.ds9, texts.ds9),
    writeFileAtomic(paths.crtf, texts.crtf),
  ]);
  return { paths, warnings: texts.warnings };
}
