// WORM key names (annex-format.md §1.3): the path relative to the repository top, sanitized so it is safe
// in a key, and shortened with an MD5 when long.
import { createHash } from 'node:crypto';

// Kept as they are; '/', '%' and ':' are escaped later by keyFile (§1.4).
const SAFE = /^[A-Za-z0-9._\-/%:]$/;
const MAX_BYTES = 64; // the length of a SHA-256 hex digest
const MD5_HEX_LENGTH = 32;

/**
 * The WORM name of `relPath`: safe characters kept, ',' doubled, any other character written as ',' and
 * its decimal code point. When the path (not the sanitized name) is longer than 64 UTF-8 bytes, the name is
 * cut to 31 characters and '-' + md5hex(path) is appended.
 *
 * git-annex takes "code point" from its locale: under LANG=C it escapes each byte of a non-ASCII name as a
 * surrogate (`é` becomes `,56515,56489`), under a UTF-8 locale as the code point (`,233`). ferry always
 * does the latter.
 */
export function wormName(relPath: string): string {
  let name = '';
  for (const ch of relPath) {
    if (SAFE.test(ch)) name += ch;
    else if (ch === ',') name += ',,';
    else name += `,${ch.codePointAt(0) ?? 0}`;
  }
  if (Buffer.byteLength(relPath) <= MAX_BYTES) return name;
  // The sanitized name is ASCII, so characters are bytes here.
  const md5 = createHash('md5').update(relPath, 'utf8').digest('hex');
  return `${name.slice(0, MAX_BYTES - MD5_HEX_LENGTH - 1)}-${md5}`;
}
