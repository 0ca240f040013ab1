// Changing the settings git-annex's `wanted`, `required`, `groupwanted`, `group`, `ungroup`, `trust`,
// `semitrust`, `untrust`, `dead`, `describe`, `numcopies` and `mincopies` change: each writes the log
// through the journal (the caller commits the branch when done, as git-annex does at the end of a command).
// Expressions are checked first, so a refused one writes nothing.
import type { Annex } from '../annex.js';
import { currentClock, locationLogPath } from '../branch/index.js';
import type { TrustLevel } from '../queries/repositories.js';
import { checkPreferredContentExpression } from './compile.js';
import { BadCountError, KeyStillPresentError } from './errors.js';
import {
  GROUP_LOG, GROUP_WANTED_LOG, MINCOPIES_LOG, NUMCOPIES_LOG, PREFERRED_CONTENT_LOG, REQUIRED_CONTENT_LOG, TRUST_LOG, UUID_LOG,
  changeGroups, checkGroupName, groupValues, groupWantedValues, markKeyDead, setCopies, setGroupWanted, setLoggedValue,
  setTrustLevel, uuidValues,
} from './policy-logs.js';
import { loggedCopies } from '../queries/numcopies.js';
import { readishInt } from './readish.js';

async function change(annex: Annex, edits: Record<string, (old: string) => string>): Promise<void> {
  await annex.branch.change(new Map(Object.entries(edits)));
}

export type ContentSetting = 'wanted' | 'required';

/** A repository's preferred or required content expression as logged; undefined when never set. */
export async function contentExpression(annex: Annex, which: ContentSetting, uuid: string): Promise<string | undefined> {
  return uuidValues(await annex.branch.get(which === 'wanted' ? PREFERRED_CONTENT_LOG : REQUIRED_CONTENT_LOG)).get(uuid);
}

/** The expression set for a group with `groupwanted`; undefined when never set. */
export async function groupWantedExpression(annex: Annex, group: string): Promise<string | undefined> {
  return groupWantedValues(await annex.branch.get(GROUP_WANTED_LOG)).get(group);
}

/** A repository's groups, in byte order. */
export async function repositoryGroups(annex: Annex, uuid: string): Promise<string[]> {
  return [...(groupValues(await annex.branch.get(GROUP_LOG)).get(uuid) ?? [])];
}

/** numcopies.log's or mincopies.log's value; undefined when never set. */
export async function copiesSetting(annex: Annex, setting: CopiesSetting): Promise<number | undefined> {
  return loggedCopies(await annex.branch.get(setting === 'numcopies' ? NUMCOPIES_LOG : MINCOPIES_LOG));
}

/**
 * Sets a repository's preferred (`wanted`) or required content expression; "" unsets it in effect.
 * Throws ExpressionError (position and token) for an expression ferry refuses, writing nothing.
 */
export async function setContentExpression(annex: Annex, which: ContentSetting, uuid: string, expression: string): Promise<void> {
  checkPreferredContentExpression(expression);
  const log = which === 'wanted' ? PREFERRED_CONTENT_LOG : REQUIRED_CONTENT_LOG;
  await change(annex, { [log]: (old) => setLoggedValue(old, uuid, expression, currentClock()) });
}

/** Sets the expression repositories in `group` use with `groupwanted`. */
export async function setGroupWantedExpression(annex: Annex, group: string, expression: string): Promise<void> {
  checkGroupName(group);
  checkPreferredContentExpression(expression);
  await change(annex, { [GROUP_WANTED_LOG]: (old) => setGroupWanted(old, group, expression, currentClock()) });
}

/** Adds a repository to a group, or with `remove` takes it out (git-annex writes even when nothing changes). */
export async function changeGroup(annex: Annex, uuid: string, group: string, remove = false): Promise<void> {
  checkGroupName(group);
  const edit = (groups: Set<string>): Set<string> => {
    if (remove) groups.delete(group);
    else groups.add(group);
    return groups;
  };
  await change(annex, { [GROUP_LOG]: (old) => changeGroups(old, uuid, edit, currentClock()) });
}

/** Records a trust level; `dead` also takes the repository out of every group, as git-annex's dead does. */
export async function setTrust(annex: Annex, uuid: string, level: TrustLevel): Promise<void> {
  await change(annex, { [TRUST_LOG]: (old) => setTrustLevel(old, uuid, level, currentClock()) });
  if (level === 'dead') await change(annex, { [GROUP_LOG]: (old) => changeGroups(old, uuid, () => new Set(), currentClock()) });
}

/**
 * `dead --key`: records that a key's content is lost for good, so fsck and whereis stop asking for it.
 * Throws KeyStillPresentError, writing nothing, while some repository is recorded as having it.
 */
export async function setKeyDead(annex: Annex, key: string): Promise<void> {
  const path = locationLogPath(key);
  const result = markKeyDead(await annex.branch.get(path));
  if ('present' in result) throw new KeyStillPresentError(key, result.present);
  await change(annex, { [path]: (old) => {
    const again = markKeyDead(old);
    return 'text' in again ? again.text : old;
  } });
}

export async function describeRepository(annex: Annex, uuid: string, description: string): Promise<void> {
  await change(annex, { [UUID_LOG]: (old) => setLoggedValue(old, uuid, description, currentClock()) });
}

export type CopiesSetting = 'numcopies' | 'mincopies';

/**
 * Reads a count given on the command line as git-annex does ("3x" is 3) and refuses what it refuses,
 * with its messages: "Bad number: x", "Cannot set numcopies to 0.", "numcopies cannot be negative!".
 */
export function parseCount(setting: CopiesSetting, text: string): number {
  const n = readishInt(text);
  if (n === undefined) throw new BadCountError(setting, text, `Bad number: ${text}`);
  if (n === 0) throw new BadCountError(setting, text, `Cannot set ${setting} to 0.`);
  if (n < 0) throw new BadCountError(setting, text, `${setting} cannot be negative!`);
  return n;
}

/** Sets numcopies.log or mincopies.log; a value already in effect writes nothing. */
export async function setCopiesSetting(annex: Annex, setting: CopiesSetting, n: number): Promise<void> {
  const log = setting === 'numcopies' ? NUMCOPIES_LOG : MINCOPIES_LOG;
  await change(annex, { [log]: (old) => setCopies(old, n, currentClock()) });
}
