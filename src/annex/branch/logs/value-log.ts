// Timestamp-first logs (annex-format §3.2): the single-value logs numcopies.log and mincopies.log
// (`T SP VALUE`), and the map logs config.log (`T SP NAME SP VALUE`) and group-preferred-content.log
// (`T SP GROUP SP EXPR`), which share git-annex's MapLog format.
import { formatClock, newestClock, nextClock, parseClock } from './clock.js';
import type { Clock } from './clock.js';
import { assertSingleLine, assertWord, compareBytes, joinLogLines, splitLogLines } from './log-text.js';
import type { ParsedLog } from './log-text.js';

export interface SingleValueEntry {
  readonly value: string;
  readonly clock: Clock;
}

export interface MapLogEntry {
  readonly field: string;
  readonly value: string;
  readonly clock: Clock;
}

/** Splits `T SP REST` at the first space; undefined without a space or a readable T. */
function splitClock(line: string): { clock: Clock; rest: string } | undefined {
  const space = line.indexOf(' ');
  if (space < 0) return undefined;
  const clock = parseClock(line.slice(0, space));
  return clock === undefined ? undefined : { clock, rest: line.slice(space + 1) };
}

/**
 * Reads a single-value log: `T SP VALUE`, the value being the rest of the line. `acceptValue` mirrors
 * git-annex's value parser (numcopies reads a number); a line it rejects is unparsed.
 */
export function parseSingleValueLog(
  text: string, acceptValue?: (value: string) => boolean,
): ParsedLog<SingleValueEntry> {
  const entries: SingleValueEntry[] = [];
  const unparsed: string[] = [];
  for (const line of splitLogLines(text)) {
    const split = splitClock(line);
    if (split === undefined || (acceptValue !== undefined && !acceptValue(split.rest))) unparsed.push(line);
    else entries.push({ value: split.rest, clock: split.clock });
  }
  return { entries, unparsed };
}

/**
 * Orders single values as git-annex's Set does on equal clocks: by the value's own order, which for
 * numcopies and mincopies (the only single-value logs) is numeric. Non-integers fall back to bytes.
 */
export function compareSingleValues(a: string, b: string): number {
  if (/^-?[0-9]+$/.test(a) && /^-?[0-9]+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return compareBytes(a, b);
}

/**
 * The value in effect: the greatest clock wins; on equal clocks the greatest value by `compareValues`
 * (git-annex keeps the entries in a Set and takes its maximum; verified: `5s 2` + `5s 10` gives 10).
 */
export function currentSingleValue(
  log: ParsedLog<SingleValueEntry>, compareValues: (a: string, b: string) => number = compareSingleValues,
): SingleValueEntry | undefined {
  let best: SingleValueEntry | undefined;
  for (const e of log.entries) {
    if (best === undefined || e.clock > best.clock || (e.clock === best.clock && compareValues(e.value, best.value) > 0)) {
      best = e;
    }
  }
  return best;
}

/** Writes the log as git-annex does after a set: only the current line; then the unparsed lines. */
export function renderSingleValueLog(log: ParsedLog<SingleValueEntry>): string {
  const current = currentSingleValue(log);
  const lines = current === undefined ? [] : [`${formatClock(current.clock)} ${current.value}`];
  return joinLogLines([...lines, ...log.unparsed]);
}

/**
 * Sets the value. Like git-annex's setGlobalNumCopies, an unchanged value returns `log` itself (nothing to
 * write). Otherwise the clock is `now`, bumped past the newest line of the whole file (§3.1), and the log
 * keeps just the new line. Throws InvalidLogFieldError for a value with a line break.
 */
export function setSingleValue(
  log: ParsedLog<SingleValueEntry>, value: string, now: Clock,
): ParsedLog<SingleValueEntry> {
  assertSingleLine('a single-value log', 'value', value);
  if (currentSingleValue(log)?.value === value) return log;
  const clock = nextClock(newestClock(log.entries.map((e) => e.clock)), now);
  return { entries: [{ value, clock }], unparsed: [...log.unparsed] };
}

/**
 * Reads a map log (config.log, group-preferred-content.log): `T SP FIELD SP VALUE`, FIELD running to the
 * next space (it may be empty), VALUE the rest of the line (it may be empty or hold spaces). A line
 * without the second space is unparsed, as in git-annex.
 */
export function parseMapLog(text: string, acceptValue?: (value: string) => boolean): ParsedLog<MapLogEntry> {
  const entries: MapLogEntry[] = [];
  const unparsed: string[] = [];
  for (const line of splitLogLines(text)) {
    const split = splitClock(line);
    const space = split?.rest.indexOf(' ') ?? -1;
    if (split === undefined || space < 0) {
      unparsed.push(line);
      continue;
    }
    const value = split.rest.slice(space + 1);
    if (acceptValue !== undefined && !acceptValue(value)) unparsed.push(line);
    else entries.push({ field: split.rest.slice(0, space), value, clock: split.clock });
  }
  return { entries, unparsed };
}

/** The entry in effect per field, in field byte order: greatest clock, later line on a tie (§3.3). */
export function currentMapValues(log: ParsedLog<MapLogEntry>): Map<string, MapLogEntry> {
  const winners = new Map<string, MapLogEntry>();
  for (const entry of log.entries) {
    const old = winners.get(entry.field);
    if (old === undefined || entry.clock >= old.clock) winners.set(entry.field, entry);
  }
  const fields = [...winners.keys()].sort(compareBytes);
  return new Map(fields.map((field) => [field, winners.get(field)!]));
}

/** Writes the log compacted, one line per field in field byte order, then the unparsed lines. */
export function renderMapLog(log: ParsedLog<MapLogEntry>): string {
  const lines = [...currentMapValues(log).values()].map((e) => `${formatClock(e.clock)} ${e.field} ${e.value}`);
  return joinLogLines([...lines, ...log.unparsed]);
}

/**
 * Sets a field (group-preferred-content.log), compacting the log. The clock is `now`, bumped past that
 * field's current clock (§3.1); git-annex's groupwanted writes even an unchanged value, and so does this.
 * Throws InvalidLogFieldError for an empty field, one with a space or line break, or a value with a line break.
 */
export function setMapValue(
  log: ParsedLog<MapLogEntry>, field: string, value: string, now: Clock,
): ParsedLog<MapLogEntry> {
  assertWord('a map log', 'field', field);
  assertSingleLine('a map log', 'value', value);
  const current = currentMapValues(log);
  current.set(field, { field, value, clock: nextClock(current.get(field)?.clock, now) });
  const entries = [...current.values()].sort((a, b) => compareBytes(a.field, b.field));
  return { entries, unparsed: [...log.unparsed] };
}

/** config.log's settings in effect: an empty value means unset, so such names are left out. */
export function currentConfig(log: ParsedLog<MapLogEntry>): Map<string, string> {
  const config = new Map<string, string>();
  for (const [name, e] of currentMapValues(log)) if (e.value !== '') config.set(name, e.value);
  return config;
}

/** One config.log setting in effect, from the log or its text; undefined when unset. */
export function currentConfigValue(log: string | ParsedLog<MapLogEntry>, name: string): string | undefined {
  return currentConfig(typeof log === 'string' ? parseMapLog(log) : log).get(name);
}

/**
 * Sets (or with '' unsets) a config.log setting. Like git-annex's setGlobalConfig and unsetGlobalConfig,
 * a setting already in effect (or unsetting one that is not set) returns `log` itself: nothing to write.
 */
export function setConfigValue(
  log: ParsedLog<MapLogEntry>, name: string, value: string, now: Clock,
): ParsedLog<MapLogEntry> {
  assertWord('config.log', 'name', name);
  assertSingleLine('config.log', 'value', value);
  if ((currentConfig(log).get(name) ?? '') === value) return log;
  return setMapValue(log, name, value, now);
}
