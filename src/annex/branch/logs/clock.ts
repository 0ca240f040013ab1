// Vector clock timestamps of the git-annex branch (annex-format §3.1). git-annex keeps them as a Haskell
// POSIXTime, which has picosecond resolution, so a Clock is a bigint count of picoseconds since the epoch.

export type Clock = bigint;

const PICOS_PER_SECOND = 10n ** 12n;
const FRACTION_DIGITS = 12;

/**
 * The clock of an old-style log line that has no (readable) `timestamp=`: it loses to every real clock,
 * negative ones included, because git-annex orders `Unknown` below any time. Far below anything
 * parseClock returns.
 */
export const UNKNOWN_CLOCK: Clock = -(10n ** 200n);

const CLOCK_PATTERN = /^([+-]?)([0-9]+)(?:\.([0-9]+))?s?$/;

/**
 * Reads a timestamp as git-annex does: decimal seconds with an optional sign, an optional fraction of any
 * length (digits past the 12th are truncated, as the Pico type does) and an optional `s`; nothing else,
 * not even surrounding spaces (verified with GIT_ANNEX_VECTOR_CLOCK and crafted logs). Returns undefined
 * for anything else.
 */
export function parseClock(text: string): Clock | undefined {
  const m = CLOCK_PATTERN.exec(text);
  if (m === null) return undefined;
  const fraction = (m[3] ?? '').slice(0, FRACTION_DIGITS).padEnd(FRACTION_DIGITS, '0');
  const magnitude = BigInt(m[2]!) * PICOS_PER_SECOND + BigInt(fraction);
  const clock = m[1] === '-' ? -magnitude : magnitude;
  return clock > UNKNOWN_CLOCK ? clock : undefined;
}

/**
 * Writes a clock as Haskell shows a POSIXTime: seconds, then `.` and the fraction without trailing zeros
 * (no dot when integral), then `s`: `1795505357.41397191s`, `1700000000s`. UNKNOWN_CLOCK has no
 * written form (old-style logs omit the timestamp instead), so it throws RangeError.
 */
export function formatClock(c: Clock): string {
  if (c === UNKNOWN_CLOCK) throw new RangeError('the unknown clock has no written form');
  const sign = c < 0n ? '-' : '';
  const magnitude = c < 0n ? -c : c;
  const seconds = magnitude / PICOS_PER_SECOND;
  const fraction = (magnitude % PICOS_PER_SECOND).toString().padStart(FRACTION_DIGITS, '0').replace(/0+$/, '');
  return `${sign}${seconds}${fraction === '' ? '' : `.${fraction}`}s`;
}

let lastWallClockNs = 0n;

/**
 * Wall-clock nanoseconds since the epoch: Date's milliseconds plus the sub-millisecond part of the
 * monotonic high-resolution timer, never going backwards within this process (git-annex writes times
 * with nanosecond digits, §3.2 examples).
 */
export function wallClockNs(): bigint {
  let ns = BigInt(Date.now()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n);
  if (ns <= lastWallClockNs) ns = lastWallClockNs + 1n;
  lastWallClockNs = ns;
  return ns;
}

/**
 * The clock a new log line gets, before the +1 s bump of nextClock. Like git-annex, a parseable
 * GIT_ANNEX_VECTOR_CLOCK (any form parseClock reads) replaces the time on every call, so repeated writes
 * of one field advance only through nextClock; an unparseable one is ignored.
 */
export function currentClock(
  now: () => bigint = wallClockNs,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Clock {
  const forced = env['GIT_ANNEX_VECTOR_CLOCK'];
  if (forced !== undefined) {
    const clock = parseClock(forced);
    if (clock !== undefined) return clock;
  }
  return now() * 1000n;
}

/**
 * The clock for replacing an entry whose clock is `previous` (pitfall 16): `now`, unless the old entry is
 * not older than now (clock skew, or a fixed GIT_ANNEX_VECTOR_CLOCK), then the old clock + 1 s, so the
 * new line always wins.
 */
export function nextClock(previous: Clock | undefined, now: Clock): Clock {
  if (previous === undefined || previous === UNKNOWN_CLOCK || previous < now) return now;
  return previous + PICOS_PER_SECOND;
}

/** The newest of some clocks, or undefined for none. */
export function newestClock(clocks: Iterable<Clock>): Clock | undefined {
  let newest: Clock | undefined;
  for (const c of clocks) if (newest === undefined || c > newest) newest = c;
  return newest;
}
