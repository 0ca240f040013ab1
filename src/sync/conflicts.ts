// Resolving a conflicted merge the git-annex way (annex-format.md §4; Annex/AutoMerge.hs resolveMerge, each
// case checked against git-annex 10.20230126): only conflicts where at least one side is an annexed file are
// resolved, and nothing is lost.
//   - both sides annexed, different keys: the file goes; each version is kept as NAME.variant-XXXX.EXT
//     (locked stays locked, unlocked stays unlocked);
//   - both sides annexed, one key (one locked, one unlocked): the file stays, unlocked wins;
//   - one side annexed, the other deleted it, or has a git file or a directory there: the other side's
//     version stays at the name, the annexed one becomes a variant.
// The index is rewritten, then git itself writes the new entries into the work tree (`checkout-index`, through
// ferry's smudge filter), so unlocked variants get their content from the post-resolution populate step.
import { lstat, rm } from 'node:fs/promises';
import type { Annex } from '../annex/index.js';
import { formatPointer, keyOfSymlinkTarget, parsePointer, symlinkTarget } from '../annex/index.js';
import { gitLinesZ, runGit, updateIndex, writeBlobs } from '../git/index.js';
import type { IndexEntry } from '../git/index.js';
import { variantPath } from './variant.js';

/** annex-format.md §2.4: a blob larger than this is never a pointer. */
const MAX_POINTER_BYTES = 32768;

interface Side {
  readonly mode: string;
  readonly sha: string;
}

interface Conflict {
  readonly path: string;
  readonly us: Side | undefined;
  readonly them: Side | undefined;
  /** git's second name for one side ("f~HEAD"), when it staged the two sides under two names. */
  readonly sibling: string | undefined;
}

/** A new index entry: either an existing blob (a graft) or new blob content (a link target or pointer). */
type NewEntry = { readonly path: string; readonly mode: string } & ({ readonly sha: string } | { readonly content: string });

/**
 * Resolves the conflicts of the merge of `theirs` into HEAD that involve annexed files; returns the
 * conflicted paths it resolved (empty: nothing it can resolve, the merge failed for another reason or on
 * files git holds itself). Leaves the index and work tree ready to commit when nothing else conflicts.
 */
export async function resolveConflicts(annex: Annex, theirs: string): Promise<string[]> {
  const conflicts = await unmergedFiles(annex);
  const removals = new Set<string>();
  const entries: NewEntry[] = [];
  const resolved: string[] = [];
  for (const c of conflicts) {
    const plan = await resolveOne(annex, c, theirs);
    if (plan === undefined) continue;
    resolved.push(c.path);
    removals.add(c.path);
    if (c.sibling !== undefined) removals.add(c.sibling);
    entries.push(...plan);
  }
  if (resolved.length === 0) return [];
  const fresh = entries.filter((e): e is NewEntry & { content: string } => 'content' in e);
  const shas = await writeBlobs(annex.repo.git, fresh.map((e) => e.content));
  const shaOf = new Map(fresh.map((e, i) => [e, shas[i]!]));
  const staged: IndexEntry[] = entries.map((e) => ({ path: e.path, mode: e.mode, sha: 'sha' in e ? e.sha : shaOf.get(e)! }));
  // A mode-0 line drops every stage of a path; the resolved entries then go in at stage 0.
  await updateIndex(annex.repo.git, [...[...removals].map((path) => ({ mode: '0', sha: '', path })), ...staged]);
  // The conflicted names that no entry took over are stale: git left our version, theirs, or a file of
  // conflict markers there. Their content is in the annex (or in git), and the variants name it.
  const kept = new Set(staged.map((e) => e.path));
  for (const path of removals) {
    if (kept.has(path)) continue;
    const abs = annex.repo.absPath(path);
    const st = await lstat(abs).catch(() => undefined);
    if (st !== undefined && !st.isDirectory()) await rm(abs, { force: true });
  }
  await runGit(annex.repo.git, ['checkout-index', '-f', '-u', '-z', '--stdin'], { input: staged.map((e) => `${e.path}\0`).join('') });
  return resolved;
}

async function resolveOne(annex: Annex, c: Conflict, theirs: string): Promise<NewEntry[] | undefined> {
  const [keyUs, keyThem] = await Promise.all([keyOf(annex, c.us), keyOf(annex, c.them)]);
  if (keyUs !== undefined && keyThem !== undefined) {
    if (keyUs !== keyThem) return [variant(c.path, keyUs, c.us!), variant(c.path, keyThem, c.them!)];
    // One content on both sides: keep the name; unlocked wins unless both are locked.
    if (c.us!.mode === '120000' && c.them!.mode === '120000') return [{ path: c.path, mode: '120000', content: symlinkTarget(c.path, keyUs) }];
    const executable = c.us!.mode === '100755' || c.them!.mode === '100755';
    return [{ path: c.path, mode: executable ? '100755' : '100644', content: formatPointer(keyUs) }];
  }
  // One side annexed: the other side's file, files or nothing stays at the name, the annexed one is a variant.
  if (keyUs !== undefined) return [...await graft(annex, theirs, c.path), variant(c.path, keyUs, c.us!)];
  if (keyThem !== undefined) return [...await graft(annex, 'HEAD', c.path), variant(c.path, keyThem, c.them!)];
  return undefined; // neither side annexed: left for the user, as git-annex does
}

function variant(path: string, key: string, side: Side): NewEntry {
  const to = variantPath(path, key);
  if (side.mode === '120000') return { path: to, mode: '120000', content: symlinkTarget(to, key) };
  return { path: to, mode: side.mode, content: formatPointer(key) };
}

/** The entries `ref` has at `path` (a file, or everything under a directory; none when it deleted it). */
async function graft(annex: Annex, ref: string, path: string): Promise<NewEntry[]> {
  const records = await gitLinesZ(annex.repo.git, ['--literal-pathspecs', 'ls-tree', '-z', '-r', '--full-tree', ref, '--', path]);
  return records.map((r) => {
    const tab = r.indexOf('\t');
    const [mode, , sha] = r.slice(0, tab).split(' ') as [string, string, string];
    return { path: r.slice(tab + 1), mode, sha };
  });
}

/** The key an index side names: an annex symlink or a pointer blob; undefined for anything else. */
async function keyOf(annex: Annex, side: Side | undefined): Promise<string | undefined> {
  if (side === undefined) return undefined;
  const cat = annex.repo.catFile;
  if (side.mode === '120000') {
    const target = await cat.text(side.sha);
    return target === undefined ? undefined : keyOfSymlinkTarget(target);
  }
  if (side.mode !== '100644' && side.mode !== '100755') return undefined;
  const info = await cat.info(side.sha);
  if (info === undefined || info.size > MAX_POINTER_BYTES) return undefined;
  const blob = await cat.get(side.sha);
  return blob === undefined ? undefined : parsePointer(blob.content);
}

/**
 * The conflicts in the index (`ls-files --unmerged`: stage 2 is ours, 3 theirs, a missing stage a side that
 * deleted the file). When git recorded the two sides of a type conflict under two names ("f" and "f~HEAD",
 * each with one side), they are paired into one conflict, as git-annex does.
 */
async function unmergedFiles(annex: Annex): Promise<Conflict[]> {
  const records = await gitLinesZ(annex.repo.git, ['ls-files', '--unmerged', '-z']);
  const byPath = new Map<string, { us?: Side; them?: Side }>();
  for (const r of records) {
    const tab = r.indexOf('\t');
    const [mode, sha, stage] = r.slice(0, tab).split(' ') as [string, string, string];
    const path = r.slice(tab + 1);
    const sides = byPath.get(path) ?? {};
    if (stage === '2') sides.us = { mode, sha };
    else if (stage === '3') sides.them = { mode, sha };
    byPath.set(path, sides);
  }
  const paths = [...byPath.keys()].sort();
  const used = new Set<string>();
  const conflicts: Conflict[] = [];
  for (const path of paths) {
    if (used.has(path)) continue;
    const sides = byPath.get(path)!;
    if (sides.us === undefined && sides.them === undefined) continue; // both deleted: git resolves that itself
    let sibling: string | undefined;
    if ((sides.us === undefined) !== (sides.them === undefined)) {
      sibling = paths.find((p) => !used.has(p) && p !== path && p.startsWith(`${path}~`)
        && (byPath.get(p)!.us === undefined) === (sides.us !== undefined)
        && (byPath.get(p)!.them === undefined) === (sides.them !== undefined));
    }
    const other = sibling === undefined ? {} : byPath.get(sibling)!;
    if (sibling !== undefined) used.add(sibling);
    conflicts.push({ path, us: sides.us ?? other.us, them: sides.them ?? other.them, sibling });
  }
  return conflicts;
}
