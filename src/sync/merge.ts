// Merging one ref into the current branch as `git annex sync` does (annex-format.md §4; Annex/AutoMerge.hs):
// `git merge --no-edit REF`, and when that stops on conflicts involving annexed files, the git-annex
// resolution (conflicts.ts) committed as "git-annex automatic merge conflict fix". Afterwards unlocked files
// whose content is here are filled in, in this process (the post-merge hook's part; git then runs only the
// user's own post-merge hook), after a resolved conflict too.
import type { Annex } from '../annex/index.js';
import { populateSmudged } from '../annex/index.js';
import { gitLinesZ, runGit } from '../git/index.js';
import { checkpoint } from '../util/index.js';
import { resolveConflicts } from './conflicts.js';

export const CONFLICT_FIX_MESSAGE = 'git-annex automatic merge conflict fix';

export interface MergeOptions {
  /** Pass --allow-unrelated-histories (git-annex's option of that name); otherwise git refuses them. */
  readonly allowUnrelatedHistories: boolean;
  /** Resolve conflicts on annexed files (annex.resolvemerge, default true). */
  readonly resolveConflicts: boolean;
}

export interface MergeResult {
  readonly ok: boolean;
  /** What git printed (merge, then the resolution's commit), to show as git-annex does. */
  readonly stdout: string;
  readonly stderr: string;
  /** Conflicted paths that were resolved into variants. */
  readonly resolved: readonly string[];
  /** One line, when !ok. */
  readonly error?: string;
}

export async function mergeRef(annex: Annex, ref: string, opts: MergeOptions): Promise<MergeResult> {
  const git = annex.repo.git;
  // As git-annex: with automatic resolution, directory renames would give files in a renamed directory
  // variant names, so they are off unless the user chose a merge.directoryRenames setting.
  const pre = opts.resolveConflicts && annex.repo.config.get('merge.directoryRenames') === undefined
    ? ['-c', 'merge.directoryRenames=false'] : [];
  // Peers that sync at once merge each other's heads crosswise, and git's default strategy merges the many
  // merge bases that leaves recursively: exponential in the criss-crosses (4 peers × 20 concurrent rounds
  // took minutes and gigabytes per merge). With more than one base, the resolve strategy takes them all as
  // ancestors of one 3-way merge instead (no rename detection then; conflicts are resolved as usual).
  const bases = (await runGit(git, ['merge-base', '--all', 'HEAD', ref], { okCodes: [1, 128] })).stdout.toString('utf8').split('\n').filter(Boolean);
  const strategy = bases.length > 1 ? ['-s', 'resolve'] : [];
  const args = [...pre, 'merge', '--no-edit', ...strategy, ...(opts.allowUnrelatedHistories ? ['--allow-unrelated-histories'] : []), ref];
  // The post-merge hook's part (filling unlocked files whose content is here) is done here, in this process,
  // so a merge starts no Node for it; the hook still runs the user's own post-merge hook, before this fill.
  const merged = await runGit(git, args, { okCodes: [1, 2, 128], env: { FERRY_IN_PROCESS_HOOKS: 'post-merge' } });
  let stdout = merged.stdout.toString('utf8');
  let stderr = merged.stderr;
  if (merged.code === 0) {
    await populateSmudged(annex);
    return { ok: true, stdout, stderr, resolved: [] };
  }

  const conflicted = await unmergedPaths(annex);
  if (conflicted.length === 0) {
    const line = firstLine(stderr) ?? firstLine(stdout) ?? `git merge exited with status ${merged.code}`;
    const error = /unrelated histories/.test(line) ? `${line} (sync with --allow-unrelated-histories to merge them)` : line;
    return { ok: false, stdout, stderr, resolved: [], error };
  }
  checkpoint('merge-conflicted', ref);
  const resolved = opts.resolveConflicts ? await resolveConflicts(annex, ref) : [];
  checkpoint('merge-resolved', String(resolved.length));
  let commitError: string | undefined;
  if (resolved.length > 0) {
    // --no-verify as git-annex: the resolution stages exactly what it means to commit.
    const c = await runGit(git, ['commit', '--no-verify', '-m', CONFLICT_FIX_MESSAGE], { okCodes: [1, 128] });
    stdout += c.stdout.toString('utf8');
    stderr += c.stderr;
    if (c.code !== 0) commitError = firstLine(c.stderr) ?? firstLine(c.stdout.toString('utf8')) ?? 'git commit failed';
  }
  // git's post-merge hook does not run after a conflict: fill in unlocked files checked out meanwhile.
  await populateSmudged(annex);
  if (resolved.length > 0 && commitError === undefined) return { ok: true, stdout, stderr, resolved };
  const left = await unmergedPaths(annex);
  const error = left.length === 0 ? `could not commit the merge: ${commitError ?? 'unknown reason'}`
    : !opts.resolveConflicts ? `merge conflict in ${left.join(', ')} (automatic resolution is off: annex.resolvemerge=false)`
      : `merge conflict in ${left.join(', ')}: not annexed files, so resolve them by hand and commit`;
  return { ok: false, stdout, stderr, resolved, error };
}

/**
 * A merge left in progress (a sync killed before it resolved its conflicts, or a user's `git merge`): its
 * conflicts on annexed files are resolved into variants as a sync would have done, and the rest is left to
 * the commit step, which commits the work tree as git-annex does. Without this, `git commit -a` would annex
 * the conflict markers git wrote into a pointer file (what git-annex 10.20230126 does). Returns the paths
 * resolved; none when no merge is in progress.
 */
export async function resolveInterruptedMerge(annex: Annex): Promise<string[]> {
  const inProgress = await runGit(annex.repo.git, ['rev-parse', '-q', '--verify', 'MERGE_HEAD'], { okCodes: [1] });
  if (inProgress.code !== 0 || (await unmergedPaths(annex)).length === 0) return [];
  const resolved = await resolveConflicts(annex, 'MERGE_HEAD');
  if (resolved.length > 0) await populateSmudged(annex);
  return resolved;
}

async function unmergedPaths(annex: Annex): Promise<string[]> {
  const paths = (await gitLinesZ(annex.repo.git, ['diff', '--name-only', '--diff-filter=U', '-z'])).filter((p) => p !== '');
  return [...new Set(paths)];
}

function firstLine(text: string): string | undefined {
  const line = text.split('\n').find((l) => l.trim() !== '');
  return line?.trim().replace(/^(fatal|error):\s*/, '');
}
