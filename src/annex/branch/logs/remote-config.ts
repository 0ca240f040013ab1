// The value of a remote.log line (annex-format §3.2, 5.1): `key=value` words sorted by key, separated by
// single spaces, with whitespace and `&` in values written as `&` + decimal code point + `;`.
import { InvalidLogFieldError, compareBytes } from './log-text.js';

/**
 * The characters git-annex escapes besides `&`: Haskell's isSpace, i.e. ASCII tab, LF, VT, FF, CR and
 * space, U+00A0, and the other Unicode space separators (Zs). Verified with 10.20230126 under a UTF-8
 * locale: U+0085, U+180E, U+2028, U+2029 and U+200B are written raw. (Under LANG=C git-annex sees
 * non-ASCII bytes undecoded and escapes none of them; ferry always follows the UTF-8 behaviour, and
 * both forms read back the same.)
 */
const SPACE = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/u;
const SPACES = /[\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+/u;
const ESCAPED = /[&\t\n\v\f\r \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]/gu;
const ENTITY = /&([0-9]+);/g;

/**
 * Reads a remote config value as git-annex does: split into words at any of the SPACE characters, each
 * word is `key=value` split at its first `=` (a word without `=` is a key with an empty value), the value
 * unescaped; a later duplicate key wins. An entity that names no Unicode scalar value stays literal.
 */
export function parseRemoteConfig(value: string): Map<string, string> {
  const config = new Map<string, string>();
  for (const word of value.split(SPACES)) {
    if (word === '') continue;
    const eq = word.indexOf('=');
    if (eq < 0) config.set(word, '');
    else config.set(word.slice(0, eq), unescapeConfigValue(word.slice(eq + 1)));
  }
  return config;
}

/**
 * Writes a remote config as git-annex does: keys in byte order, `key=escaped value`, single spaces.
 * Throws InvalidLogFieldError for a key that could not be read back: empty, or holding `=` or a space.
 */
export function renderRemoteConfig(config: ReadonlyMap<string, string>): string {
  const keys = [...config.keys()].sort(compareBytes);
  for (const key of keys) {
    if (key === '' || key.includes('=') || SPACE.test(key)) {
      throw new InvalidLogFieldError('remote.log', 'config key', key, 'a key must be non-empty, without "=" or spaces');
    }
  }
  return keys.map((key) => `${key}=${escapeConfigValue(config.get(key)!)}`).join(' ');
}

export function escapeConfigValue(value: string): string {
  return value.replace(ESCAPED, (c) => `&${c.codePointAt(0)!};`);
}

export function unescapeConfigValue(value: string): string {
  return value.replace(ENTITY, (entity, digits: string) => {
    const code = Number(digits);
    const scalar = code <= 0x10ffff && (code < 0xd800 || code > 0xdfff);
    return scalar ? String.fromCodePoint(code) : entity;
  });
}
