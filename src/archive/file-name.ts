/** What an ALMA product's file name (and the folders above it) tells about it. */
export interface AlmaFileInfo {
  /** Member OUS UID, e.g. `'uid://A001/X12a2/X10d'`, from `member.uid___A001_X12a2_X10d`. */
  memberOus?: string;
  /** Target name the pipeline wrote into the name, e.g. `'COS850.0005'` from `._COS850.0005__sci.`. */
  target?: string;
  /** ALMA project code, e.g. `'2017.1.00123.S'`, when the path holds one (a download folder, a tarball name). */
  projectCode?: string;
}

/**
 * Read what the ALMA pipeline's naming says about a product: the member OUS UID
 * (`member.uid___A001_X12a2_X10d…` → `uid://A001/X12a2/X10d`), the target between `._` and
 * `_sci` (`…._COS850.0005__sci.spw5_7_9_11.cont.I.pbcor.fits` → `COS850.0005`), and a project
 * code (`2017.1.00123.S`) anywhere in the path, as the archive's tarballs and download folders
 * carry it. Fields the name does not hold are left out. Browser-safe, no I/O.
 *
 * @param path - a file name or path
 */
export function almaFileInfo(path: string): AlmaFileInfo {
  const name = path.split(/[\\/]/).pop() ?? path;
  const out: AlmaFileInfo = {};
  const mous = /member\.uid___([A-Za-z0-9]+)_([A-Za-z0-9]+)_([A-Za-z0-9]+)/.exec(name);
  if (mous !== null) out.memberOus = `uid://${mous[1]}/${mous[2]}/${mous[3]}`;
  const target = /^member\.uid___[A-Za-z0-9]+_[A-Za-z0-9]+_[A-Za-z0-9]+\._(.+?)_+sci\./.exec(name);
  if (target !== null && target[1] !== '') out.target = target[1];
  const project = /(?:^|[^0-9])(\d{4}\.[0-9A]\.\d{5}\.[A-Z]{1,3})(?![A-Za-z0-9])/.exec(path);
  if (project !== null) out.projectCode = project[1];
  return out;
}
