// Running the user's own hook after ferry's part. ferry's git commands point core.hooksPath at ferry's
// hook directory so that no other tool's hook runs (git-annex's would start git-annex); each of those hooks
// comes here, and the user's hook of the same name then runs as git would have run it. Hooks that git-annex
// or ferry installed are skipped: ferry has just done their job.
import { spawn } from 'node:child_process';
import { access, constants, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FERRY_HOOK_MARK, GIT_ANNEX_HOOK_MARK } from '../init.js';

/** Runs `dir/name args` if it is an executable hook of the user's; resolves to its exit status (0 if none). */
export async function runUserHook(dir: string, name: string, args: readonly string[]): Promise<number> {
  const file = join(dir, name);
  try {
    await access(file, constants.X_OK);
  } catch {
    return 0; // no such hook, or not executable: git would skip it too
  }
  const text = await readFile(file, 'latin1').catch(() => '');
  if (text.includes(GIT_ANNEX_HOOK_MARK) || text.includes(FERRY_HOOK_MARK)) return 0;
  return new Promise((resolve, reject) => {
    const child = spawn(file, [...args], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}
