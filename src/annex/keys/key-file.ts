// keyFile: a key as a file name, and back (annex-format.md §1.4). Used for object files and directories,
// pointer files, location-log names and directory-remote names — not for S3 object names and not for the
// string that is hashed into hash directories (§10 pitfall 12).

// Escaping is all or nothing: a key with none of these characters is its own file name.
const NEEDS_ESCAPE = /[&%:/]/;
const ESCAPES: Readonly<Record<string, string>> = { '&': '&a', '%': '&s', ':': '&c', '/': '%' };
const UNESCAPES: Readonly<Record<string, string>> = { a: '&', s: '%', c: ':' };

/** The file name of the serialized key `keyText`: `&`→`&a`, `%`→`&s`, `:`→`&c`, `/`→`%` when any is present. */
export function keyFile(keyText: string): string {
  if (!NEEDS_ESCAPE.test(keyText)) return keyText;
  return keyText.replace(/[&%:/]/g, (c) => ESCAPES[c] ?? c);
}

/**
 * The serialized key a keyFile name stands for (not validated: parse it). Like git-annex, '%' becomes '/',
 * then in each piece `&c`, `&s`, `&a` are undone; an unknown `&x` becomes `x` and a trailing `&` vanishes.
 */
export function fileKey(file: string): string {
  if (!file.includes('%') && !file.includes('&')) return file;
  // As git-annex splits on '%' and then on '&', an escape letter is never '&' or '%'.
  return file.replace(/%|&([^&%]?)/g, (m, c: string | undefined) => (m === '%' ? '/' : UNESCAPES[c ?? ''] ?? c ?? ''));
}
