// One opened repository with its parts: the git-annex branch and the object store. Commands get one of
// these and call close() when done (it stops the batch git processes).
import type { AnnexRepo } from './repo.js';
import { AnnexBranch } from './branch/index.js';
import { ObjectStore } from './objects.js';

export class Annex {
  readonly branch: AnnexBranch;
  readonly objects: ObjectStore;

  constructor(readonly repo: AnnexRepo, readonly uuid: string) {
    this.branch = new AnnexBranch(repo.git, repo.layout, repo.catFile);
    this.objects = new ObjectStore(repo.layout);
  }

  close(): void {
    this.repo.close();
  }
}
