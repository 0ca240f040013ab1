// git-annex's transfer locks (strace of `git annex get` and `git annex copy --to` with a path remote,
// 10.20230126): the receiving repository holds .git/annex/transfer/download/<sender uuid>/lck.<KEYFILE> and
// the sending one .git/annex/transfer/upload/<receiver uuid>/lck.<KEYFILE>, exclusively, for the length of
// the transfer, so two processes never fill the same partial file at once. git-annex creates the lock file
// for each transfer and removes it (still locked) when the transfer ends; so does ferry. Leaving them would
// not only litter: each transfer would grow one directory by a name, and growing a large directory costs a
// file system far more than creating and removing a name in a small one (measured on ext4, docs/NOTES.md).
// git-annex also writes an information file beside each lock (for `git annex info`'s transfer list); that is
// not a lock, and ferry does not write it.
import { mkdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { AnnexLayout } from '../../annex/index.js';
import { keyFile } from '../../annex/index.js';
import type { Lock } from '../../util/index.js';
import {
  FerryError, LockBusyError, debug, errorMessage, fileSystemError, isNotFound, lockExclusive, locksAvailable,
  lockStillNamesPath,
} from '../../util/index.js';

export class TransferInProgressError extends FerryError {
  constructor(key: string) {
    super(`a transfer of ${key} is already in progress`, { data: { key }, hint: 'wait for it to finish, then run the command again' });
  }
}

/** Directories known to exist (one per direction and peer): a mkdir per key would cost a syscall each. */
const madeDirs = new Set<string>();

/**
 * Takes the transfer lock, or throws TransferInProgressError; undefined where locks are unavailable.
 * Releasing it removes the lock file first, as git-annex does.
 */
export async function transferLock(layout: AnnexLayout, direction: 'upload' | 'download', uuid: string, key: string): Promise<Lock | undefined> {
  if (!locksAvailable()) return undefined;
  const dir = join(layout.annexDir, 'transfer', direction, uuid);
  const path = join(dir, `lck.${keyFile(key)}`);
  let lock: Lock;
  try {
    if (!madeDirs.has(dir)) mkdirSync(dir, { recursive: true });
    madeDirs.add(dir);
    lock = await lockExclusive(path, { wait: false, create: true });
  } catch (err) {
    if (err instanceof LockBusyError) throw new TransferInProgressError(key);
    throw fileSystemError(err, 'take the transfer lock', path);
  }
  // A lock won on a file its holder had just removed guards nothing: the transfer is someone else's.
  if (!lockStillNamesPath(lock)) {
    lock.release();
    throw new TransferInProgressError(key);
  }
  let released = false;
  return {
    path: lock.path,
    mode: lock.mode,
    release() {
      if (released) return;
      released = true;
      try {
        unlinkSync(lock.path); // before unlocking: whoever opened it meanwhile sees it gone and backs off
      } catch (err) {
        if (!isNotFound(err)) debug(`removing ${lock.path}: ${errorMessage(err)}`); // a stale name is harmless
      } finally {
        lock.release();
      }
    },
  };
}
