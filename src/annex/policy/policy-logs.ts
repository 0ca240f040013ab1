// Pure readers and writers of the settings logs in the git-annex branch (annex-format §3.2):
// preferred-content.log, required-content.log, group.log and trust.log (old-style UUID logs),
// group-preferred-content.log (a map log), numcopies.log and mincopies.log (single-value logs), uuid.log.
// Each writer takes the log's text and returns the text git-annex writes for the same change (the
// interop test compares bytes, with GIT_ANNEX_VECTOR_CLOCK fixed).
import {
  DEAD, compareBytes, currentLocations, currentMapValues, parseLocationLog, presentUuids, renderLocationLog, currentUuidValues, parseMapLog, parseSingleValueLog, parseUuidLog, renderMapLog,
  renderSingleValueLog, renderUuidLog, setMapValue, setSingleValue, setUuidValue,
} from '../branch/index.js';
import type { Clock } from '../branch/index.js';
import { loggedCopies } from '../queries/numcopies.js';
import { isTrustLogValue } from '../queries/repositories.js';
import type { TrustLevel } from '../queries/repositories.js';
import { BadGroupNameError } from './errors.js';
import { readishInt } from './readish.js';

export const PREFERRED_CONTENT_LOG = 'preferred-content.log';
export const REQUIRED_CONTENT_LOG = 'required-content.log';
export const GROUP_LOG = 'group.log';
export const GROUP_WANTED_LOG = 'group-preferred-content.log';
export const TRUST_LOG = 'trust.log';
export const UUID_LOG = 'uuid.log';
export const NUMCOPIES_LOG = 'numcopies.log';
export const MINCOPIES_LOG = 'mincopies.log';

/** The value in effect per UUID of an old-style log (preferred/required content, uuid.log). */
export function uuidValues(text: string): Map<string, string> {
  return new Map([...currentUuidValues(parseUuidLog(text))].map(([u, e]) => [u, e.value]));
}

/** group-preferred-content.log: group → expression. */
export function groupWantedValues(text: string): Map<string, string> {
  return new Map([...currentMapValues(parseMapLog(text))].map(([g, e]) => [g, e.value]));
}

/**
 * group.log: uuid → groups, each set in byte order. git-annex splits the value at spaces (only),
 * ignoring empty words.
 */
export function groupValues(text: string): Map<string, Set<string>> {
  const groups = new Map<string, Set<string>>();
  for (const [uuid, value] of uuidValues(text)) groups.set(uuid, new Set(value.split(' ').filter((g) => g !== '').sort(compareBytes)));
  return groups;
}

/** Sets an old-style log's value for a UUID (git-annex writes even an unchanged value). */
export function setLoggedValue(text: string, uuid: string, value: string, now: Clock): string {
  return renderUuidLog(setUuidValue(parseUuidLog(text), uuid, value, now));
}

/** Refuses a group name that group.log or group-preferred-content.log could not hold. */
export function checkGroupName(group: string): void {
  if (group === '' || /[\s]/u.test(group)) throw new BadGroupNameError(group);
}

/**
 * Replaces a repository's groups with `change(current)`; the value is the groups in byte order, single
 * spaces between them (empty for none, as `dead` writes).
 */
export function changeGroups(text: string, uuid: string, change: (groups: Set<string>) => Set<string>, now: Clock): string {
  const groups = [...change(groupValues(text).get(uuid) ?? new Set())];
  groups.forEach(checkGroupName);
  return setLoggedValue(text, uuid, groups.sort(compareBytes).join(' '), now);
}

export function setGroupWanted(text: string, group: string, expression: string, now: Clock): string {
  checkGroupName(group);
  return renderMapLog(setMapValue(parseMapLog(text), group, expression, now));
}

const TRUST_VALUE: Readonly<Record<TrustLevel, string>> = { trusted: '1', semitrusted: '?', untrusted: '0', dead: 'X' };

export function setTrustLevel(text: string, uuid: string, level: TrustLevel, now: Clock): string {
  return renderUuidLog(setUuidValue(parseUuidLog(text, isTrustLogValue), uuid, TRUST_VALUE[level], now));
}

/**
 * numcopies.log or mincopies.log. Like git-annex's setGlobalNumCopies, a value already in effect (as a
 * number: "2x" is 2) returns `text` itself: nothing to write.
 */
export function setCopies(text: string, n: number, now: Clock): string {
  if (loggedCopies(text) === n) return text;
  const log = parseSingleValueLog(text, (v) => readishInt(v) !== undefined);
  return renderSingleValueLog(setSingleValue(log, String(n), now));
}

/**
 * A key's location log after `git annex dead --key`: every repository recorded as not having it is
 * recorded as dead (`X`), at its old clock plus the smallest step (1 ps), so a "present" written meanwhile
 * elsewhere still wins (observed: `…629s 0 U` becomes `…629001s X U`). Returns the uuids that still have
 * it instead when there are any: git-annex then refuses.
 */
export function markKeyDead(text: string): { text: string } | { present: string[] } {
  const log = parseLocationLog(text);
  const present = presentUuids(log);
  if (present.length > 0) return { present };
  const entries = [...currentLocations(log).values()].map((e) => (e.status === '0' ? { ...e, status: DEAD, clock: e.clock + 1n } : e));
  return { text: renderLocationLog({ entries, unparsed: [...log.unparsed] }) };
}
