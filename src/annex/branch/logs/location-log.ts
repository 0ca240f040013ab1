// Per-key location logs, `hashdirlower(key)/KEYFILE.log` (annex-format §3.2, 3.3): lines
// `T SP STATUS SP UUID`, STATUS `1` present, `0` absent, `X` dead.
import { formatClock, nextClock, parseClock } from './clock.js';
import type { Clock } from './clock.js';
import { assertSingleLine, compareBytes, joinLogLines, splitLogLines } from './log-text.js';
import type { ParsedLog } from './log-text.js';

export type LocationStatus = '1' | '0' | 'X';

export const PRESENT: LocationStatus = '1';
export const ABSENT: LocationStatus = '0';
export const DEAD: LocationStatus = 'X';

export interface LocationLogEntry {
  /** The repository UUID (in a `.log.web` file, a URL: the format is the same). */
  readonly uuid: string;
  readonly status: LocationStatus;
  readonly clock: Clock;
}

/**
 * Reads a location log as git-annex's presence log parser does: a readable clock, one space, one status
 * character, one space, then the rest of the line as the UUID (it may be empty or hold spaces). Anything
 * else (another status, a missing space) is unparsed.
 */
export function parseLocationLog(text: string): ParsedLog<LocationLogEntry> {
  const entries: LocationLogEntry[] = [];
  const unparsed: string[] = [];
  for (const line of splitLogLines(text)) {
    const space = line.indexOf(' ');
    const clock = space < 0 ? undefined : parseClock(line.slice(0, space));
    const status = line[space + 1];
    const valid = clock !== undefined && line[space + 2] === ' ' && (status === '1' || status === '0' || status === 'X');
    if (valid) entries.push({ uuid: line.slice(space + 3), status, clock });
    else unparsed.push(line);
  }
  return { entries, unparsed };
}

/**
 * The line in effect per UUID, in UUID byte order: the greatest clock wins, and on equal clocks the
 * EARLIER line (git-annex folds the presence log from the right, replacing on `<=`; verified: `5s 1 a`
 * then `5s 0 a` means present). This differs from the other logs, where the later line wins.
 */
export function currentLocations(log: ParsedLog<LocationLogEntry>): Map<string, LocationLogEntry> {
  const winners = new Map<string, LocationLogEntry>();
  for (const entry of log.entries) {
    const old = winners.get(entry.uuid);
    if (old === undefined || entry.clock > old.clock) winners.set(entry.uuid, entry);
  }
  const uuids = [...winners.keys()].sort(compareBytes);
  return new Map(uuids.map((uuid) => [uuid, winners.get(uuid)!]));
}

/** The UUIDs whose line in effect says present, in byte order. */
export function presentUuids(log: ParsedLog<LocationLogEntry>): string[] {
  return [...currentLocations(log).values()].filter((e) => e.status === PRESENT).map((e) => e.uuid);
}

/**
 * Writes the log as git-annex does: compacted to one line per UUID in byte order; absent and dead lines
 * are kept (they are how absence is recorded, §3.3); then the unparsed lines.
 */
export function renderLocationLog(log: ParsedLog<LocationLogEntry>): string {
  const lines = [...currentLocations(log).values()].map((e) => `${formatClock(e.clock)} ${e.status} ${e.uuid}`);
  return joinLogLines([...lines, ...log.unparsed]);
}

/**
 * Records a status for a UUID, compacting the log. Like git-annex's maybeAddLog, a status already in
 * effect returns `log` itself (no churn, nothing to write); a new UUID gets a line even when absent. The
 * clock is `now`, bumped past that UUID's current clock (§3.1). Throws InvalidLogFieldError for a UUID
 * with a line break.
 */
export function setLocation(
  log: ParsedLog<LocationLogEntry>, uuid: string, status: LocationStatus, now: Clock,
): ParsedLog<LocationLogEntry> {
  assertSingleLine('a location log', 'UUID', uuid);
  const current = currentLocations(log);
  const old = current.get(uuid);
  if (old?.status === status) return log;
  current.set(uuid, { uuid, status, clock: nextClock(old?.clock, now) });
  const entries = [...current.values()].sort((a, b) => compareBytes(a.uuid, b.uuid));
  return { entries, unparsed: [...log.unparsed] };
}
