// What `ferry sync` needs of a remote at the git level: fetch, the heads to merge, one push. A git remote
// (path, ssh, http: anything git can fetch from) is one implementation; the cloud git remote of a later
// issue is another, offering one head per peer through headsToMerge. sync never branches on the kind.

export interface SyncRemoteCapabilities {
  /** sync fetches from it and merges its heads (false with remote.NAME.annex-pull=false). */
  readonly pull: boolean;
  /** sync pushes to it (false with remote.NAME.annex-readonly=true or annex-push=false). */
  readonly push: boolean;
}

/** What a fetch did: git's own report ("From ...") to show, and on failure one line saying why. */
export interface FetchResult {
  readonly ok: boolean;
  /** Text git printed, shown as git-annex shows it (may be empty). */
  readonly output: string;
  /** One line, present when !ok: "'../gone.git' does not appear to be a git repository". */
  readonly error?: string;
}

/** One ref of a push, as `git push --porcelain` reports it. */
export interface RefPush {
  /** Full ref names: refs/heads/main → refs/heads/synced/main. */
  readonly source: string;
  readonly destination: string;
  /** ' ' fast-forward, '+' forced, '-' deleted, '*' new, '!' rejected, '=' up to date. */
  readonly flag: string;
  /** "1a2b3c4..5d6e7f8", "[new branch]", "[rejected]", "[remote rejected]", "[up to date]". */
  readonly summary: string;
  /** Why it was rejected ("non-fast-forward", "branch is currently checked out"), when it was. */
  readonly reason?: string;
  /**
   * Whether the push stands or falls with this ref: synced/BRANCH and synced/git-annex are required;
   * BRANCH and git-annex themselves are only tried (a non-bare remote refuses its checked-out branch).
   */
  readonly required: boolean;
}

export interface PushResult {
  /** 'current': the remote already had everything, nothing was pushed (git-annex prints no line then). */
  readonly status: 'current' | 'pushed' | 'failed';
  /** Where git pushed to, as it printed it after "To ". */
  readonly destination: string;
  readonly refs: readonly RefPush[];
  /** One line, present when status is 'failed'. */
  readonly error?: string;
}

export interface SyncRemote {
  readonly name: string;
  /** Lower is synced first (remote.NAME.annex-cost; git-annex's defaults: 100 local, 200 otherwise). */
  readonly cost: number;
  readonly capabilities: SyncRemoteCapabilities;

  /**
   * Why the remote cannot be used now (a local path that is gone), or undefined when it may be. Cheap: no
   * network. A remote that is unavailable is neither fetched from nor pushed to.
   */
  unavailable(): Promise<string | undefined>;

  /**
   * Brings the remote's branches into this repository (for a git remote, `git fetch NAME` into
   * refs/remotes/NAME/*, its `git-annex` branches included, which sync then union-merges). Resolves
   * with ok=false, never rejects, when the remote cannot be reached.
   */
  fetch(): Promise<FetchResult>;

  /**
   * The refs to merge into the local branch `branch` (a short name, "main"), after fetch(): full ref
   * names, each existing and holding commits `branch` lacks (every existing one while `branch` has no
   * commits yet), in merge order; empty when there is nothing to merge. A git remote offers
   * refs/remotes/NAME/BRANCH and refs/remotes/NAME/synced/BRANCH; a cloud remote one head per peer.
   */
  headsToMerge(branch: string): Promise<string[]>;

  /**
   * One push of: `branch` to synced/BRANCH and git-annex to synced/git-annex (forced), plus `branch` and
   * git-annex themselves where they fast-forward what the remote had at the last fetch. Resolves
   * 'current' without pushing when the remote already has synced/BRANCH and git-annex as they are here;
   * 'failed' (never rejects) when a required ref was refused or the remote could not be reached. A
   * refused optional ref is reported in `refs` and does not fail the push.
   */
  push(branch: string): Promise<PushResult>;
}
