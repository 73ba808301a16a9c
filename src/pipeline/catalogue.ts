/**
 * Classified candidates as catalogues astronomers open: the rows of the report module's
 * catalogue writers (CSV, VOTable, DS9 and CRTF regions), in one sky frame. Browser-safe.
 */
import {
  catalogueCrtf,
  catalogueCsv,
  catalogueDs9,
  catalogueVotable,
  type CatalogueFrame,
  type CatalogueRow,
  type CatalogueVotableMeta,
} from '../report/catalogue.js';
import { fk5J2000ToIcrs } from '../wcs/frames.js';
import { formatDec, formatRa } from '../wcs/sexagesimal.js';
import type { Candidate } from './classify.js';

/** What a catalogue row is made from: a {@link Candidate}, or a stored one without its input. */
export type CatalogueCandidate = Omit<Candidate, 'provenance' | 'input'> & {
  /** Uncertainty of the score, when the run measured one. */
  scoreErr?: number;
};

/** The catalogue rows of some candidates, in one frame, and what could not be kept. */
export interface CandidateRows {
  /** One row per candidate, in the order given. */
  rows: CatalogueRow[];
  /** The frame every position is in (`undefined` when no candidate has one). */
  frame?: {
    /** ICRS, FK5 or FK4. */
    frame: CatalogueFrame;
    /** Equinox of FK5 (J) or FK4 (B) positions, years. */
    equinox?: number;
  };
  /** Positions converted or left out, e.g. FK5 rows moved to ICRS because frames were mixed. */
  warnings: string[];
}

interface ParsedFrame {
  frame: CatalogueFrame;
  equinox?: number;
  key: string;
}

/** A {@link Candidate.frame} name as the catalogue's frame, or undefined when it has none. */
function parseFrame(name: string | undefined): ParsedFrame | undefined {
  if (name === undefined) return undefined;
  if (name === 'ICRS') return { frame: 'ICRS', key: 'ICRS' };
  const m = /^(FK5|FK4) ([JB])(\d+(?:\.\d+)?)$/.exec(name);
  if (m === null) return undefined;
  return { frame: m[1] as CatalogueFrame, equinox: Number(m[3]), key: name };
}

/** Whether DS9 and CRTF have a name for the frame (FK5 only at J2000, FK4 only at B1950). */
function regionFrame(f: ParsedFrame): boolean {
  return (
    f.frame === 'ICRS' ||
    (f.frame === 'FK5' && f.equinox === 2000) ||
    (f.frame === 'FK4' && f.equinox === 1950)
  );
}

/**
 * Candidates as {@link CatalogueRow}s in one frame, the one a VOTable's COOSYS names: the
 * headers' frame when they share one, else ICRS, with FK5 J2000 positions moved by the ~20 mas
 * frame bias (`fk5J2000ToIcrs`, as astropy). A position that cannot be brought into the common
 * frame (FK4, FK5 at another equinox, GAPPT) is left out of the row, with a warning; so is one in
 * a frame DS9 and CASA cannot name. `candidates.json` keeps every position in its header's frame.
 *
 * @param candidates - the candidates, e.g. from `classify`
 */
export function candidateCatalogueRows(candidates: readonly CatalogueCandidate[]): CandidateRows {
  const warnings: string[] = [];
  const frames = new Map<string, ParsedFrame>();
  for (const c of candidates) {
    if (c.ra === undefined || c.dec === undefined) continue;
    const f = parseFrame(c.frame);
    if (f !== undefined && regionFrame(f)) frames.set(f.key, f);
  }
  const target: ParsedFrame | undefined =
    frames.size === 1
      ? [...frames.values()][0]
      : frames.size > 1
        ? { frame: 'ICRS', key: 'ICRS' }
        : undefined;
  let converted = 0;
  const rows = candidates.map((c): CatalogueRow => {
    const row: CatalogueRow = {
      file: c.file,
      sourceIndex: c.sourceIndex,
      peakRow: c.peak[0],
      peakCol: c.peak[1],
      score: c.score,
      label: c.label,
    };
    if (c.object !== undefined) row.object = c.object;
    if (c.scoreErr !== undefined) row.scoreErr = c.scoreErr;
    if (c.peakJyBeam !== undefined) row.peakJyBeam = c.peakJyBeam;
    if (c.integratedJy !== undefined) row.integratedJy = c.integratedJy;
    if (c.integratedErrJy !== undefined) row.integratedErrJy = c.integratedErrJy;
    if (c.rmsJyBeam !== undefined) row.rmsJyBeam = c.rmsJyBeam;
    if (c.snr !== undefined) row.snr = c.snr;
    if (c.beam !== undefined) {
      row.beamMajorArcsec = c.beam.majorArcsec;
      row.beamMinorArcsec = c.beam.minorArcsec;
      row.beamPaDeg = c.beam.paDeg;
    }
    if (c.pixelScaleArcsec !== undefined) row.pixelScaleArcsec = c.pixelScaleArcsec;
    if (c.projectCode !== undefined) row.projectCode = c.projectCode;
    if (c.memberOus !== undefined) row.memberOus = c.memberOus;
    if (c.outsideTraining !== undefined) row.outsideTraining = c.outsideTraining;
    if (c.ra === undefined || c.dec === undefined || target === undefined) return row;
    const own = parseFrame(c.frame);
    let position: [number, number] | undefined;
    if (own?.key === target.key) position = [c.ra, c.dec];
    else if (target.frame === 'ICRS' && own?.frame === 'FK5' && own.equinox === 2000) {
      position = fk5J2000ToIcrs([c.ra, c.dec]);
      converted++;
    }
    if (position === undefined) {
      warnings.push(
        `${c.file} source ${c.sourceIndex}: its ${c.frame ?? 'unnamed'} position cannot be written in ${target.key}; ` +
          'the catalogue rows leave it out (candidates.json keeps it)',
      );
      return row;
    }
    row.raDeg = position[0];
    row.decDeg = position[1];
    row.frame = target.frame;
    if (target.equinox !== undefined) row.equinox = target.equinox;
    row.raHms = formatRa(position[0]);
    row.decDms = formatDec(position[1]);
    return row;
  });
  if (converted > 0) {
    warnings.unshift(
      `the images are in ${[...frames.keys()].join(' and ')}: ${converted} FK5 J2000 position${converted === 1 ? '' : 's'} ` +
        'converted to ICRS (frame bias, about 20 mas) so that one catalogue holds them all',
    );
  }
  const frame =
    target === undefined
      ? undefined
      : {
          frame: target.frame,
          ...(target.equinox !== undefined ? { equinox: target.equinox } : {}),
        };
  return { rows, ...(frame !== undefined ? { frame } : {}), warnings };
}

/** The four catalogue texts of {@link candidateCatalogues}. */
export interface CandidateCatalogueTexts {
  /** `candidates.csv`: {@link catalogueCsv}. */
  csv: string;
  /** `candidates.vot`: {@link catalogueVotable}, VOTable 1.4 TABLEDATA with units and UCDs. */
  votable: string;
  /** `candidates.reg`: {@link catalogueDs9}, DS9 regions (the beam at each position, the score as text). */
  ds9: string;
  /** `candidates.crtf`: {@link catalogueCrtf}, CASA/CARTA regions. */
  crtf: string;
  /** What {@link candidateCatalogueRows} converted or left out. */
  warnings: string[];
}

/**
 * The candidates as the four catalogue files' texts: CSV, VOTable, DS9 and CRTF regions, all
 * from the same rows ({@link candidateCatalogueRows}), so every tool sees the same values.
 *
 * @param candidates - the candidates
 * @param meta - VOTable metadata (name, description, INFO such as the model)
 */
export function candidateCatalogues(
  candidates: readonly CatalogueCandidate[],
  meta: CatalogueVotableMeta = {},
): CandidateCatalogueTexts {
  const { rows, warnings } = candidateCatalogueRows(candidates);
  return {
    csv: catalogueCsv(rows),
    votable: catalogueVotable(rows, {
      description: 'Candidates found by alma-classifier: one row per object scored',
      ...meta,
    }),
    ds9: catalogueDs9(rows),
    crtf: catalogueCrtf(rows),
    warnings,
  };
}
