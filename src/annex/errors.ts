// Errors of the repository layer: each names the thing that is wrong and what to do next.
import { FerryError, ExitCode } from '../util/index.js';

export class NotInitialisedError extends FerryError {
  constructor(path: string) {
    super(`not a ferry or git-annex repository: ${path} has no annex.uuid`, {
      data: { path }, hint: "run 'ferry init' first",
    });
  }
}

export class UnsupportedVersionError extends FerryError {
  constructor(version: string) {
    super(`this repository is annex.version ${version}; ferry works with version 10`, {
      data: { version }, hint: "upgrade it with 'git annex upgrade' on a machine that has git-annex",
    });
  }
}

export class PathOutsideRepoError extends FerryError {
  constructor(path: string, top: string) {
    super(`${path} is outside the repository ${top}`, { data: { path, top }, exitCode: ExitCode.usage });
  }
}

export class NoWorkTreeError extends FerryError {
  constructor(gitDir: string) {
    super(`${gitDir} is a bare repository; this command needs a work tree`, { data: { gitDir }, exitCode: ExitCode.usage });
  }
}

/** The git-annex branch holds something ferry must not merge (a history rewrite or incompatible differences). */
export class BranchIncompatibleError extends FerryError {
  constructor(ref: string, reason: string) {
    super(`cannot merge ${ref} into the git-annex branch: ${reason}`, { data: { ref, reason } });
  }
}

/** The native lock addon is missing and git-annex has used this repository, so writing without its locks is unsafe. */
export class UnsafeWithoutLocksError extends FerryError {
  constructor(path: string, reason: string) {
    super(`refusing to write to ${path}: git-annex has used this repository and ferry cannot take its locks (${reason})`, {
      data: { path, reason },
      hint: 'install build-essential and python3, then run `npm rebuild` in ferry\'s directory to build the lock addon',
    });
  }
}

/** The content of a key is not in this repository's object store. */
export class ContentMissingError extends FerryError {
  constructor(key: string) {
    super(`the content of ${key} is not in this repository`, { data: { key } });
  }
}
