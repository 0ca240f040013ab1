// git-annex's locks, taken by ferry on the same files (annex-format.md pitfall 8): journal.lck around every
// journal write and branch commit, othertmp.lck shared while temp files are written there. Without the
// native addon ferry still works in a repository only ferry uses, and refuses to write where git-annex has
// been, because there its writes could interleave with git-annex's.
import { access, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { locksAvailable, locksUnavailableReason, withFileLock, withLock } from '../util/index.js';
import { UnsafeWithoutLocksError } from './errors.js';
import type { AnnexLayout } from './layout.js';

/** Files only git-annex creates: their presence means git-annex has worked in this repository. */
const GIT_ANNEX_TRACES = ['keysdb', 'keysdb.lck', 'sentinal', 'gitqueue.lck', 'smudge.log'];

async function gitAnnexHasUsed(layout: AnnexLayout): Promise<boolean> {
  for (const name of GIT_ANNEX_TRACES) {
    try {
      await access(join(layout.annexDir, name));
      return true;
    } catch {
      // absent: keep looking
    }
  }
  return false;
}

/** Runs `fn` holding `lockFile` (exclusive or shared), or explains why it cannot be done safely. */
export async function withAnnexLock<T>(layout: AnnexLayout, lockFile: string, mode: 'shared' | 'exclusive', fn: () => Promise<T>): Promise<T> {
  if (locksAvailable()) {
    await mkdir(dirname(lockFile), { recursive: true });
    return withLock(lockFile, mode, fn, { create: true });
  }
  if (await gitAnnexHasUsed(layout)) throw new UnsafeWithoutLocksError(layout.gitDir, locksUnavailableReason() ?? 'no lock addon');
  // Only ferry writes here: a pid lock file keeps ferry processes apart. Shared locks guard against
  // git-annex's exclusive ones only, so there is nothing to take.
  if (mode === 'shared') return fn();
  await mkdir(dirname(lockFile), { recursive: true });
  return withFileLock(lockFile, fn);
}

/**
 * Fails at once, before anything is written, when a command could not take git-annex's locks safely here
 * (no addon, and git-annex has used this repository).
 */
export async function assertCanLock(layout: AnnexLayout): Promise<void> {
  if (!locksAvailable() && await gitAnnexHasUsed(layout)) {
    throw new UnsafeWithoutLocksError(layout.gitDir, locksUnavailableReason() ?? 'no lock addon');
  }
}

export function withJournalLock<T>(layout: AnnexLayout, fn: () => Promise<T>): Promise<T> {
  return withAnnexLock(layout, layout.journalLock, 'exclusive', fn);
}
