// The `metadata=` term: per-key metadata logs `hashdirlower(key)/KEYFILE.log.met` (annex-format §3.2),
// read as git-annex 10.20230126 reads them (Types/MetaData.hs, Logs/MetaData.hs): each line is
// `T (SP FIELD (SP (+|-)VALUE)+)+`, a value starting `!` being base64; lines apply oldest first and the
// newest + or - for a (field, value) wins; fields compare case-insensitively. git-annex adds computed
// fields: FIELD-lastchanged for every set field and `lastchanged`, the time of the newest line.
import { parseClock, splitLogLines } from '../branch/index.js';
import type { Clock } from '../branch/index.js';
import { globToRegExp } from './expression.js';

/** Current metadata: lower-cased field name → the values set. */
export type MetaData = ReadonlyMap<string, ReadonlySet<string>>;

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

interface LogLine {
  readonly clock: Clock;
  /** field (lower case) → value → set? */
  readonly fields: Map<string, Map<string, boolean>>;
}

function parseLine(line: string): LogLine | undefined {
  const space = line.indexOf(' ');
  const clock = space < 0 ? undefined : parseClock(line.slice(0, space));
  if (clock === undefined) return undefined;
  const fields = new Map<string, Map<string, boolean>>();
  let field: Map<string, boolean> | undefined;
  for (const word of line.slice(space + 1).split(' ')) {
    const value = field === undefined ? undefined : parseValue(word);
    if (value !== undefined) field!.set(value.value, value.set);
    else {
      // A word that is not a value starts the next field (git-annex's getfield/getvalues).
      const name = word.toLowerCase();
      field = fields.get(name) ?? new Map<string, boolean>();
      fields.set(name, field);
    }
  }
  return { clock, fields };
}

function parseValue(word: string): { set: boolean; value: string } | undefined {
  const sign = word[0];
  if (sign !== '+' && sign !== '-') return undefined;
  const rest = word.slice(1);
  if (!rest.startsWith('!')) return { set: sign === '+', value: rest };
  const b64 = rest.slice(1);
  if (!BASE64.test(b64)) return undefined;
  return { set: sign === '+', value: Buffer.from(b64, 'base64').toString('utf8') };
}

/** `2023-11-14@22-13-20`: git-annex's "%F@%H-%M-%S" in UTC. */
function formatLastChanged(clock: Clock): string {
  const seconds = clock / 10n ** 12n;
  const iso = new Date(Number(seconds) * 1000).toISOString();
  return `${iso.slice(0, 10)}@${iso.slice(11, 19).replaceAll(':', '-')}`;
}

/** The metadata in effect after every line of a `.log.met` file, with git-annex's lastchanged fields. */
export function currentMetaData(text: string): MetaData {
  // Oldest first; a stable sort keeps file order between equal clocks.
  const lines = splitLogLines(text).map(parseLine).filter((l): l is LogLine => l !== undefined)
    .sort((a, b) => (a.clock < b.clock ? -1 : a.clock > b.clock ? 1 : 0));
  const state = new Map<string, Map<string, boolean>>();
  const changed = new Map<string, Clock>();
  for (const line of lines) {
    for (const [name, values] of line.fields) {
      const current = state.get(name) ?? new Map<string, boolean>();
      for (const [v, set] of values) current.set(v, set);
      state.set(name, current);
      changed.set(name, line.clock);
    }
  }
  const out = new Map<string, Set<string>>();
  const add = (name: string, value: string) => out.set(name, (out.get(name) ?? new Set()).add(value));
  for (const [name, values] of state) {
    const set = [...values].filter(([, s]) => s).map(([v]) => v);
    if (set.length === 0) continue;
    for (const v of set) add(name, v);
    add(`${name}-lastchanged`, formatLastChanged(changed.get(name)!));
  }
  const newest = lines[lines.length - 1];
  if (newest !== undefined) add('lastchanged', formatLastChanged(newest.clock));
  return out;
}

export interface MetaDataMatcher {
  /** Lower-cased field name. */
  readonly field: string;
  readonly test: (value: string) => boolean;
}

/**
 * Parses `FIELD=GLOB`, `FIELD<N`, `FIELD<=N`, `FIELD>N`, `FIELD>=N` (git-annex-preferred-content(1)). Globs
 * match case-insensitively and `/` is an ordinary character; comparisons are numeric when both sides read
 * as numbers, else by code points. A bare FIELD matches only an empty value. Returns a problem string for
 * an illegal field name (git-annex: a letter or digit, then letters, digits, `_`, `-`, `.`).
 */
export function parseMetaDataMatcher(spec: string): MetaDataMatcher | string {
  const op = /[=<>]/.exec(spec);
  const name = op === null ? spec : spec.slice(0, op.index);
  if (!/^[\p{L}\p{N}][\p{L}\p{N}_.-]*$/u.test(name)) return `Illegal metadata field name, "${name}"`;
  const rest = op === null ? '' : spec.slice(op.index);
  const field = name.toLowerCase();
  const cmp = /^(<=|>=|<|>)(.*)$/s.exec(rest);
  if (cmp === null) {
    const re = globToRegExp(rest.startsWith('=') ? rest.slice(1) : '', { caseInsensitive: true });
    return { field, test: (v) => re.test(v) };
  }
  const [, operator, bound] = cmp as unknown as [string, string, string];
  return { field, test: (v) => compare(operator, v, bound) };
}

const DOUBLE = /^\s*-?(?:[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|Infinity|NaN)\s*$/;

function compare(operator: string, value: string, bound: string): boolean {
  const numeric = DOUBLE.test(value) && DOUBLE.test(bound);
  const [a, b]: [number | string, number | string] = numeric ? [Number(value), Number(bound)] : [value, bound];
  switch (operator) {
    case '<': return a < b;
    case '<=': return a <= b;
    case '>': return a > b;
    default: return a >= b;
  }
}
