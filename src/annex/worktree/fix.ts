// Locked files are relative symlinks, so moving one to another directory breaks its link. Like git-annex's
// pre-commit hook and `git annex fix`, this rewrites such links (in the work tree and the index) to point
// into .git/annex/objects from where the file now is (annex-format.md §2.3).
import { createHash } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { lstat, readlink, rename, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EMPTY_TREE, gitLinesZ, resolveRef, updateIndex, writeBlobs } from '../../git/index.js';
import { fileSystemError, mapPool } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { withAnnexLock } from '../locking.js';
import { annexedFiles } from './annexed-files.js';
import { keyOfSymlinkTarget, symlinkTarget } from './pointer.js';

interface LinkEntry {
  readonly path: string;
  readonly sha: string;
}

/** Fixes the links of locked files staged for the next commit (the pre-commit hook). */
export async function fixStagedLinks(annex: Annex): Promise<string[]> {
  const head = (await resolveRef(annex.repo.git, 'HEAD')) ?? EMPTY_TREE;
  const records = await gitLinesZ(annex.repo.git, ['diff-index', '--cached', '-z', '--no-renames', '--diff-filter=ACMRT', head]);
  const links: LinkEntry[] = [];
  for (let i = 0; i + 1 < records.length; i += 2) {
    const [, newMode, , newSha] = records[i]!.slice(1).split(' ') as [string, string, string, string];
    if (newMode === '120000') links.push({ path: records[i + 1]!, sha: newSha });
  }
  return fixLinks(annex, links);
}

/** Fixes the links of the locked files under `paths` (`ferry fix`). */
export async function fixPaths(annex: Annex, paths: readonly string[]): Promise<string[]> {
  const files = (await annexedFiles(annex, paths)).filter((f) => f.locked);
  return fixLinks(annex, files);
}

/**
 * True when the work tree already holds exactly the staged link and it is right for its place: then the
 * blob need not be read. (After `ferry add` of 10,000 files this spares the pre-commit hook reading
 * 10,000 blobs; a link git stored under another object format simply takes the slow path.)
 */
function linkIsRight(annex: Annex, l: LinkEntry): boolean {
  let target: string;
  try {
    target = readlinkSync(annex.repo.absPath(l.path));
  } catch {
    return false; // not a symlink in the work tree: look at the staged blob
  }
  const key = keyOfSymlinkTarget(target);
  if (key === undefined || target !== symlinkTarget(l.path, key)) return false;
  const bytes = Buffer.from(target, 'utf8');
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex') === l.sha;
}

async function fixLinks(annex: Annex, links: readonly LinkEntry[]): Promise<string[]> {
  const cat = annex.repo.catFile;
  const suspects = links.filter((l) => !linkIsRight(annex, l));
  const wrong = (await mapPool(suspects, 256, async (l) => {
    const target = await cat.text(l.sha);
    const key = target === undefined ? undefined : keyOfSymlinkTarget(target);
    if (key === undefined) return undefined;
    const expected = symlinkTarget(l.path, key);
    return target === expected ? undefined : { path: l.path, expected };
  })).filter((x): x is { path: string; expected: string } => x !== undefined);
  if (wrong.length === 0) return [];
  await mapPool(wrong, 16, async (w) => {
    const abs = annex.repo.absPath(w.path);
    const st = await lstat(abs).catch(() => undefined);
    // Only a link that is still an annex link is rewritten; anything else is the user's change to keep.
    if (!st?.isSymbolicLink() || keyOfSymlinkTarget(await readlink(abs)) === undefined) return;
    const tmp = join(dirname(abs), `.ferry-fix-${process.pid}-${Math.random().toString(36).slice(2)}`);
    try {
      await symlink(w.expected, tmp);
      await rename(tmp, abs);
    } catch (err) {
      await rm(tmp, { force: true });
      throw fileSystemError(err, 'fix the link', abs);
    }
  });
  const shas = await writeBlobs(annex.repo.git, wrong.map((w) => w.expected));
  const layout = annex.repo.layout;
  await withAnnexLock(layout, layout.gitQueueLock, 'exclusive', () =>
    updateIndex(annex.repo.git, wrong.map((w, i) => ({ mode: '120000', sha: shas[i]!, path: w.path }))));
  return wrong.map((w) => w.path);
}
