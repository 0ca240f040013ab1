// `unused`: content in this repository that no ref and not the index uses (git-annex-unused(1)): every
// annexed file of every ref's tree (by default all refs; annex.used-refspec narrows it) and of the index is
// "used". The numbered list is kept in .git/annex/unused ("N KEY TIMESTAMP" lines, as git-annex writes
// it, Logs/Unused.hs), which dropunused reads. TIMESTAMP is when the key was first found unused: a key
// already listed keeps its time on every rewrite, which annex.expireunused counts from.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gitLinesZ, listRefs, resolveRef } from '../../git/index.js';
import { isNotFound, mapPool, writeFileAtomic } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { formatClock, parseClock, wallClockNs } from '../branch/index.js';
import type { Clock } from '../branch/index.js';
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

/** A key of the unused log: its number for dropunused and when it was first found unused (old logs: none). */
export interface UnusedEntry {
  readonly n: number;
  readonly since?: Clock;
}

/** The unused log, key → entry; lines that do not parse are skipped, a missing file is an empty log. */
export async function readUnusedEntries(annex: Annex): Promise<Map<string, UnusedEntry>> {
  let text = '';
  try {
    text = await readFile(unusedFile(annex), 'utf8');
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
  const out = new Map<string, UnusedEntry>();
  for (const line of text.split('\n')) {
    const words = line.split(' ');
    if (words.length < 2 || !/^\d+$/.test(words[0]!)) continue;
    const since = words.length > 2 ? parseClock(words[words.length - 1]!) : undefined;
    const key = words.slice(1, since === undefined ? undefined : -1).join(' ');
    out.set(key, since === undefined ? { n: Number(words[0]) } : { n: Number(words[0]), since });
  }
  return out;
}

/**
 * Writes the unused log for `keys`: numbered 1..n in order (what `unused` shows), or with `keepNumbers`
 * each key keeps the number it had and new keys get numbers after the largest in the log, so the numbers
 * of the user's last listing keep meaning their keys while those stay unused. Timestamps are preserved (git-annex's
 * preserveTimestamps); new keys get `now`. Returns the entries.
 */
export async function saveUnusedList(annex: Annex, keys: readonly string[],
  opts: { now?: Clock; keepNumbers?: boolean } = {}): Promise<Map<string, UnusedEntry>> {
  const old = await readUnusedEntries(annex);
  // git-annex stamps with getPOSIXTime, the wall clock (not GIT_ANNEX_VECTOR_CLOCK).
  const now = opts.now ?? wallClockNs() * 1000n;
  const entries = new Map<string, UnusedEntry>();
  // New numbers start past every old one, even those of keys gone now, so none is given to another key.
  let next = opts.keepNumbers ? [...old.values()].reduce((max, e) => Math.max(max, e.n), 0) : 0;
  for (const k of keys) {
    const n = opts.keepNumbers ? old.get(k)?.n ?? ++next : ++next;
    entries.set(k, { n, since: old.has(k) ? old.get(k)!.since : now });
  }
  const line = (k: string, e: UnusedEntry) => `${e.n} ${k}${e.since === undefined ? '' : ` ${formatClock(e.since)}`}\n`;
  const text = [...entries].sort((a, b) => a[1].n - b[1].n).map(([k, e]) => line(k, e)).join('');
  const oldText = [...old].sort((a, b) => a[1].n - b[1].n).map(([k, e]) => line(k, e)).join('');
  // `unused` always writes, as git-annex does; a periodic refresh only when something changed.
  if (text !== oldText || !opts.keepNumbers) await writeFileAtomic(unusedFile(annex), text);
  return entries;
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
