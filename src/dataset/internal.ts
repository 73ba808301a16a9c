// Helpers shared inside the dataset module; not part of the public API.

/** The base name of a path, so hand-typed angles and exclude lists can name files without directories. */
export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}
