// The words of a preferred content expression (git-annex-preferred-content(1)), as git-annex 10.20230126
// parses them (Annex/FileMatcher.hs, Limit.hs): a bare word names a term (`present`); a word with `=` is
// NAME=VALUE split at the first `=`, and a value term given without `=` gets the empty value
// ("include" is "include="). Terms later versions added (in=, onlyingroup=, ...) are unknown here, as in
// 10.20230126, so settings that use them fall back to `present` when read (see preferred-content.ts).
import { parseSize } from '../../util/index.js';
import { globToRegExp } from './expression.js';
import { parseMetaDataMatcher } from './metadata.js';
import type { MetaDataMatcher } from './metadata.js';
import { readishInt } from './readish.js';
import type { TrustLevel } from '../queries/repositories.js';

export type CopiesFilter =
  | { readonly trust: TrustLevel; readonly orBetter: boolean }
  | { readonly group: string };

export type Term = { readonly word: string } & (
  | { readonly kind: 'anything' | 'nothing' | 'present' | 'securehash' | 'unused' | 'inpreferreddir' | 'standard' | 'groupwanted' }
  | { readonly kind: 'include' | 'exclude'; readonly glob: RegExp }
  | { readonly kind: 'largerthan' | 'smallerthan'; readonly size: number }
  | { readonly kind: 'copies'; readonly n: number; readonly filter: CopiesFilter | undefined }
  | { readonly kind: 'lackingcopies'; readonly n: number; readonly approx: boolean }
  | { readonly kind: 'inallgroup'; readonly group: string }
  | { readonly kind: 'inbackend'; readonly backend: string }
  | { readonly kind: 'metadata'; readonly matcher: MetaDataMatcher }
);

const SIMPLE = new Set(['anything', 'nothing', 'present', 'securehash', 'unused', 'inpreferreddir', 'standard', 'groupwanted']);

const TRUST_LEVELS: readonly TrustLevel[] = ['dead', 'untrusted', 'semitrusted', 'trusted'];

/** git-annex's order of trust, lowest first: `copies=semitrusted+:1` counts semitrusted and trusted. */
export function trustRank(level: TrustLevel): number {
  return TRUST_LEVELS.indexOf(level);
}

/**
 * One word of a preferred content expression, or the problem with it in git-annex's words ("bad size",
 * "bad number for copies", ...; an unknown word is `near "WORD"`).
 */
export function parsePreferredTerm(word: string): Term | string {
  if (SIMPLE.has(word)) return { word, kind: word } as Term;
  const eq = word.indexOf('=');
  const name = eq < 0 ? word : word.slice(0, eq);
  const value = eq < 0 ? '' : word.slice(eq + 1);
  switch (name) {
    case 'include':
    case 'exclude':
      return { word, kind: name, glob: globToRegExp(value) };
    case 'largerthan':
    case 'smallerthan': {
      const size = parseSize(value);
      return size === undefined ? 'bad size' : { word, kind: name, size };
    }
    case 'copies': return parseCopies(word, value);
    case 'lackingcopies':
    case 'approxlackingcopies': {
      const n = readishInt(value);
      return n === undefined ? 'bad value for number of lacking copies' : { word, kind: 'lackingcopies', n, approx: name !== 'lackingcopies' };
    }
    case 'inallgroup': return { word, kind: 'inallgroup', group: value };
    case 'inbackend': return { word, kind: 'inbackend', backend: value };
    case 'metadata': {
      const matcher = parseMetaDataMatcher(value);
      return typeof matcher === 'string' ? matcher : { word, kind: 'metadata', matcher };
    }
    default:
      return `near ${JSON.stringify(word)}`;
  }
}

/** `copies=N`, `copies=TRUSTLEVEL:N`, `copies=TRUSTLEVEL+:N`, `copies=GROUP:N` (a trust level wins over a group of that name). */
function parseCopies(word: string, value: string): Term | string {
  const parts = value.split(':');
  if (parts.length > 2) return 'bad value for copies';
  const n = readishInt(parts[parts.length - 1]!);
  if (n === undefined) return 'bad number for copies';
  if (parts.length === 1) return { word, kind: 'copies', n, filter: undefined };
  const spec = parts[0]!;
  const orBetter = spec.endsWith('+');
  const level = (orBetter ? spec.slice(0, -1) : spec) as TrustLevel;
  if (TRUST_LEVELS.includes(level)) return { word, kind: 'copies', n, filter: { trust: level, orBetter } };
  return { word, kind: 'copies', n, filter: { group: spec } };
}
