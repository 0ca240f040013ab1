// Per-key chunk logs, `hashdirlower(key)/KEYFILE.log.cnk` (annex-format §3.2, 5.3): lines
// `T SP UUID:CHUNKSIZE SP COUNT`, one field per (remote UUID, chunk size); COUNT 0 = chunks removed.
import { formatClock, nextClock, parseClock } from './clock.js';
import type { Clock } from './clock.js';
import { InvalidLogFieldError, assertWord, compareBytes, joinLogLines, splitLogLines } from './log-text.js';
import type { ParsedLog } from './log-text.js';

export interface ChunkLogEntry {
  readonly uuid: string;
  /** Bytes per chunk: the configured `chunk=` size, also of the short last chunk. */
  readonly chunkSize: number;
  /** How many chunks the remote holds; 0 once they were removed. */
  readonly count: number;
  readonly clock: Clock;
}

const FIELD = /^([^:]*):([0-9]+)$/;
const COUNT = /^[0-9]+$/;

/**
 * Reads a chunk log as git-annex's MapLog parser does: clock, space, `UUID:SIZE` up to the next space,
 * space, the count. Sizes and counts are decimal (git-annex also reads `0010` as 10, and so does this).
 * git-annex keeps a non-numeric size as an unknown chunk method; ferry leaves such lines, and numbers past
 * 2^53, unparsed (kept verbatim) rather than guessing.
 */
export function parseChunkLog(text: string): ParsedLog<ChunkLogEntry> {
  const entries: ChunkLogEntry[] = [];
  const unparsed: string[] = [];
  for (const line of splitLogLines(text)) {
    const entry = parseLine(line);
    if (entry === undefined) unparsed.push(line);
    else entries.push(entry);
  }
  return { entries, unparsed };
}

function parseLine(line: string): ChunkLogEntry | undefined {
  const [clockText, field, countText, ...extra] = line.split(' ');
  if (clockText === undefined || field === undefined || countText === undefined || extra.length > 0) return undefined;
  const clock = parseClock(clockText);
  const m = FIELD.exec(field);
  if (clock === undefined || m === null || !COUNT.test(countText)) return undefined;
  const chunkSize = Number(m[2]);
  const count = Number(countText);
  if (!Number.isSafeInteger(chunkSize) || !Number.isSafeInteger(count)) return undefined;
  return { uuid: m[1]!, chunkSize, count, clock };
}

function compareFields(a: ChunkLogEntry, b: ChunkLogEntry): number {
  return compareBytes(a.uuid, b.uuid) || a.chunkSize - b.chunkSize;
}

/**
 * The entry in effect per (UUID, chunk size), ordered as git-annex's Map orders them: UUID bytes, then
 * chunk size numerically (verified: `:5` before `:10` before `:200`). Greatest clock wins, later line on
 * a tie (§3.3).
 */
export function currentChunks(log: ParsedLog<ChunkLogEntry>): ChunkLogEntry[] {
  const winners = new Map<string, ChunkLogEntry>();
  for (const entry of log.entries) {
    const key = `${entry.chunkSize}:${entry.uuid}`;
    const old = winners.get(key);
    if (old === undefined || entry.clock >= old.clock) winners.set(key, entry);
  }
  return [...winners.values()].sort(compareFields);
}

/** Writes the log compacted and ordered as currentChunks, then the unparsed lines. */
export function renderChunkLog(log: ParsedLog<ChunkLogEntry>): string {
  const lines = currentChunks(log).map((e) => `${formatClock(e.clock)} ${e.uuid}:${e.chunkSize} ${e.count}`);
  return joinLogLines([...lines, ...log.unparsed]);
}

/**
 * Records how many chunks of `chunkSize` a remote holds (0 after removing them), compacting the log. The
 * clock is `now`, bumped past that field's current clock (§3.1); git-annex writes even an unchanged
 * count. Throws InvalidLogFieldError for a UUID that is empty or holds `:`, a space or a line break, or a
 * size or count that is not a non-negative safe integer.
 */
export function setChunkCount(
  log: ParsedLog<ChunkLogEntry>, uuid: string, chunkSize: number, count: number, now: Clock,
): ParsedLog<ChunkLogEntry> {
  assertWord('a chunk log', 'UUID', uuid);
  if (uuid.includes(':')) throw new InvalidLogFieldError('a chunk log', 'UUID', uuid, 'it contains ":"');
  for (const [what, n] of [['chunk size', chunkSize], ['chunk count', count]] as const) {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new InvalidLogFieldError('a chunk log', what, String(n), 'it must be a non-negative integer');
    }
  }
  const current = currentChunks(log);
  const index = current.findIndex((e) => e.uuid === uuid && e.chunkSize === chunkSize);
  const clock = nextClock(index < 0 ? undefined : current[index]!.clock, now);
  const entry = { uuid, chunkSize, count, clock };
  if (index < 0) current.push(entry);
  else current[index] = entry;
  return { entries: current.sort(compareFields), unparsed: [...log.unparsed] };
}
