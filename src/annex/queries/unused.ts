// `unused`: content in this repository that no ref and not the index uses (git-annex-unused(1)): every
// annexed file of every ref's tree (by default all refs; annex.used-refspec narrows it) and of the index is
// "used". The numbered list is kept in .git/annex/unused ("N KEY TIMESTAMP" lines, as git-annex writes
// it), which dropunused reads.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gitLinesZ, listRefs, resolveRef } from '../../git/index.js';
import { isNotFound, mapPool, writeFileAtomic } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { currentClock, formatClock } from '../branch/index.js';
import { globToRegExp } from '../policy/expression.js';
import { keyOfSymlinkTarget, MAX_POINTER_SIZE, parsePointer } from '../worktree/pointer.js';
import { localKeys } from './info.js';

/** The treeishes whose files count as used: refs per the refspec ("+refs/heads/*:-refs/tags/old:+HEAD^"). */
async function usedTreeishes(annex: Annex, refspec: string | undefined): Promise<string[]> {
  // Every git-annex branch (ours, synced/git-annex, remotes' copies) holds logs, never annexed files.
  const refs = (await listRefs(annex.repo.git, ['refs/'])).filter((r) => !r.ref.endsWith('/git-annex') && !r.ref.startsWith('refs/ferry/'));
  if (refspec === undefined || refspec === '') return [...new Set(refs.map((r) => r.sha))];
  const chosen = new Set<string>();
  for (const part of refspec.split(':')) {
    const add = !part.startsWith('-');
    const pattern = part.replace(/^[+-]/, '');
    if (pattern.startsWith('refs/')) {
      const re = globToRegExp(pattern);
      for (const r of refs) if (re.test(r.ref)) toggle(chosen, r.sha, add);
    } else {
      const sha = await resolveRef(annex.repo.git, pattern);
      if (sha) toggle(chosen, sha, add);
    }
  }
  return [...chosen];
}

function toggle(set: Set<string>, value: string, add: boolean): void {
  if (add) set.add(value);
  else set.delete(value);
}

/** Keys the annexed files of `treeish` (or of the index, when undefined) use. */
async function keysIn(annex: Annex, treeish: string | undefined, into: Set<string>, seenBlobs: Set<string>): Promise<void> {
  const records = treeish === undefined
    ? await gitLinesZ(annex.repo.git, ['ls-files', '-s', '-z'])
    : await gitLinesZ(annex.repo.git, ['ls-tree', '-r', '-l', '-z', treeish]);
  const blobs: { sha: string; link: boolean }[] = [];
  for (const r of records) {
    const fields = r.slice(0, r.indexOf('\t')).split(/ +/);
    const [mode, second, third, size] = fields as [string, string, string, string | undefined];
    const sha = treeish === undefined ? second : third;
    if (seenBlobs.has(sha)) continue;
    if (mode === '120000') blobs.push({ sha, link: true });
    else if ((mode === '100644' || mode === '100755') && (size === undefined || Number(size) <= MAX_POINTER_SIZE)) blobs.push({ sha, link: false });
    seenBlobs.add(sha);
  }
  await mapPool(blobs, 256, async ({ sha, link }) => {
    const o = await annex.repo.catFile.get(sha);
    if (!o) return;
    const key = link ? keyOfSymlinkTarget(o.content.toString('utf8')) : parsePointer(o.content);
    if (key) into.add(key);
  });
}

/** Keys present here that nothing uses, sorted. */
export async function findUnused(annex: Annex, refspec = annex.repo.config.get('annex.used-refspec')): Promise<string[]> {
  const used = new Set<string>();
  const seenBlobs = new Set<string>();
  for (const t of await usedTreeishes(annex, refspec)) await keysIn(annex, t, used, seenBlobs);
  if (!annex.repo.bare) await keysIn(annex, undefined, used, seenBlobs);
  return (await localKeys(annex)).filter((k) => !used.has(k));
}

function unusedFile(annex: Annex): string {
  return join(annex.repo.layout.annexDir, 'unused');
}

export async function saveUnusedList(annex: Annex, keys: readonly string[]): Promise<void> {
  const stamp = formatClock(currentClock());
  await writeFileAtomic(unusedFile(annex), keys.map((k, i) => `${i + 1} ${k} ${stamp}\n`).join(''));
}

/** The list the last `unused` saved: number → key. */
export async function loadUnusedList(annex: Annex): Promise<Map<number, string>> {
  let text = '';
  try {
    text = await readFile(unusedFile(annex), 'utf8');
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const out = new Map<number, string>();
  for (const line of text.split('\n')) {
    const [n, key] = line.split(' ');
    if (n && key && /^\d+$/.test(n)) out.set(Number(n), key);
  }
  return out;
}
