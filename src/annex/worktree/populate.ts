// Putting content into unlocked files and taking it out: `ferry smudge --update` after a checkout or merge
// (git's smudge never writes content, annex-format.md §2.5), and unlock. The work-tree file is always
// replaced in one rename, never written in place, so a reader sees the pointer or the content.
import { constants } from 'node:fs';
import { copyFile, link, lstat, mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runGit } from '../../git/index.js';
import { fileSystemError, mapPool, writeFileAtomic } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { ContentMissingError } from '../errors.js';
import { parseKey, verifyKey } from '../keys/index.js';
import { withAnnexLock } from '../locking.js';
import { InodeCache } from './inode-cache.js';
import { formatPointer, MAX_POINTER_SIZE, parsePointer } from './pointer.js';
import { SmudgeLog } from './smudge-log.js';


/** Replaces `abs` with the content of `key` (copy, reflink, or with annex.thin a hard link). */
export async function writeContent(annex: Annex, key: string, abs: string, mode: number, tmpName: string): Promise<void> {
  const layout = annex.repo.layout;
  const object = await annex.objects.find(key);
  if (!object) throw new ContentMissingError(key);
  await withAnnexLock(layout, layout.otherTmpLock, 'shared', async () => {
    await mkdir(layout.otherTmpDir, { recursive: true });
    const tmp = join(layout.otherTmpDir, tmpName);
    try {
      await rm(tmp, { force: true });
      if (annex.repo.config.bool('annex.thin', false)) await link(object, tmp);
      else {
        await copyFile(object, tmp, constants.COPYFILE_FICLONE);
        const fh = await open(tmp, 'r+');
        await fh.chmod((mode & 0o777) | 0o200).finally(() => fh.close());
      }
      await rename(tmp, abs);
    } catch (err) {
      await rm(tmp, { force: true });
      throw fileSystemError(err, 'write', abs);
    }
  });
}

/** True when the file at `abs` is (still) exactly a pointer to `key`. */
export async function isPointerFileFor(abs: string, key: string): Promise<boolean> {
  let fh;
  try {
    fh = await open(abs, 'r');
  } catch {
    return false; // gone or unreadable: nothing to fill in
  }
  try {
    const st = await fh.stat();
    if (!st.isFile() || st.size > MAX_POINTER_SIZE) return false;
    const buf = Buffer.alloc(st.size);
    await fh.read(buf, 0, st.size, 0);
    return parsePointer(buf) === key;
  } finally {
    await fh.close();
  }
}

/**
 * Fills in unlocked files git checked out as pointers whose content is here, then refreshes git's index
 * so `git status` stays clean (ferry's clean filter answers those files from the inode cache).
 */
export async function populateSmudged(annex: Annex): Promise<string[]> {
  const noted = await new SmudgeLog(annex.repo.layout.ferryDir).take();
  return fillPointerFiles(annex, [...noted].map(([path, key]) => ({ path, key })));
}

/**
 * Puts the content of each key into its file where the file is still exactly the pointer and the content
 * is here (a file the user changed meanwhile is left alone), records the inode cache and re-stages those
 * paths. Returns the paths filled.
 */
export async function fillPointerFiles(annex: Annex, files: readonly { path: string; key: string }[]): Promise<string[]> {
  const inodes = new InodeCache(annex.repo.layout.ferryDir);
  const done = (await mapPool(files, 8, async ({ path, key }, n) => {
    const abs = annex.repo.absPath(path);
    if (!(await annex.objects.has(key)) || !(await isPointerFileFor(abs, key))) return undefined;
    const st = await lstat(abs);
    await writeContent(annex, key, abs, st.mode, `ferry-populate-${process.pid}-${n}`);
    return { path, key, stat: await lstat(abs) };
  })).filter((x): x is NonNullable<typeof x> => x !== undefined);
  await inodes.record(done);
  await refreshIndex(annex, done.map((d) => d.path));
  return done.map((d) => d.path);
}

/**
 * Re-stages paths whose work-tree file changed form but not content: git cleans them again (ferry's filter
 * answers from the inode cache), stages the same pointer and records the new stat, so `git status` is clean.
 * Only these paths are touched, never a refresh of the whole index.
 */
export async function refreshIndex(annex: Annex, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  const layout = annex.repo.layout;
  await withAnnexLock(layout, layout.gitQueueLock, 'exclusive', () =>
    runGit(annex.repo.git, ['update-index', '-z', '--stdin'], { input: paths.join('\0') + '\0' }));
}

/**
 * After a drop: unlocked files that still hold exactly the dropped content go back to being pointer files
 * (as git-annex's drop leaves them); a file changed since is left alone. Returns the paths changed.
 */
export async function emptyUnlockedFiles(annex: Annex, files: readonly { path: string; key: string }[]): Promise<string[]> {
  const inodes = new InodeCache(annex.repo.layout.ferryDir);
  const layout = annex.repo.layout;
  const done = (await mapPool(files, 8, async ({ path, key }) => {
    const abs = annex.repo.absPath(path);
    const st = await lstat(abs).catch(() => undefined);
    if (!st?.isFile() || await isPointerFileFor(abs, key)) return undefined;
    const parsed = parseKey(key);
    const unchanged = (await inodes.lookup(path, st)) === key || (parsed !== undefined && await verifyKey(parsed, abs));
    if (!unchanged) return undefined;
    await mkdir(layout.otherTmpDir, { recursive: true });
    await writeFileAtomic(abs, formatPointer(key), { tmpDir: layout.otherTmpDir, mode: st.mode & 0o777 });
    return path;
  })).filter((p): p is string => p !== undefined);
  await refreshIndex(annex, done);
  return done;
}
