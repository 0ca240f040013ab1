// The commit step of a sync (annex-format.md §4, git-annex's Command/Sync.hs commit): the journal goes into
// the git-annex branch, then `git commit -a -m "git-annex in DESC"` (DESC from uuid.log). Like git-annex it
// records changes to tracked files only (untracked files are not added) and ignores git's "nothing to
// commit". git runs ferry's pre-commit hook, which fixes the links of moved locked files, and ferry's
// clean filter, which annexes modified unlocked files.
import type { Annex } from '../annex/index.js';
import { currentUuidValues, parseUuidLog } from '../annex/index.js';
import { runGit } from '../git/index.js';

export interface CommitOutput {
  readonly stdout: string;
  readonly stderr: string;
}

/** git-annex's default message: "git-annex in " + this repository's description ("unknown" without one). */
export async function defaultCommitMessage(annex: Annex): Promise<string> {
  const descriptions = currentUuidValues(parseUuidLog(await annex.branch.get('uuid.log')));
  return `git-annex in ${descriptions.get(annex.uuid)?.value ?? 'unknown'}`;
}

export async function commitWorkTree(annex: Annex, message: string | undefined): Promise<CommitOutput> {
  await annex.branch.commit();
  const text = message ?? await defaultCommitMessage(annex);
  // Exit status 1 is "nothing to commit"; git-annex ignores the outcome, and shows what git printed.
  const r = await runGit(annex.repo.git, ['commit', '-a', '-m', text], { okCodes: [1, 128] });
  return { stdout: r.stdout.toString('utf8'), stderr: r.stderr };
}
