// unlock turns locked files (symlinks) into ordinary files holding a copy of the content, staged as
// pointers; lock turns unlocked files back into symlinks. Like git-annex, lock refuses a file whose
// content was changed since it was added, because locking would throw the change away.
import type { Stats } from 'node:fs';
import { lstat, mkdir, rename, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { updateIndex, writeBlobs } from '../../git/index.js';
import type { IndexEntry } from '../../git/index.js';
import { DurableBatch, FerryError, errorMessage, fileSystemError, mapPool, writeFileAtomic } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { locationLogPath, presenceChange } from '../branch/index.js';
import { parseKey, verifyKey } from '../keys/index.js';
import { withAnnexLock } from '../locking.js';
import { annexedFiles } from './annexed-files.js';
import type { AnnexedFile } from './annexed-files.js';
import { InodeCache } from './inode-cache.js';
import { formatPointer, symlinkTarget } from './pointer.js';
import { isPointerFileFor, writeContent } from './populate.js';

export interface LockResult {
  readonly path: string;
  readonly key: string;
  readonly ok: boolean;
  readonly error?: string;
}

export class ModifiedFileError extends FerryError {
  constructor(path: string) {
    super(`${path} has changes that locking would discard`, {
      data: { path }, hint: `run 'ferry add ${path}' first to keep them`,
    });
  }
}

export async function unlockFiles(annex: Annex, paths: readonly string[], onResult?: (r: LockResult) => void): Promise<LockResult[]> {
  const files = (await annexedFiles(annex, paths)).filter((f) => f.locked);
  const inodes = new InodeCache(annex.repo.layout.ferryDir);
  const results = await mapPool(files, 8, async (f, n): Promise<LockResult & { stat?: Stats }> => {
    const abs = annex.repo.absPath(f.path);
    try {
      if (await annex.objects.has(f.key)) await writeContent(annex, f.key, abs, 0o644, `ferry-unlock-${process.pid}-${n}`);
      else await writeFileAtomic(abs, formatPointer(f.key), { tmpDir: annex.repo.layout.otherTmpDir });
      return { path: f.path, key: f.key, ok: true, stat: await lstat(abs) };
    } catch (err) {
      return { path: f.path, key: f.key, ok: false, error: errorMessage(err) };
    }
  });
  const ok = results.filter((r) => r.ok);
  const shas = await writeBlobs(annex.repo.git, ok.map((r) => formatPointer(r.key)));
  await stage(annex, ok.map((r, i) => ({ mode: '100644', sha: shas[i]!, path: r.path })));
  await inodes.record(ok.filter((r) => r.stat).map((r) => ({ path: r.path, key: r.key, stat: r.stat! })));
  for (const r of results) onResult?.({ path: r.path, key: r.key, ok: r.ok, error: r.error });
  return results;
}

export async function lockFiles(annex: Annex, paths: readonly string[], onResult?: (r: LockResult) => void): Promise<LockResult[]> {
  const files = (await annexedFiles(annex, paths)).filter((f) => !f.locked);
  const inodes = new InodeCache(annex.repo.layout.ferryDir);
  const layout = annex.repo.layout;
  const durable = new DurableBatch();
  const results = await mapPool(files, 8, async (f, n): Promise<LockResult> => {
    try {
      await lockOne(annex, f, inodes, durable, join(layout.otherTmpDir, `ferry-lock-${process.pid}-${n}`));
      return { path: f.path, key: f.key, ok: true };
    } catch (err) {
      return { path: f.path, key: f.key, ok: false, error: errorMessage(err) };
    }
  });
  const ok = results.filter((r) => r.ok);
  const targets = ok.map((r) => symlinkTarget(r.path, r.key));
  const shas = await writeBlobs(annex.repo.git, targets);
  await stage(annex, ok.map((r, i) => ({ mode: '120000', sha: shas[i]!, path: r.path })));
  await annex.branch.commit('update');
  for (const r of results) onResult?.(r);
  return results;
}

async function lockOne(annex: Annex, f: AnnexedFile, inodes: InodeCache, durable: DurableBatch, tmp: string): Promise<void> {
  const abs = annex.repo.absPath(f.path);
  const st = await lstat(abs).catch(() => undefined);
  const pointerOnly = st === undefined || await isPointerFileFor(abs, f.key);
  if (!pointerOnly) {
    // The work-tree file holds content: it must still be the content of the key.
    const cached = await inodes.lookup(f.path, st);
    const key = parseKey(f.key);
    if (cached !== f.key && !(key && await verifyKey(key, abs))) throw new ModifiedFileError(f.path);
    if (!(await annex.objects.has(f.key))) {
      await annex.objects.copyIn(f.key, abs, durable);
      await durable.flush(annex.repo.layout.objectsDir);
      await annex.branch.change(new Map([[locationLogPath(f.key), presenceChange(annex.uuid, true)]]));
    }
  }
  try {
    await mkdir(dirname(tmp), { recursive: true });
    await rm(tmp, { force: true });
    await symlink(symlinkTarget(f.path, f.key), tmp);
    await rename(tmp, abs);
  } catch (err) {
    await rm(tmp, { force: true });
    throw fileSystemError(err, 'lock', abs);
  }
}

async function stage(annex: Annex, entries: readonly IndexEntry[]): Promise<void> {
  const layout = annex.repo.layout;
  await withAnnexLock(layout, layout.gitQueueLock, 'exclusive', () => updateIndex(annex.repo.git, entries));
}
