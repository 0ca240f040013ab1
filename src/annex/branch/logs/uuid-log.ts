// Old-style UUID logs (annex-format §3.2): uuid.log, trust.log, group.log, preferred-content.log,
// required-content.log, remote.log, activity.log. A line is `UUID SP VALUE SP timestamp=T`; the value may
// hold spaces or be empty, and a line without a readable timestamp has the unknown clock.
import { UNKNOWN_CLOCK, formatClock, nextClock, parseClock } from './clock.js';
import type { Clock } from './clock.js';
import { assertSingleLine, assertWord, compareBytes, joinLogLines, splitLogLines } from './log-text.js';
import type { ParsedLog } from './log-text.js';

export interface UuidLogEntry {
  readonly uuid: string;
  readonly value: string;
  readonly clock: Clock;
}

const TIMESTAMP = 'timestamp=';

/**
 * Reads an old-style log as git-annex 10.20230126 does (verified on crafted files): the UUID runs to the
 * first space (a line starting with a space has none and is unparsed); the rest is the value, except that
 * a last space-separated word `timestamp=T` with a readable T is the clock (and the space before it is
 * dropped). Anything else, `timestamp=` mid-line or a bad T included, stays in the value with
 * UNKNOWN_CLOCK. `acceptValue` mirrors git-annex's per-log value parser (trust.log takes one character):
 * a line whose value it rejects is unparsed, so it cannot win over a good one.
 */
export function parseUuidLog(text: string, acceptValue?: (value: string) => boolean): ParsedLog<UuidLogEntry> {
  const entries: UuidLogEntry[] = [];
  const unparsed: string[] = [];
  for (const line of splitLogLines(text)) {
    const entry = parseLine(line);
    if (entry === undefined || (acceptValue !== undefined && !acceptValue(entry.value))) unparsed.push(line);
    else entries.push(entry);
  }
  return { entries, unparsed };
}

function parseLine(line: string): UuidLogEntry | undefined {
  const space = line.indexOf(' ');
  if (space === 0) return undefined;
  const uuid = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? '' : line.slice(space + 1);
  const lastSpace = rest.lastIndexOf(' ');
  const lastWord = rest.slice(lastSpace + 1);
  const clock = lastWord.startsWith(TIMESTAMP) ? parseClock(lastWord.slice(TIMESTAMP.length)) : undefined;
  if (clock === undefined) return { uuid, value: rest, clock: UNKNOWN_CLOCK };
  return { uuid, value: lastSpace < 0 ? '' : rest.slice(0, lastSpace), clock };
}

/**
 * The value in effect per UUID, in UUID byte order: the greatest clock wins, and on equal clocks the later
 * line (git-annex's fromListWith, §3.3).
 */
export function currentUuidValues(log: ParsedLog<UuidLogEntry>): Map<string, UuidLogEntry> {
  const winners = new Map<string, UuidLogEntry>();
  for (const entry of log.entries) {
    const old = winners.get(entry.uuid);
    if (old === undefined || entry.clock >= old.clock) winners.set(entry.uuid, entry);
  }
  const uuids = [...winners.keys()].sort(compareBytes);
  return new Map(uuids.map((uuid) => [uuid, winners.get(uuid)!]));
}

/**
 * Writes the log as git-annex does: compacted to one line per UUID, sorted by UUID bytes (§3.3), a line
 * with the unknown clock written without `timestamp=`; then the unparsed lines in their original order.
 */
export function renderUuidLog(log: ParsedLog<UuidLogEntry>): string {
  const lines = [...currentUuidValues(log).values()].map((e) =>
    e.clock === UNKNOWN_CLOCK ? `${e.uuid} ${e.value}` : `${e.uuid} ${e.value} ${TIMESTAMP}${formatClock(e.clock)}`);
  return joinLogLines([...lines, ...log.unparsed]);
}

/**
 * Sets the value for a UUID, compacting the log. The clock is `now`, or the UUID's current clock + 1 s when
 * that is not older (pitfall 16). git-annex writes even when the value is unchanged, and so does this.
 * Throws InvalidLogFieldError for a UUID that is empty or holds a space or line break, or a value with a
 * line break.
 */
export function setUuidValue(
  log: ParsedLog<UuidLogEntry>, uuid: string, value: string, now: Clock,
): ParsedLog<UuidLogEntry> {
  assertWord('an old-style UUID log', 'UUID', uuid);
  assertSingleLine('an old-style UUID log', 'value', value);
  const current = currentUuidValues(log);
  current.set(uuid, { uuid, value, clock: nextClock(current.get(uuid)?.clock, now) });
  const entries = [...current.values()].sort((a, b) => compareBytes(a.uuid, b.uuid));
  return { entries, unparsed: [...log.unparsed] };
}
