// What `ferry add` looks at and where each file goes: new and modified files under the given paths
// (.gitignore respected), each sorted into annex (locked or unlocked), git, or skip, by the same rules as
// `git annex add` (AddPolicy).
import type { Stats } from 'node:fs';
import { lstat, readlink } from 'node:fs/promises';
import { gitLinesZ, runGit } from '../../git/index.js';
import { isNotFound, mapPool, fileSystemError } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { AddPolicy } from './add-policy.js';
import { literalPathspecs } from './annexed-files.js';
import { keyOfSymlinkTarget, parsePointer } from './pointer.js';

export type Destination =
  | { readonly to: 'annex'; readonly unlocked: boolean }
  | { readonly to: 'git' }
  /** An untracked symlink into the annex (an interrupted add, or one moved in by hand): staged as it is. */
  | { readonly to: 'annex-link'; readonly key: string };

export interface Candidate {
  readonly path: string;
  readonly stat: Stats;
  readonly dest: Destination;
  readonly backend: string | undefined;
}

export interface CandidateOptions {
  readonly unlocked?: boolean;
  readonly forceLarge?: boolean;
  readonly includeIgnored?: boolean;
}

/** Files under `pathspecs` that are new or modified, with where each goes. */
export async function findCandidates(annex: Annex, pathspecs: readonly string[], opts: CandidateOptions): Promise<Candidate[]> {
  const repo = annex.repo;
  const specs = literalPathspecs(pathspecs);
  const untrackedArgs = ['ls-files', '-z', '--others'];
  if (!opts.includeIgnored) untrackedArgs.push('--exclude-standard');
  const [untracked, modified] = await Promise.all([
    gitLinesZ(repo.git, [...untrackedArgs, '--', ...specs]),
    gitLinesZ(repo.git, ['ls-files', '-z', '--modified', '--deduplicate', '--', ...specs]),
  ]);
  const paths = [...new Set([...untracked, ...modified])];
  if (paths.length === 0) return [];

  const stats = await mapPool(paths, 32, async (p) => {
    try {
      return await lstat(repo.absPath(p));
    } catch (err) {
      if (isNotFound(err)) return undefined; // deleted, or vanished since listing: nothing to add
      throw fileSystemError(err, 'look at', p);
    }
  });
  const [attrs, indexed, policy] = await Promise.all([
    checkAttributes(annex, paths),
    indexEntries(annex, modified),
    AddPolicy.load(annex),
  ]);
  const out: Candidate[] = [];
  await mapPool(paths, 32, async (path, i) => {
    const st = stats[i];
    if (!st) return;
    const attr = attrs.get(path);
    const backend = attr?.backend;
    if (st.isSymbolicLink()) {
      const key = keyOfSymlinkTarget(await readlink(repo.absPath(path)));
      out.push({ path, stat: st, backend, dest: key ? { to: 'annex-link', key } : { to: 'git' } });
      return;
    }
    if (!st.isFile()) return;
    const info = { path, size: st.size };
    const large = opts.forceLarge === true || policy.isLarge(info, attr?.largefiles);
    if (!large) {
      out.push({ path, stat: st, backend, dest: { to: 'git' } });
      return;
    }
    // A modified file keeps the form it has in the index; a new one follows --unlocked / annex.addunlocked.
    const inIndex = indexed.get(path);
    const unlocked = inIndex !== undefined ? inIndex === 'unlocked' : opts.unlocked ?? policy.addUnlocked(info);
    out.push({ path, stat: st, backend, dest: { to: 'annex', unlocked } });
  });
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

interface PathAttributes {
  largefiles?: string;
  backend?: string;
}

/** annex.largefiles and annex.backend from .gitattributes, for all paths in one `git check-attr`. */
async function checkAttributes(annex: Annex, paths: readonly string[]): Promise<Map<string, PathAttributes>> {
  const { stdout } = await runGit(annex.repo.git, ['check-attr', '-z', '--stdin', 'annex.largefiles', 'annex.backend'], {
    input: paths.join('\0') + '\0',
  });
  const fields = stdout.toString('utf8').split('\0');
  const out = new Map<string, PathAttributes>();
  for (let i = 0; i + 2 < fields.length; i += 3) {
    const [path, attr, value] = [fields[i]!, fields[i + 1]!, fields[i + 2]!];
    if (value === 'unspecified' || value === 'unset' || value === 'set') continue;
    const entry = out.get(path) ?? {};
    if (attr === 'annex.largefiles') entry.largefiles = value;
    else if (attr === 'annex.backend') entry.backend = value;
    out.set(path, entry);
  }
  return out;
}

/** How each path is annexed in the index now: 'locked' (annex symlink), 'unlocked' (pointer), or absent. */
async function indexEntries(annex: Annex, paths: readonly string[]): Promise<Map<string, 'locked' | 'unlocked' | 'git'>> {
  if (paths.length === 0) return new Map();
  const records = await gitLinesZ(annex.repo.git, ['ls-files', '-z', '-s', '--', ...literalPathspecs(paths)]);
  const out = new Map<string, 'locked' | 'unlocked' | 'git'>();
  const pending: Promise<void>[] = [];
  for (const record of records) {
    const tab = record.indexOf('\t');
    const [mode, sha] = record.slice(0, tab).split(' ') as [string, string];
    const path = record.slice(tab + 1);
    if (mode === '120000') {
      pending.push(annex.repo.catFile.text(sha).then((t) => { out.set(path, t && keyOfSymlinkTarget(t) ? 'locked' : 'git'); }));
    } else {
      pending.push(annex.repo.catFile.get(sha).then((o) => { out.set(path, o && parsePointer(o.content) ? 'unlocked' : 'git'); }));
    }
  }
  await Promise.all(pending);
  return out;
}
