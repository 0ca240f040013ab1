// Keys: git-annex's name for a piece of content, and its one serialization (annex-format.md §1.1):
//   BACKEND [-s SIZE] [-m MTIME] [-S CHUNKSIZE] [-C CHUNKNUM] -- NAME
// Parsing is as strict as git-annex's (fixed field order, digits only) so keys can't smuggle data into
// signed commits, and a little stricter: no leading zeros (git-annex would rewrite such a key), no lower
// case in the backend, no LF in the name (every log that holds keys is line-based).
import { BadKeyError } from './errors.js';

export interface Key {
  readonly backend: string;
  readonly name: string;
  /** Bytes of content; absent on keys that don't know it (GPGHMACSHA1, some URL keys). */
  readonly size?: number;
  /** Seconds; only WORM keys carry it. */
  readonly mtime?: number;
  /** Only chunk keys (§5.3) carry these: the configured chunk size and the 1-based chunk number. */
  readonly chunkSize?: number;
  readonly chunkNum?: number;
}

type NumericField = 'size' | 'mtime' | 'chunkSize' | 'chunkNum';
// §1.1: the order is fixed; git-annex rejects a key whose fields come in any other order.
const FIELDS: readonly (readonly [letter: string, field: NumericField])[] = [
  ['s', 'size'], ['m', 'mtime'], ['S', 'chunkSize'], ['C', 'chunkNum'],
];

// §1.1: upper case, no '-' (the parser takes everything up to the first '-'). git-annex itself would take any
// bytes here; every backend it has ever written is [A-Z0-9_], so anything else is treated as damage.
const BACKEND = /^[A-Z0-9_]+$/;
// §1.1: the extension part of an ...E key's name may be at most 64 bytes (SHA1-collision mitigation).
const MAX_EXTENSION_BYTES = 64;
const CHAR_DASH = 0x2d;

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** The key `text` denotes, or undefined when it is malformed. */
export function parseKey(text: string): Key | undefined {
  const k = parse(text);
  return typeof k === 'string' ? undefined : k;
}

/** Like parseKey, but a malformed key throws BadKeyError naming the text and what is wrong with it. */
export function parseKeyOrThrow(text: string, what?: string): Key {
  const k = parse(text);
  if (typeof k === 'string') throw new BadKeyError(text, k, what);
  return k;
}

/** Parses `text`, or returns why it is not a key. */
function parse(text: string): Key | string {
  const dash = text.indexOf('-');
  if (dash < 0) return 'no "--" before the name';
  const backend = text.slice(0, dash);
  if (!BACKEND.test(backend)) return 'the backend must be upper-case letters, digits or "_"';
  const key: { -readonly [F in keyof Key]: Key[F] } = { backend, name: '' };
  let pos = dash;
  for (const [letter, field] of FIELDS) {
    if (text.charCodeAt(pos) !== CHAR_DASH || text[pos + 1] !== letter) continue;
    let end = pos + 2;
    while (isDigit(text.charCodeAt(end))) end++;
    const digits = text.slice(pos + 2, end);
    // git-annex accepts leading zeros but re-serializes without them: such a key would change under a
    // rewrite (and with it its hash directory), so it is refused rather than normalized.
    if (digits === '' || (digits.length > 1 && digits.startsWith('0'))) {
      return `the -${letter} field is not a plain decimal number`;
    }
    const n = Number(digits);
    if (!Number.isSafeInteger(n)) return `the -${letter} field is too large`;
    key[field] = n;
    pos = end;
  }
  if (!text.startsWith('--', pos)) return 'unknown or misplaced field (order is -s -m -S -C, then --)';
  const name = text.slice(pos + 2);
  const bad = badName(backend, name);
  if (bad !== undefined) return bad;
  key.name = name;
  return key;
}

function badName(backend: string, name: string): string | undefined {
  if (name.includes('\n')) return 'the name contains a line feed';
  // git-annex 10.20230126 treats every backend ending in E (known or not) as having an extension.
  if (backend.endsWith('E')) {
    const dot = name.indexOf('.');
    if (dot >= 0 && Buffer.byteLength(name.slice(dot)) > MAX_EXTENSION_BYTES) {
      return `the extension is longer than ${MAX_EXTENSION_BYTES} bytes`;
    }
  }
  return undefined;
}

/** The key's serialization (§1.1). Throws BadKeyError for a Key that no parser would read back. */
export function formatKey(k: Key): string {
  let s = k.backend;
  let badField: string | undefined;
  for (const [letter, field] of FIELDS) {
    const n = k[field];
    if (n === undefined) continue;
    if (!Number.isSafeInteger(n) || n < 0) badField ??= `${field} ${n} is not a whole number below 2^53`;
    s += `-${letter}${n}`;
  }
  s += `--${k.name}`;
  const bad = badField ?? (BACKEND.test(k.backend) ? badName(k.backend, k.name) : 'the backend must be upper-case letters, digits or "_"');
  if (bad !== undefined) throw new BadKeyError(s, bad);
  return s;
}

/** The key without its chunk fields: the key of the whole object a chunk belongs to (§1.5, §5.3). */
export function nonChunkKey(k: Key): Key {
  if (k.chunkSize === undefined && k.chunkNum === undefined) return k;
  const { chunkSize: _s, chunkNum: _n, ...rest } = k;
  return rest;
}

/** Chunk `chunkNum` (1-based) of `k` stored with chunk size `chunkSize`; -S is the configured size on every chunk (§5.3). */
export function chunkKey(k: Key, chunkSize: number, chunkNum: number): Key {
  return { ...nonChunkKey(k), chunkSize, chunkNum };
}

/** A chunk key has both chunk fields, as in git-annex's isChunkKey. */
export function isChunkKey(k: Key): boolean {
  return k.chunkSize !== undefined && k.chunkNum !== undefined;
}
