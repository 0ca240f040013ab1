// The committer (ARCHITECTURE "Assistant"): turns a batch of changed paths into one commit. A file is added
// only once it is quiet — nothing has it open for writing (/proc, for files over 1 MiB) or, for smaller
// files, it was last modified at least one quiet period ago — and only if it did not change while it was
// hashed; any other file goes back to the watcher for another look (`file-deferred`), which is never an
// error. Files go in exactly as `ferry add` puts them (annex.largefiles, annex.addunlocked: the same
// addFiles), deletions are staged, the links of moved locked files are fixed as the pre-commit hook does,
// and everything becomes one commit with git-annex's message "git-annex in DESCRIPTION".
import type { Stats } from 'node:fs';
import { lstatSync } from 'node:fs';
import { lstat, realpath } from 'node:fs/promises';
import { addFiles, fixStagedLinks, literalPathspecs } from '../annex/index.js';
import type { Annex } from '../annex/index.js';
import { NULL_SHA, gitLinesZ, gitText, resolveRef, runGit } from '../git/index.js';
import { defaultCommitMessage } from '../sync/index.js';
import { isNotFound } from '../util/index.js';
import type { EventBus } from './events.js';
import { filesOpenForWriting } from './open-for-writing.js';
import type { SelfWrites } from './self-writes.js';
import { QUIET_MS, isDefaultIgnored } from './watcher/index.js';
import type { ChangeBatch } from './watcher/index.js';

/** Files larger than this are checked for writers in /proc; smaller ones by the age of their last write. */
export const OPEN_CHECK_BYTES = 2 ** 20;

/** Paths per git or addFiles call, to stay well inside the command-line limit. */
const CHUNK = 1000;

export interface CommitterOptions {
  readonly bus: EventBus;
  /** Hands deferred paths back for another look after a quiet delay (the watcher's requeue). */
  readonly requeue: (paths: readonly string[]) => void;
  readonly selfWrites?: SelfWrites;
  /** How long a small file must have been left alone; the watcher's quiet delay. */
  readonly quietMs?: number;
  readonly openCheckBytes?: number;
  /** The commit message; default git-annex's "git-annex in DESCRIPTION". */
  readonly message?: string;
  readonly now?: () => number;
}

export interface CommitOutcome {
  /** The new commit; undefined when there was nothing to commit. */
  readonly commit: string | undefined;
  readonly added: readonly string[];
  readonly deleted: readonly string[];
  readonly deferred: readonly string[];
}

export class Committer {
  readonly #annex: Annex;
  readonly #opts: CommitterOptions;
  /** Why each path was last deferred, so a file held open for a long time is reported once, not per look. */
  readonly #deferredFor = new Map<string, string>();
  #realTop: string | undefined;

  constructor(annex: Annex, opts: CommitterOptions) {
    this.#annex = annex;
    this.#opts = opts;
  }

  /** Adds, stages and commits what is ready in `batch`; hands the rest back. Run by one worker at a time. */
  async commit(batch: ChangeBatch): Promise<CommitOutcome> {
    const changed = await this.#changedFiles(batch);
    const stats = new Map<string, Stats>();
    const deleted: string[] = [];
    for (const path of changed) {
      const st = await lstat(this.#annex.repo.absPath(path)).catch((err: unknown) => {
        if (isNotFound(err)) return undefined;
        throw err;
      });
      if (st === undefined) deleted.push(path);
      else if (st.isFile() || st.isSymbolicLink()) stats.set(path, st);
    }
    const deferred = new Map<string, string>();
    const ready = await this.#ready(stats, deferred);

    const added: string[] = [];
    for (let i = 0; i < ready.length; i += CHUNK) {
      const chunk = ready.slice(i, i + CHUNK);
      try {
        await addFiles(this.#annex, {
          paths: chunk,
          onResult: (r) => {
            if (r.ok) added.push(r.path);
            else this.#addFailed(r.path, r.error, stats.get(r.path), deferred);
          },
        });
      } catch (err) {
        // A whole batch failing because files changed under it is still a deferral: all of it is looked
        // at again. Failing with every file unchanged is a real error.
        const done = new Set(added);
        const left = chunk.filter((p) => !done.has(p));
        const changed = new Set(left.filter((p) => !this.#unchanged(p, stats.get(p))));
        if (changed.size === 0) throw err;
        for (const p of left) deferred.set(p, changed.has(p) ? 'changed while hashed' : 'batch failed while files changed');
      }
    }
    for (let i = 0; i < deleted.length; i += CHUNK) {
      // `rm --cached`, not `update-index --remove`: should the file be back already, it is not staged
      // unchecked here but stays for the next batch to add.
      await runGit(this.#annex.repo.git, ['rm', '--cached', '-q', '--ignore-unmatch', '--', ...literalPathspecs(deleted.slice(i, i + CHUNK))]);
    }
    await fixStagedLinks(this.#annex);
    const commit = await this.#commitIndex(added.length, deleted.length);

    for (const p of [...added, ...deleted]) this.#deferredFor.delete(p);
    for (const [path, reason] of deferred) {
      if (this.#deferredFor.get(path) === reason) continue;
      this.#deferredFor.set(path, reason);
      this.#opts.bus.publish({ type: 'file-deferred', path, reason });
    }
    // Added files get one more look too: a locked file was just swapped for a symlink, and the native
    // watcher reports a create and a delete in one breath as nothing (parcel nets them out), so a user's
    // move or delete right after the swap would otherwise go unseen.
    const again = [...deferred.keys(), ...added];
    if (again.length > 0) this.#opts.requeue(again);
    return { commit, added, deleted, deferred: [...deferred.keys()] };
  }

  /** New, modified and deleted files under the batch's paths (the whole tree for a rescan), as git sees them. */
  async #changedFiles(batch: ChangeBatch): Promise<string[]> {
    const specs = batch.rescan ? [[]] : chunks(batch.paths);
    const out = new Set<string>();
    for (const chunk of specs) {
      if (!batch.rescan && chunk.length === 0) continue;
      const listed = await gitLinesZ(this.#annex.repo.git, ['ls-files', '-z', '--others', '--modified', '--exclude-standard', '--', ...literalPathspecs(chunk)]);
      for (const p of listed) if (!isDefaultIgnored(p)) out.add(p);
    }
    const own = this.#opts.selfWrites;
    if (own === undefined) return [...out].sort();
    const mine = await Promise.all([...out].map(async (p) => {
      const st = await lstat(this.#annex.repo.absPath(p)).catch(() => undefined);
      return own.isOwn(p, st && { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino });
    }));
    return [...out].filter((_, i) => !mine[i]).sort();
  }

  /** The files (and symlinks) that may be added now; the others are put in `deferred` with a reason. */
  async #ready(stats: ReadonlyMap<string, Stats>, deferred: Map<string, string>): Promise<string[]> {
    const openCheckBytes = this.#opts.openCheckBytes ?? OPEN_CHECK_BYTES;
    const quietMs = this.#opts.quietMs ?? QUIET_MS;
    const now = (this.#opts.now ?? Date.now)();
    const large = [...stats].filter(([, st]) => st.isFile() && st.size > openCheckBytes);
    // One walk over /proc for the whole batch, and none when it holds no large file.
    const open = large.length > 0 ? await filesOpenForWriting(await this.#top()) : new Set<string>();
    const ready: string[] = [];
    for (const [path, st] of stats) {
      if (!st.isFile()) ready.push(path);
      else if (st.size > openCheckBytes && open.has(`${await this.#top()}/${path}`)) deferred.set(path, 'open for writing');
      else if (st.size <= openCheckBytes && now - st.mtimeMs < quietMs) deferred.set(path, 'still being written');
      else ready.push(path);
    }
    return ready;
  }

  /**
   * addFiles checks each file did not change while it was hashed; a file that did (or vanished) is
   * deferred, not an error. Any other failure is reported and the file left for a later batch.
   */
  #addFailed(path: string, error: string | undefined, before: Stats | undefined, deferred: Map<string, string>): void {
    if (!this.#unchanged(path, before)) deferred.set(path, 'changed while hashed');
    else this.#opts.bus.publish({ type: 'error', part: 'committer', message: `cannot add ${path}: ${error ?? 'failed'}` });
  }

  /** Whether the file at `path` is still the one `before` described. */
  #unchanged(path: string, before: Stats | undefined): boolean {
    let now: Stats | undefined;
    try {
      now = lstatSync(this.#annex.repo.absPath(path), { throwIfNoEntry: false });
    } catch {
      return false; // unreadable now: counts as changed
    }
    return before !== undefined && now !== undefined && now.size === before.size && now.mtimeMs === before.mtimeMs && now.ino === before.ino;
  }

  /** One commit of the index, when it differs from HEAD; returns its id. */
  async #commitIndex(added: number, deleted: number): Promise<string | undefined> {
    const git = this.#annex.repo.git;
    const head = await resolveRef(git, 'HEAD');
    if (head !== undefined) {
      const diff = await runGit(git, ['diff-index', '--cached', '--quiet', head], { okCodes: [1] });
      if (diff.code === 0) return undefined;
    } else if ((await gitLinesZ(git, ['ls-files', '-z'])).length === 0) return undefined;
    const message = this.#opts.message ?? await defaultCommitMessage(this.#annex);
    // Plumbing, not `git commit`: the pre-commit hook's one job (fixing moved links) is done above, in this
    // process, and `git commit` would refresh the index first, which starts the clean filter (a Node process,
    // ~100 ms) for every unlocked file whose stat changed — on the path of every change to the others.
    // The index was just written by add and rm, so the tree is exactly what was staged.
    const tree = await gitText(git, ['write-tree']);
    const commit = await gitText(git, ['commit-tree', tree, ...(head !== undefined ? ['-p', head] : [])], { input: `${message}\n` });
    const branch = (await runGit(git, ['symbolic-ref', '-q', 'HEAD'], { okCodes: [1] })).stdout.toString('utf8').trim();
    await runGit(git, ['update-ref', '-m', `commit: ${message}`, branch === '' ? 'HEAD' : branch, commit, head ?? NULL_SHA]);
    this.#opts.bus.publish({ type: 'committed', commit, added, deleted, message });
    return commit;
  }

  async #top(): Promise<string> {
    this.#realTop ??= await realpath(this.#annex.repo.absPath(''));
    return this.#realTop;
  }
}

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}
