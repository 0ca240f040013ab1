// The assistant's git side (ISSUE 15 "syncer"): pull (fetch and merge, as `ferry sync` does it, with the
// same code) and push (with the announcement of the push through the notifiers already open). Content is
// not moved here: the transfer queue does that, planned from what a pull changed (ContentPlan). Both run
// as jobs of the worker, never two at once. Sync with the cloud runs cloudgit in-process.
import type { Annex } from '../annex/index.js';
import { gitLinesZ, listRefs, resolveRef } from '../git/index.js';
import { defaultSyncParts, syncRemoteKinds, syncRepository } from '../sync/index.js';
import type { PushAnnouncer, SyncEvents, SyncOptions } from '../sync/index.js';
import type { EventBus } from './events.js';

export interface PullResult {
  /** Whether the pull changed the branch checked out. */
  readonly merged: boolean;
  /** Work-tree paths the merge changed (added, modified, renamed to). */
  readonly changed: readonly string[];
  /** Whether the git-annex branch changed (other repositories' location logs, settings). */
  readonly annexChanged: boolean;
  /**
   * Whether the branch now holds a commit the cloud does not (a merge of diverged histories, or work of our
   * own): then the others need a push. A fast-forward to what the cloud has needs none.
   */
  readonly ahead: boolean;
}

export class Syncer {
  readonly #annex: Annex;
  readonly #bus: EventBus;
  readonly #remote: string;
  readonly #announce: PushAnnouncer;

  /** `remote` is the cloud git remote (NAME-git); `announce` tells the notifiers of a landed push. */
  constructor(annex: Annex, opts: { bus: EventBus; remote: string; announce: PushAnnouncer }) {
    this.#annex = annex;
    this.#bus = opts.bus;
    this.#remote = opts.remote;
    this.#announce = opts.announce;
  }

  get remote(): string {
    return this.#remote;
  }

  async pull(): Promise<PullResult> {
    const git = this.#annex.repo.git;
    const [head, annexHead] = await Promise.all([resolveRef(git, 'HEAD'), resolveRef(git, 'refs/heads/git-annex')]);
    await this.#sync({ pull: true, push: false });
    const [after, annexAfter] = await Promise.all([resolveRef(git, 'HEAD'), resolveRef(git, 'refs/heads/git-annex')]);
    let changed: string[] = [];
    if (after !== undefined && after !== head) {
      changed = head === undefined
        ? await gitLinesZ(git, ['ls-tree', '-r', '-z', '--name-only', after])
        : await gitLinesZ(git, ['diff', '--name-only', '-z', '--no-renames', '--diff-filter=AMT', head, after]);
    }
    const tracking = new Set((await listRefs(git, [`refs/remotes/${this.#remote}/`])).map((r) => r.sha));
    const result = { merged: after !== head, changed, annexChanged: annexAfter !== annexHead, ahead: after !== undefined && !tracking.has(after) };
    this.#bus.publish({ type: 'pulled', remote: this.#remote, merged: result.merged, changed: changed.length });
    return result;
  }

  async push(): Promise<void> {
    await this.#sync({ pull: false, push: true });
  }

  async #sync(what: { pull: boolean; push: boolean }): Promise<void> {
    const failures: string[] = [];
    let step = '';
    const events: SyncEvents = {
      stepStarted: (s, target) => { step = target === undefined ? s : `${s} ${target}`; },
      gitOutput: () => undefined,
      pushReport: () => undefined, // a push that landed is announced, and the announcer reports it
      note: (text, level) => { if (level === 'warning') failures.push(text); },
      stepEnded: (ok, error) => { if (!ok) failures.push(`${step}: ${error ?? 'failed'}`); },
      contentEvents: () => ({ done: () => undefined }),
    };
    const opts: SyncOptions = {
      remotes: [this.#remote], ...what, commit: false, content: false, allowUnrelatedHistories: false,
    };
    const { failed } = await syncRepository(this.#annex, opts, events, { ...defaultSyncParts(), remoteKinds: syncRemoteKinds(this.#announce) });
    if (failed > 0) throw new Error(failures.join('; ') || `${what.pull ? 'pull from' : 'push to'} ${this.#remote} failed`);
  }
}
