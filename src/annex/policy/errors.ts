// Errors of naming repositories and changing their settings. Messages keep git-annex 10.20230126's
// wording where it has one, so scripts that match on it keep working; the hint says what to do.
import { ExitCode, FerryError } from '../../util/index.js';

export class UnknownRepositoryError extends FerryError {
  constructor(name: string) {
    super(`there is no available git remote named "${name}"`, {
      data: { name },
      hint: "name a repository by remote name, uuid or description, or 'here' (see 'ferry info')",
    });
  }
}

export class AmbiguousRepositoryError extends FerryError {
  constructor(name: string, uuids: readonly string[]) {
    super('Found multiple repositories with that description', {
      data: { name, uuids },
      hint: `name it by uuid instead: ${uuids.join(', ')}`,
    });
  }
}

export class RemoteWithoutUuidError extends FerryError {
  constructor(remote: string) {
    super(`cannot determine uuid for ${remote} (perhaps you need to run "git annex sync"?)`, {
      data: { remote },
      hint: `fetch from ${remote} (ferry sync) so its annex uuid is known`,
    });
  }
}

/** git-annex refuses to trust without --force: a trusted repository's copies are never re-checked. */
export class TrustNeedsForceError extends FerryError {
  constructor(name: string) {
    super([
      'Trusting a repository can lead to data loss.',
      "If you're sure you know what you're doing, use --force to make this take effect.",
      `If you choose to do so, bear in mind that any time you drop content from ${name}, you will risk losing data.`,
    ].join(' '), { data: { name }, hint: 'add --force' });
  }
}

/** A count git-annex would not set (numcopies 0) or not read ("x"); exit 1, as git-annex's. */
export class BadCountError extends FerryError {
  constructor(setting: string, value: string, problem: string) {
    super(problem, { data: { setting, value }, exitCode: ExitCode.failed, hint: `give ${setting} a whole number of 1 or more` });
  }
}

/** `dead --key` refuses a key some repository is still recorded as having (git-annex's wording). */
export class KeyStillPresentError extends FerryError {
  constructor(key: string, uuids: readonly string[]) {
    super('This key is still known to be present in some locations; not marking as dead.', {
      data: { key, uuids }, hint: `drop it from ${uuids.join(', ')} first (or fix their location log with fsck)`,
    });
  }
}

/** A group name with white space: group.log separates groups with spaces, so it could not be read back. */
export class BadGroupNameError extends FerryError {
  constructor(group: string) {
    super(`a group name cannot be empty or contain white space: ${JSON.stringify(group)}`, {
      data: { group }, exitCode: ExitCode.usage, hint: 'group.log separates groups with spaces; choose a name without them',
    });
  }
}
