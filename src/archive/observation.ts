import type { VOValue } from './votable.js';

/**
 * One ObsCore row of the ALMA archive, with ALminer's derived columns. Numbers that the archive
 * left null (or that cannot be derived) are `NaN`; strings it left null are `''`.
 */
export interface Observation {
  /** `obs_id`: the member OUS the row describes. */
  obsId: string;
  /** `member_ous_uid` (ALminer `MOUS_id`): the identifier DataLink expects. */
  memberOusUid: string;
  /** `group_ous_uid`. */
  groupOusUid: string;
  /** `proposal_id` (ALminer `project_code`), e.g. `2019.1.01792.S`. */
  projectCode: string;
  /** `target_name` (ALminer `ALMA_source_name`). */
  sourceName: string;
  /** `s_ra`, degrees ICRS (ALminer `RAJ2000`). */
  ra: number;
  /** `s_dec`, degrees ICRS (ALminer `DEJ2000`). */
  dec: number;
  /** `s_resolution` rounded to 3 decimals, arcseconds (ALminer `ang_res_arcsec`). */
  angResArcsec: number;
  /** `s_fov` × 3600 rounded to 3 decimals, arcseconds (ALminer `FoV_arcsec`). */
  fovArcsec: number;
  /** `spatial_scale_max` rounded to 3 decimals, arcseconds (ALminer `LAS_arcsec`). */
  lasArcsec: number;
  /** c / `em_max`, GHz, 2 decimals (ALminer `min_freq_GHz`). */
  minFreqGHz: number;
  /** c / `em_min`, GHz, 2 decimals (ALminer `max_freq_GHz`). */
  maxFreqGHz: number;
  /** Mean of the unrounded min and max frequencies, GHz, 2 decimals (ALminer `central_freq_GHz`). */
  centralFreqGHz: number;
  /** max − min frequency, GHz, 3 decimals (ALminer `bandwidth_GHz`). */
  bandwidthGHz: number;
  /** ALMA bands from `band_list`. */
  bands: number[];
  /** `obs_release_date` (ISO text). */
  releaseDate: string;
  /** `data_rights`: `Public` or `Proprietary`. */
  dataRights: string;
  /** `science_keyword` (may list several, comma-separated). */
  scienceKeyword: string;
  /** `scientific_category`. */
  scientificCategory: string;
  /** `publication_year`, or `null` when unpublished. */
  publicationYear: number | null;
  /** Every column of the ObsCore row as returned by the service. */
  columns: Record<string, VOValue>;
}

/** Speed of light, m/s (exact). */
const C = 299_792_458;

function round(x: number, decimals: number): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
}

function num(v: VOValue | undefined): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '') return Number(v);
  return NaN;
}

function str(v: VOValue | undefined): string {
  return v === null || v === undefined ? '' : String(v);
}

/**
 * Turn an ObsCore record (column → value) into an {@link Observation} with ALminer's derived
 * columns. The record is not modified.
 */
export function toObservation(rec: Readonly<Record<string, VOValue>>): Observation {
  const minFreq = C / num(rec.em_max) / 1e9;
  const maxFreq = C / num(rec.em_min) / 1e9;
  const year = num(rec.publication_year);
  return {
    obsId: str(rec.obs_id),
    memberOusUid: str(rec.member_ous_uid) || str(rec.obs_id),
    groupOusUid: str(rec.group_ous_uid),
    projectCode: str(rec.proposal_id),
    sourceName: str(rec.target_name),
    ra: num(rec.s_ra),
    dec: num(rec.s_dec),
    angResArcsec: round(num(rec.s_resolution), 3),
    fovArcsec: round(num(rec.s_fov) * 3600, 3),
    lasArcsec: round(num(rec.spatial_scale_max), 3),
    minFreqGHz: round(minFreq, 2),
    maxFreqGHz: round(maxFreq, 2),
    centralFreqGHz: round((minFreq + maxFreq) / 2, 2),
    bandwidthGHz: round(maxFreq - minFreq, 3),
    bands: str(rec.band_list)
      .split(/[\s,]+/)
      .filter((s) => s !== '')
      .map(Number),
    releaseDate: str(rec.obs_release_date),
    dataRights: str(rec.data_rights),
    scienceKeyword: str(rec.science_keyword),
    scientificCategory: str(rec.scientific_category),
    publicationYear: Number.isFinite(year) && year > 0 ? year : null,
    columns: { ...rec },
  };
}

/** ALminer-style summary counts of a result. */
export interface ObservationSummary {
  /** Distinct `proposal_id`s. */
  projects: number;
  /** Distinct (group OUS, member OUS, target) triples, as ALminer counts observations. */
  observations: number;
  /** Distinct target names. */
  targets: number;
  /** The distinct target names, sorted. */
  targetNames: string[];
}

/** Count projects, observations and targets the way ALminer's `summary` does. */
export function summarizeObservations(obs: readonly Observation[]): ObservationSummary {
  const targets = [...new Set(obs.map((o) => o.sourceName))].sort();
  return {
    projects: new Set(obs.map((o) => o.projectCode)).size,
    observations: new Set(
      obs.map((o) => `${o.groupOusUid}\u0000${o.memberOusUid}\u0000${o.sourceName}`),
    ).size,
    targets: targets.length,
    targetNames: targets,
  };
}
