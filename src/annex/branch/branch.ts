// The git-annex branch (annex-format.md §3): reads take the journal over the branch; small writes go through
// the journal under journal.lck; commits stage the journal (and any bulk changes) into .git/annex/index and
// commit it with git-annex's messages; other git-annex branches are union-merged in as git-annex does.
import { readFile, rm } from 'node:fs/promises';
import {
  EMPTY_TREE, NULL_SHA, RefChangedError, commitTree, fastImport, hashFiles, isAncestor, listRefs, resolveRef, runGit, updateIndex,
  updateRef, updateRefs, writeTree,
} from '../../git/index.js';
import type { CatFile, GitEnv } from '../../git/index.js';
import { checkpoint, decodeLossless, encodeLossless } from '../../util/index.js';
import type { AnnexLayout } from '../layout.js';
import { withJournalLock } from '../locking.js';
import { AnnexIndex } from './annex-index.js';
import { Journal } from './journal.js';
import { branchPathOfJournalFile } from './logs/index.js';

export const BRANCH_REF = 'refs/heads/git-annex';
/** fast-import must name a ref for its commit; this one is moved aside in the same transaction. */
const SCRATCH_REF = 'refs/ferry/scratch/git-annex';
const MAX_RACE_RETRIES = 10;

/** Above this many changes a deferred commit commits anyway: one commit is cheaper than that many journal files. */
const DEFERRED_BULK_LIMIT = 64;

export class AnnexBranch {
  readonly journal: Journal;
  private readonly index: AnnexIndex;
  /** The top-level directories of the branch at one commit (the last one read), for fromCommit. */
  private topLevel: { readonly commit: string; readonly dirs: Promise<Map<string, string>> } | undefined;
  /** get() calls waiting for this turn's getMany, by path. */
  private gets: Map<string, { resolve(v: string): void; reject(e: unknown): void }[]> | undefined;
  /**
   * Leave routine commits to the next explicit one (git-annex's annex.alwayscommit=false): small changes
   * stay in the journal, which every read takes over the branch, until a sync commits them in one go. The
   * assistant sets it: a branch commit is four git processes on the path of every change it carries.
   */
  deferCommits = false;

  constructor(private readonly git: GitEnv, private readonly layout: AnnexLayout, private readonly cat: CatFile) {
    this.journal = new Journal(layout);
    this.index = new AnnexIndex(git, layout, cat);
  }

  /** The branch's commit, or undefined before it is created (asked of the long-lived cat-file: no new process). */
  async head(): Promise<string | undefined> {
    return (await this.cat.info(BRANCH_REF))?.sha;
  }

  /**
   * Creates the branch when it does not exist: from origin's git-annex branch when there is one (as
   * `git annex init` in a clone does), else as a root commit "branch created" of the empty tree (§3.5).
   */
  async ensureExists(): Promise<string> {
    const existing = await this.head();
    if (existing) return existing;
    return withJournalLock(this.layout, async () => {
      const again = await this.head();
      if (again) return again;
      const origin = await resolveRef(this.git, 'refs/remotes/origin/git-annex');
      // git knows the empty tree without storing it, but fsck (and git bundle's readers) want the object.
      if (!origin) await runGit(this.git, ['hash-object', '-w', '-t', 'tree', '--stdin'], { input: '' });
      const commit = origin ?? await commitTree(this.git, EMPTY_TREE, [], 'branch created');
      await updateRef(this.git, BRANCH_REF, commit, NULL_SHA, 'branch created');
      await rm(this.layout.index, { force: true });
      await this.index.catchUp(commit);
      return commit;
    });
  }

  /**
   * Current content of a branch file: the journal's copy if there is one, else the branch's; '' if none.
   * Calls made in the same turn of the event loop (a pool of lookups, one log per key) are read together as
   * one getMany: one listing of the journal and one question for the head, instead of one each per path.
   */
  get(path: string): Promise<string> {
    if (this.gets === undefined) {
      const batch = new Map<string, { resolve(v: string): void; reject(e: unknown): void }[]>();
      this.gets = batch;
      setImmediate(() => {
        this.gets = undefined;
        this.getMany([...batch.keys()]).then((found) => {
          for (const [p, waiters] of batch) for (const w of waiters) w.resolve(found.get(p) ?? '');
        }, (err: unknown) => {
          for (const waiters of batch.values()) for (const w of waiters) w.reject(err);
        });
      });
    }
    const gets = this.gets;
    return new Promise((resolve, reject) => {
      gets.set(path, [...(gets.get(path) ?? []), { resolve, reject }]);
    });
  }

  /** get() for many paths at once: one listing of the journal, and blob reads pipelined through one cat-file. */
  async getMany(paths: readonly string[]): Promise<Map<string, string>> {
    const [journalled, head] = await Promise.all([this.journal.paths(), this.head()]);
    const inJournal = new Set(journalled);
    const read = async (p: string): Promise<string> => {
      // Listed a moment ago, but git-annex may have committed and removed it since: then read the branch.
      if (inJournal.has(p)) {
        const journalled = await this.journal.read(p);
        if (journalled !== undefined) return journalled;
        const now = await this.head();
        return now === undefined ? '' : this.fromCommit(now, p);
      }
      return head === undefined ? '' : this.fromCommit(head, p);
    };
    const entries = await Promise.all(paths.map(async (p): Promise<[string, string]> => [p, await read(p)]));
    return new Map(entries);
  }

  /**
   * A file of the branch at `commit`, looked up from its top-level directory's tree: cat-file resolving
   * `commit:aaa/bbb/KEY.log` would inflate and scan the root tree (4,096 entries, 110 KB) for every path,
   * which was most of the CPU of a 10,000-key copy. The root's directories are read once per commit, and a
   * path under a directory the branch lacks (most new keys' logs) costs no read at all. Addressed by
   * commit id: a ref name would be resolved again, ten stats, for every path.
   */
  private async fromCommit(commit: string, path: string): Promise<string> {
    const slash = path.indexOf('/');
    if (slash < 0) return this.fromTree(commit, path);
    if (this.topLevel?.commit !== commit) {
      const dirs = this.cat.subtrees(commit).then((d) => d ?? new Map<string, string>());
      this.topLevel = { commit, dirs };
      dirs.catch(() => {
        if (this.topLevel?.dirs === dirs) this.topLevel = undefined;
      });
    }
    const tree = (await this.topLevel.dirs).get(path.slice(0, slash));
    return tree === undefined ? '' : this.fromTree(tree, path.slice(slash + 1));
  }

  private async fromTree(treeish: string, path: string): Promise<string> {
    const o = await this.cat.get(`${treeish}:${path}`);
    return o === undefined ? '' : decodeLossless(o.content);
  }

  /** Rewrites branch files through the journal: each fn gets the current content and returns the new. */
  async change(changes: ReadonlyMap<string, (old: string) => string>): Promise<void> {
    if (changes.size === 0) return;
    await withJournalLock(this.layout, async () => {
      const current = await this.getMany([...changes.keys()]);
      for (const [path, fn] of changes) {
        const old = current.get(path) ?? '';
        const next = fn(old);
        if (next !== old) await this.journal.write(path, next);
      }
    });
  }

  /**
   * Commits the journal, plus `bulk`: changes computed from the current content and written straight into
   * this one commit (adding 10,000 files writes 10,000 logs without 10,000 journal files; the journal is
   * git-annex's optimisation, not part of the format). Returns the new commit, or undefined if nothing changed.
   * Callers make the objects a bulk change records durable before calling (docs/NOTES.md "Durability order").
   */
  async commit(message = 'update', bulk?: ReadonlyMap<string, (old: string) => string>, opts: { explicit?: boolean } = {}): Promise<string | undefined> {
    if (this.deferCommits && !opts.explicit && (bulk?.size ?? 0) <= DEFERRED_BULK_LIMIT) {
      if (bulk !== undefined) await this.change(bulk);
      return undefined;
    }
    await this.ensureExists();
    return withJournalLock(this.layout, async () => {
      const journalFiles = await this.journal.files();
      const changes = new Map<string, Buffer>();
      const contents = await Promise.all(journalFiles.map((f) => readFile(this.journal.filePath(f))));
      journalFiles.forEach((f, i) => changes.set(branchPathOfJournalFile(f), contents[i]!));
      if (bulk && bulk.size > 0) {
        const current = await this.getMany([...bulk.keys()]);
        for (const [path, fn] of bulk) {
          const old = current.get(path) ?? '';
          const next = fn(old);
          if (next !== old) changes.set(path, encodeLossless(next));
        }
      }
      if (changes.size === 0) return undefined;
      const commit = await this.commitChanges(changes, message);
      await this.journal.remove(journalFiles);
      return commit;
    });
  }

  /**
   * Commits `changes` on top of the branch and stages them in .git/annex/index, keeping the index in step.
   * fast-import writes blobs, trees and commit in one go; write-tree of the index then only checks that
   * the index agrees (every tree already exists, so it writes nothing). If the index held more (staged by
   * a run that crashed before committing), its tree is what gets committed, as git-annex would.
   */
  private async commitChanges(changes: ReadonlyMap<string, Buffer>, message: string): Promise<string> {
    let parent = (await this.head())!;
    await this.index.catchUp(parent);
    const files = [...changes].map(([path, content]) => ({ path, content }));
    const imported = await fastImport(this.git, [], { scratchRef: SCRATCH_REF, parent, message, files });
    await updateIndex(this.git, files.map((f, i) => ({ mode: '100644', sha: imported.blobs[i]!, path: f.path })), this.layout.index);
    let commit = imported.commit!;
    const tree = await writeTree(this.git, this.layout.index);
    if (tree !== await this.treeOf(commit)) commit = await commitTree(this.git, tree, [parent], message);
    checkpoint('branch-prepared', commit);
    for (let attempt = 1; ; attempt++) {
      try {
        await updateRefs(this.git, [
          { ref: BRANCH_REF, sha: commit, expected: parent },
          { ref: SCRATCH_REF, delete: true },
        ], `git-annex branch: ${message}`);
        await this.index.markSynced(commit);
        checkpoint('branch-commit', commit);
        return commit;
      } catch (err) {
        // Someone (a push into this repository, another tool) moved the branch: merge what they wrote
        // into the index, which still holds our changes, and commit on top of theirs.
        if (!(err instanceof RefChangedError) || attempt > MAX_RACE_RETRIES) throw err;
        parent = (await this.head())!;
        await this.index.mergeRefs([parent]);
        const merged = await writeTree(this.git, this.layout.index);
        commit = await commitTree(this.git, merged, [parent], `${message} (recovery from race #${attempt})`);
      }
    }
  }

  private async treeOf(commit: string): Promise<string | undefined> {
    const o = await this.cat.get(commit);
    return o ? /^tree ([0-9a-f]+)/.exec(o.content.toString('utf8'))?.[1] : undefined;
  }

  /**
   * Union-merges every other git-annex branch not yet contained in ours (remotes' `git-annex`,
   * `synced/git-annex`), as git-annex does at the start of a command (§3.5). Returns the refs merged.
   */
  async update(): Promise<string[]> {
    const local = await this.ensureExists();
    const candidates = await this.unmergedSiblings();
    if (candidates.length === 0) return [];
    return withJournalLock(this.layout, async () => {
      const parent = (await this.head()) ?? local;
      const refs = (await this.unmergedSiblings()).filter((r) => r.sha !== parent);
      if (refs.length === 0) return [];
      await this.index.catchUp(parent);
      const journalFiles = await this.journal.files();
      if (journalFiles.length > 0) {
        const shas = await hashFiles(this.git, journalFiles.map((f) => this.journal.filePath(f)));
        await updateIndex(this.git, journalFiles.map((f, i) => ({ mode: '100644', sha: shas[i]!, path: branchPathOfJournalFile(f) })), this.layout.index);
      }
      await this.index.mergeRefs(refs.map((r) => r.sha));
      const names = refs.map((r) => shortRefName(r.ref));
      const message = `merging ${names.join(' ')} into git-annex`;
      const single = refs.length === 1 ? refs[0]! : undefined;
      let commit: string;
      if (journalFiles.length === 0 && single && await isAncestor(this.git, parent, single.sha)) {
        // Fast-forward: the index now holds exactly their tree.
        commit = single.sha;
        await updateRef(this.git, BRANCH_REF, commit, parent, message);
        await this.index.markSynced(commit);
      } else {
        const tree = await writeTree(this.git, this.layout.index);
        commit = await commitTree(this.git, tree, [parent, ...refs.map((r) => r.sha)], message);
        await updateRef(this.git, BRANCH_REF, commit, parent, message);
        await this.index.markSynced(commit);
      }
      checkpoint('branch-commit', commit);
      await this.journal.remove(journalFiles);
      return refs.map((r) => r.ref);
    });
  }

  private async unmergedSiblings(): Promise<{ sha: string; ref: string }[]> {
    const refs = await listRefs(this.git, [`--no-merged=${BRANCH_REF}`, 'refs/']);
    const seen = new Set<string>();
    return refs.filter((r) => {
      if (r.ref === BRANCH_REF || !r.ref.endsWith('/git-annex') || seen.has(r.sha)) return false;
      seen.add(r.sha);
      return true;
    });
  }

}

/** git-annex's Ref.describe: refs/remotes/origin/git-annex → origin/git-annex. */
function shortRefName(ref: string): string {
  return ref.replace(/^refs\/(heads|remotes|tags)\//, '');
}
