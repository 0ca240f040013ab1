// The names git-annex gives the two sides of a merge conflict on an annexed file (annex-format.md §4):
// NAME.variant-XXXX.EXT, XXXX the first 4 hex digits of md5hex(key); when the path already holds
// ".variant-" anywhere, the whole keyFile instead (Annex/VariantFile.hs). Both repositories that resolve
// the same conflict therefore pick the same names, and their merge commits merge cleanly afterwards.
import { createHash } from 'node:crypto';
import { keyFile } from '../annex/index.js';

export const VARIANT_MARKER = '.variant-';

/** The path that holds the `key` side of a conflict on `path` ('/'-separated, from the top of the work tree). */
export function variantPath(path: string, key: string): string {
  const variant = path.includes(VARIANT_MARKER) ? keyFile(key) : shortHash(key);
  const slash = path.lastIndexOf('/');
  const dir = slash < 0 ? '' : path.slice(0, slash + 1);
  const name = path.slice(slash + 1);
  // Haskell's takeExtension: from the last '.' of the file name, even at its start (".bashrc" is all
  // extension, so it becomes ".variant-XXXX.bashrc"; checked against git-annex 10.20230126).
  const dot = name.lastIndexOf('.');
  const base = dot < 0 ? name : name.slice(0, dot);
  const ext = dot < 0 ? '' : name.slice(dot);
  return `${dir}${base}${VARIANT_MARKER}${variant}${ext}`;
}

function shortHash(key: string): string {
  return createHash('md5').update(key, 'utf8').digest('hex').slice(0, 4);
}
