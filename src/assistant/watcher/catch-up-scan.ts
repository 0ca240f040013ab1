// What changed while the assistant was off: the work tree against the index (new, modified and deleted
// files, .gitignore honoured) and the index against HEAD (changes staged but never committed, e.g. by an
// assistant killed between staging and committing).
import { gitLinesZ, resolveRef } from '../../git/index.js';
import type { GitEnv } from '../../git/index.js';

export async function catchUpScan(git: GitEnv): Promise<string[]> {
  const head = await resolveRef(git, 'HEAD');
  const [tree, staged] = await Promise.all([
    gitLinesZ(git, ['ls-files', '-z', '--modified', '--others', '--deleted', '--exclude-standard']),
    head === undefined ? Promise.resolve([]) : gitLinesZ(git, ['diff-index', '--cached', '--name-only', '-z', '--no-renames', head]),
  ]);
  return [...new Set([...tree, ...staged])].sort();
}
