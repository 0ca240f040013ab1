// `ferry sync`: the steps of `git annex sync` in git-annex's order (annex-format.md §4; Command/Sync.hs seek'),
// each of which may fail without stopping the others:
//   commit → merge local synced/BRANCH → per remote in cost order: fetch and merge its heads → union-merge
//   the git-annex branches → (--content: move content, then pull and merge again) → synced/BRANCH := BRANCH
//   → per remote: one push.
// Remotes come from the SyncRemote kinds table, content from the ContentSync given in `parts`.
import type { Annex, GitConfig } from '../annex/index.js';
import { isAncestor, listRefs, runGit } from '../git/index.js';
import { enabledSpecialRemotes, openRemotes } from '../remotes/index.js';
import { FerryError, checkpoint } from '../util/index.js';
import { commitWorkTree } from './commit.js';
import { syncContent } from './content.js';
import { mergeRef, resolveInterruptedMerge } from './merge.js';
import type { MergeOptions } from './merge.js';
import { openSyncRemote, SYNC_REMOTE_KINDS } from './remote-kinds.js';
import type { SyncRemoteKind } from './remote-kinds.js';
import { isRetiredRemote, retiredSetting } from './cloud-retired.js';
import { selectRemotes } from './remote-list.js';
import type { ContentSync } from './sync-content.js';
import type { SyncEvents, SyncStep } from './sync-events.js';
import type { SyncRemote } from './sync-remote.js';

export interface SyncOptions {
  /** Remote names (or remotes.GROUP groups) given; empty: every remote sync uses. */
  readonly remotes: readonly string[];
  readonly pull: boolean;
  readonly push: boolean;
  /** Commit the work tree first; undefined: annex.autocommit (default true). */
  readonly commit?: boolean;
  /** The commit message; default "git-annex in DESC". */
  readonly message?: string;
  /** Move content too; undefined: annex.synccontent (default false). */
  readonly content?: boolean;
  readonly allowUnrelatedHistories: boolean;
  /** Resolve merge conflicts on annexed files; undefined: annex.resolvemerge (default true). */
  readonly resolveMerge?: boolean;
  readonly jobs?: number;
  /** With content: every key the repository knows (old versions too), not only the work tree's files. */
  readonly all?: boolean;
}

/** The parts a sync is built from (the composition root of `ferry sync`, STYLE 9). */
export interface SyncParts {
  readonly remoteKinds: readonly SyncRemoteKind[];
  readonly content: ContentSync;
}

export function defaultSyncParts(): SyncParts {
  return { remoteKinds: SYNC_REMOTE_KINDS, content: { run: syncContent } };
}

export interface SyncResult {
  /** Steps (and unreachable remotes) that failed; the sync is clean when 0. */
  readonly failed: number;
}

interface StepOutcome {
  readonly ok: boolean;
  readonly error?: string;
}

/** Syncs `annex` with its remotes. Throws (before doing anything) only for a remote name that does not exist. */
export async function syncRepository(annex: Annex, opts: SyncOptions, events: SyncEvents, parts: SyncParts = defaultSyncParts()): Promise<SyncResult> {
  return new Sync(annex, opts, events, parts).run();
}

class Sync {
  private failed = 0;
  private readonly config: GitConfig;
  private readonly mergeOptions: MergeOptions;

  constructor(private readonly annex: Annex, private readonly opts: SyncOptions, private readonly events: SyncEvents, private readonly parts: SyncParts) {
    this.config = annex.repo.config;
    this.mergeOptions = {
      allowUnrelatedHistories: opts.allowUnrelatedHistories,
      resolveConflicts: opts.resolveMerge ?? this.config.bool('annex.resolvemerge', true),
    };
  }

  async run(): Promise<SyncResult> {
    // Special remotes take part in the content step only (git has nothing there); named ones are not git remotes.
    const special = enabledSpecialRemotes(this.annex).map((e) => e.name);
    const named = this.opts.remotes;
    const gitNamed = named.filter((n) => !special.includes(n));
    const specialContent = named.length > 0
      ? named.filter((n) => special.includes(n))
      : special.filter((n) => this.config.bool(`remote.${n}.annex-sync`, true));
    const remotes = (named.length > 0 && gitNamed.length === 0 ? [] : selectRemotes(this.annex, gitNamed))
      .filter((s) => !this.retired(s.name, named.includes(s.name)))
      .map((s) => openSyncRemote(this.annex, s, this.parts.remoteKinds));
    const usable: SyncRemote[] = [];
    const content = this.opts.content ?? this.config.bool('annex.synccontent', false);
    // With nothing to do with remotes (--no-pull --no-push, no content), none needs to be reachable.
    const needRemotes = this.opts.pull || this.opts.push || content;
    for (const r of needRemotes ? remotes : []) {
      if (await r.unavailable() === undefined) usable.push(r);
      else {
        // git-annex's words; it skips such a remote silently unless named, ferry always says so.
        this.events.note(`Remote ${r.name} cannot currently be accessed.`, 'warning');
        this.failed++;
      }
    }
    // As git-annex reads each local remote's config when it lists remotes: remote.NAME.annex-uuid is recorded,
    // and a remote that has a git-annex branch but no uuid yet (a bare origin someone pushed to) is initialised.
    if (usable.length > 0) (await openRemotes(this.annex, usable.map((r) => r.name))).close();
    const bare = this.annex.repo.bare;
    let branch = await currentBranch(this.annex);
    if (!bare && (this.opts.commit ?? this.config.bool('annex.autocommit', true))) {
      await this.step('commit', undefined, async () => {
        if (this.mergeOptions.resolveConflicts && (await resolveInterruptedMerge(this.annex)).length > 0) {
          this.events.note('Merge conflict was automatically resolved; you may want to examine the result.', 'info');
        }
        const r = await commitWorkTree(this.annex, this.opts.message);
        this.output(r.stdout, r.stderr);
        return { ok: true };
      });
    }
    if (!bare && branch !== undefined) {
      await this.mergeLocalSynced(branch);
      await setSyncedBranch(this.annex, branch); // git-annex's pushLocal
    }
    const pulling = this.opts.pull ? usable.filter((r) => r.capabilities.pull) : [];
    for (const r of pulling) branch = await this.pull(r, branch);
    await this.mergeAnnexBranches();

    if (content) {
      const changed = await this.content([...usable.map((r) => r.name), ...specialContent]);
      if (changed) {
        // Transfers take a while and others may have pushed meanwhile: pull and merge again before pushing.
        for (const r of pulling) branch = await this.pull(r, branch);
        await this.mergeAnnexBranches();
      }
    }

    if (branch !== undefined && await branchHead(this.annex, branch) !== undefined) {
      await setSyncedBranch(this.annex, branch);
      if (this.opts.push) for (const r of usable.filter((x) => x.capabilities.push)) await this.push(r, branch);
    }
    return { failed: this.failed };
  }

  /**
   * A retired cloud (`cloud rotate`, cloud-retired.ts) is neither fetched from nor pushed to: our history
   * holds its successor's secret, and its store is still open to the device it shut out. Named, that fails the sync.
   */
  private retired(name: string, named: boolean): boolean {
    if (!isRetiredRemote(this.annex.repo, name)) return false;
    this.events.note(`${name} is retired (${retiredSetting(name)}=true): skipped, this history never goes to the cloud it replaced`, 'warning');
    if (named) this.failed++;
    return true;
  }

  /** A non-bare repository merges the synced/BRANCH others pushed into it (git-annex's mergeLocal). */
  private async mergeLocalSynced(branch: string): Promise<void> {
    const synced = await branchHead(this.annex, `synced/${branch}`);
    if (synced === undefined) return;
    const head = await branchHead(this.annex, branch);
    if (head !== undefined && (synced === head || await isAncestor(this.annex.repo.git, synced, head))) return;
    await this.step('merge', `synced/${branch}`, () => this.merge(`refs/heads/synced/${branch}`));
  }

  /** Fetches from `remote` and merges its heads; returns the branch checked out (see adoptBranch). */
  private async pull(remote: SyncRemote, branch: string | undefined): Promise<string | undefined> {
    let current = branch;
    await this.step('pull', remote.name, async () => {
      const fetched = await remote.fetch();
      this.output('', fetched.output);
      if (!fetched.ok) return { ok: false, error: fetched.error };
      if (this.annex.repo.bare || current === undefined) return { ok: true };
      current = await this.adoptBranch(remote, current);
      let outcome: StepOutcome = { ok: true };
      for (const head of await remote.headsToMerge(current)) {
        const merged = await this.merge(head);
        if (!merged.ok && outcome.ok) outcome = merged;
      }
      return outcome;
    });
    return current;
  }

  /**
   * A repository with no commit yet on `branch` (joined while the cloud was empty, or made by `git init`
   * with another default branch name) takes the name of the one branch the remote has, so the merge that
   * follows gives it the others' files instead of leaving it on an unborn branch nobody pushes to.
   */
  private async adoptBranch(remote: SyncRemote, branch: string): Promise<string> {
    if (await branchHead(this.annex, branch) !== undefined) return branch;
    const prefix = `refs/remotes/${remote.name}/`;
    const names = (await listRefs(this.annex.repo.git, [prefix])).map((r) => r.ref.slice(prefix.length))
      .filter((n) => n !== 'HEAD' && n !== 'git-annex' && !n.startsWith('synced/') && !n.startsWith('ferry/'));
    if (names.includes(branch) || names.length !== 1) return branch;
    const adopted = names[0]!;
    await runGit(this.annex.repo.git, ['symbolic-ref', 'HEAD', `refs/heads/${adopted}`]);
    this.events.note(`(this repository had no commit yet: it takes ${remote.name}'s branch ${adopted})`, 'info');
    return adopted;
  }

  private async merge(ref: string): Promise<StepOutcome> {
    const m = await mergeRef(this.annex, ref, this.mergeOptions);
    this.output(m.stdout, m.stderr);
    if (m.resolved.length > 0 && m.ok) this.events.note('Merge conflict was automatically resolved; you may want to examine the result.', 'info');
    return { ok: m.ok, error: m.error };
  }

  /** Union-merges every fetched git-annex branch and commits the journal (git-annex's mergeAnnex). */
  private async mergeAnnexBranches(): Promise<void> {
    try {
      const merged = await this.annex.branch.update();
      if (merged.length > 0) this.events.note(`(merging ${merged.map((r) => r.replace(/^refs\/(heads|remotes)\//, '')).join(' ')} into git-annex...)`, 'info');
      await this.annex.branch.commit('update', undefined, { explicit: true });
    } catch (err) {
      if (!(err instanceof FerryError)) throw err;
      this.events.note(`merging the git-annex branches failed: ${err.message}`, 'warning');
      this.failed++;
    }
  }

  /** Returns whether content moved (then the git-annex branches are pulled and merged again). */
  private async content(remotes: readonly string[]): Promise<boolean> {
    try {
      const result = await this.parts.content.run(this.annex, remotes, {
        events: (action, remote) => this.events.contentEvents(action, remote),
        note: (text) => this.events.note(text, 'warning'),
        ...(this.opts.jobs !== undefined ? { jobs: this.opts.jobs } : {}),
        ...(this.opts.all === true ? { all: true } : {}),
      });
      this.failed += result.failed;
      return result.changed;
    } catch (err) {
      if (!(err instanceof FerryError)) throw err;
      this.events.note(err.hint ? `${err.message}\nhint: ${err.hint}` : err.message, 'warning');
      this.failed++;
      return false;
    }
  }

  private async push(remote: SyncRemote, branch: string): Promise<void> {
    let result;
    try {
      result = await remote.push(branch);
    } catch (err) {
      if (!(err instanceof FerryError)) throw err;
      result = { status: 'failed' as const, destination: remote.name, refs: [], error: err.message };
    }
    if (result.status === 'current') return; // nothing new for it: git-annex prints no "push" line either
    checkpoint('sync-step', `push ${remote.name}`);
    this.events.stepStarted('push', remote.name);
    this.events.pushReport(result);
    if (result.status === 'failed') this.failed++;
    this.events.stepEnded(result.status === 'pushed', result.error);
  }

  /** Runs one step between its start and end events; a FerryError fails the step, not the sync. */
  private async step(step: SyncStep, target: string | undefined, fn: () => Promise<StepOutcome>): Promise<void> {
    checkpoint('sync-step', target === undefined ? step : `${step} ${target}`);
    this.events.stepStarted(step, target);
    let outcome: StepOutcome;
    try {
      outcome = await fn();
    } catch (err) {
      if (!(err instanceof FerryError)) throw err;
      outcome = { ok: false, error: err.message };
    }
    if (!outcome.ok) this.failed++;
    this.events.stepEnded(outcome.ok, outcome.error);
  }

  private output(stdout: string, stderr: string): void {
    if (stdout !== '') this.events.gitOutput(stdout, 'stdout');
    if (stderr !== '') this.events.gitOutput(stderr, 'stderr');
  }
}

/** The branch HEAD names ("main"), whether or not it has commits yet; undefined when HEAD is detached. */
async function currentBranch(annex: Annex): Promise<string | undefined> {
  const r = await runGit(annex.repo.git, ['symbolic-ref', '-q', 'HEAD'], { okCodes: [1] });
  const ref = r.stdout.toString('utf8').trim();
  return r.code === 0 && ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined;
}

async function branchHead(annex: Annex, branch: string): Promise<string | undefined> {
  const ref = `refs/heads/${branch}`;
  return (await listRefs(annex.repo.git, [ref])).find((r) => r.ref === ref)?.sha;
}

/** refs/heads/synced/BRANCH := BRANCH (git-annex's `git branch -f synced/BRANCH BRANCH`). */
async function setSyncedBranch(annex: Annex, branch: string): Promise<void> {
  const head = await branchHead(annex, branch);
  if (head === undefined) return;
  if (await branchHead(annex, `synced/${branch}`) === head) return;
  await runGit(annex.repo.git, ['update-ref', '-m', 'ferry sync', `refs/heads/synced/${branch}`, head]);
}
