// git-annex's content locks (annex-format.md pitfall 8), taken on the same file git-annex takes:
// objects/XX/YY/KEY/KEY.lck inside the (read-only) key directory. A repository dropping its copy holds its
// own lock exclusively; a repository counting another's copy as proof for a drop holds that copy's lock
// shared until its drop is done. So two repositories can never both drop the last copies: each would need
// the other's lock in the opposite mode. Measured with strace on git-annex 10.20230126: the key directory is
// made writable just long enough to create the lock file, shared locks open it read-only, and the lock file
// is removed (under an exclusive lock) once the object is gone.
import { chmodSync, rmdirSync, unlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Lock } from '../util/index.js';
import { LockBusyError, lockExclusive, lockShared, locksAvailable, systemErrorCode } from '../util/index.js';
import type { AnnexLayout } from './layout.js';

export type ContentLockMode = 'shared' | 'exclusive';

/**
 * Locks the content of `key` in the repository of `layout`, or resolves undefined when another process holds
 * a conflicting lock (never waits: a drop that cannot lock now is refused, as git-annex refuses it).
 * Undefined too when the key directory does not exist (there is no content to lock).
 */
export async function lockContent(layout: AnnexLayout, key: string, mode: ContentLockMode): Promise<Lock | undefined> {
  const lockFile = layout.objectLockPath(key);
  const keyDir = dirname(lockFile);
  try {
    chmodSync(keyDir, 0o755);
  } catch (err) {
    if (systemErrorCode(err) === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return await (mode === 'exclusive' ? lockExclusive : lockShared)(lockFile, { wait: false, create: true });
  } catch (err) {
    if (err instanceof LockBusyError) return undefined;
    throw err;
  } finally {
    chmodSync(keyDir, 0o555);
  }
}

/** True when content locks mean something here (the fcntl addon is loaded). */
export function contentLocksWork(): boolean {
  return locksAvailable();
}

/**
 * After the object is gone: removes KEY.lck (only if nobody else holds it, checked with an exclusive lock)
 * and the empty key and hash directories, as git-annex cleans up.
 */
export async function removeContentLockFile(layout: AnnexLayout, key: string): Promise<void> {
  const lockFile = layout.objectLockPath(key);
  const keyDir = dirname(lockFile);
  const lock = await lockContent(layout, key, 'exclusive');
  if (!lock) return; // someone still holds it (counting a copy elsewhere): leave the file
  try {
    chmodSync(keyDir, 0o755);
    unlinkSync(lockFile);
  } catch (err) {
    if (systemErrorCode(err) !== 'ENOENT') throw err;
  } finally {
    lock.release();
  }
  for (let d = keyDir, i = 0; i < 3; d = dirname(d), i++) {
    try {
      rmdirSync(d);
    } catch {
      return; // not empty (another object, or the object came back): stop climbing
    }
  }
}
