// Errors of the sync layer that stop a sync before it starts; failures of one remote or one step are
// reported as failed steps instead, and the sync goes on with the others.
import { FerryError } from '../util/index.js';

/** A remote named on the command line that this repository does not have (git-annex's wording). */
export class UnknownRemoteError extends FerryError {
  constructor(name: string) {
    super(`there is no available git remote named "${name}"`, {
      data: { name }, hint: "'git remote -v' lists this repository's remotes",
    });
  }
}
