// Which changed paths the committer should look at: not .git, not the default ignore list, not what
// .gitignore (and .git/info/exclude, core.excludesFile) excludes — git is asked, so its rules apply
// exactly — and not what ferry itself is writing (SelfWrites).
import { lstatSync } from 'node:fs';
import { runGit } from '../../git/index.js';
import type { GitEnv } from '../../git/index.js';
import type { FileStamp, SelfWrites } from '../self-writes.js';
import { isDefaultIgnored } from './default-ignores.js';

/** Paths per `git check-ignore` run. */
const CHECK_BATCH = 5000;

/** Whether `path` is inside the repository's .git (never a user's file). */
export function isGitInternal(path: string): boolean {
  return path === '.git' || path.startsWith('.git/');
}

/** The cheap tests, made as each event arrives: .git, the default list, and ferry's own writes. */
export function ignoredOnArrival(path: string, absPath: string, selfWrites: SelfWrites | undefined): boolean {
  if (isGitInternal(path) || isDefaultIgnored(path)) return true;
  return selfWrites?.isOwn(path, stampOf(absPath)) ?? false;
}

function stampOf(absPath: string): FileStamp | undefined {
  const st = lstatSync(absPath, { throwIfNoEntry: false });
  return st && { size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
}

/** `paths` without those git ignores (tracked files are never ignored, as in git). */
export async function withoutGitIgnored(git: GitEnv, paths: readonly string[]): Promise<string[]> {
  const ignored = new Set<string>();
  for (let i = 0; i < paths.length; i += CHECK_BATCH) {
    const chunk = paths.slice(i, i + CHECK_BATCH);
    // Exit status 1: none of them is ignored.
    const r = await runGit(git, ['check-ignore', '-z', '--stdin'], { input: chunk.join('\0') + '\0', okCodes: [1] });
    for (const p of r.stdout.toString('utf8').split('\0')) if (p !== '') ignored.add(p);
  }
  return paths.filter((p) => !ignored.has(p));
}
