// The extension an ...E backend appends to a key name: selectExtension of git-annex 10.20230126
// (annex-format.md §1.2, §10 pitfall 11). Lengths are UTF-8 bytes; the result does not depend on the locale.

/** Default of `annex.maxextensionlength`. */
export const DEFAULT_MAX_EXTENSION_LENGTH = 4;
// Hard-coded in 10.20230126 (`annex.maxextensions` came later).
const MAX_EXTENSIONS = 2;

/** The extension (with its leading dot, e.g. `.tar.gz`) chosen from the base name of `fileName`, or ''. */
export function selectExtension(fileName: string, maxLength = DEFAULT_MAX_EXTENSION_LENGTH): string {
  // Leading dots are not extensions: `.bashrc` has none, `.config.yml` has `.yml`.
  const base = fileName.slice(fileName.lastIndexOf('/') + 1).replace(/^\.+/, '');
  const dot = base.indexOf('.');
  if (dot < 0) return '';
  // '.tar.gz' splits into ['', 'tar', 'gz']: the empty first piece takes part in the walk like git-annex's.
  const pieces = base.slice(dot).split('.');
  const kept: string[] = [];
  // Walk from the last piece back; a too-long piece ends the walk, an invalid one is only skipped, and
  // empty pieces count towards the two kept (so `a.b..c` gives `.c`).
  for (let i = pieces.length - 1; i >= 0 && kept.length < MAX_EXTENSIONS; i--) {
    const piece = pieces[i] ?? '';
    if (Buffer.byteLength(piece) > maxLength) break;
    if (validInExtension(piece)) kept.push(piece);
  }
  return kept.reverse().filter((p) => p !== '').map((p) => `.${p}`).join('');
}

// ASCII letters and digits; any non-ASCII character (bytes >= 0x80 in UTF-8) is allowed too.
function validInExtension(piece: string): boolean {
  return /^[A-Za-z0-9\u0080-\u{10FFFF}]*$/u.test(piece);
}
