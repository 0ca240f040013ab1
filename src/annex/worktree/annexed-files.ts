// The annexed files of the index (or of a tree): locked ones are annex symlinks, unlocked ones pointer
// blobs. One `ls-files`/`ls-tree` and pipelined cat-file reads, however many files.
import { gitLinesZ, runGit } from '../../git/index.js';
import { mapPool } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { keyOfSymlinkTarget, MAX_POINTER_SIZE, parsePointer } from './pointer.js';

export interface AnnexedFile {
  /** Path from the top of the work tree. */
  readonly path: string;
  readonly key: string;
  readonly locked: boolean;
  /** The index entry's mode and blob. */
  readonly mode: string;
  readonly sha: string;
}


export function literalPathspecs(paths: readonly string[]): string[] {
  return paths.length === 0 ? ['.'] : paths.map((p) => (p === '' || p === '.' ? '.' : `:(literal)${p}`));
}

/** Annexed files under `paths` (none: the whole tree) in the index, in path order. */
export async function annexedFiles(annex: Annex, paths: readonly string[] = []): Promise<AnnexedFile[]> {
  const records = await gitLinesZ(annex.repo.git, ['ls-files', '-s', '-z', '--', ...literalPathspecs(paths)]);
  const entries = records.map((r) => {
    const tab = r.indexOf('\t');
    const [mode, sha, stage] = r.slice(0, tab).split(' ') as [string, string, string];
    return { mode, sha, stage, path: r.slice(tab + 1) };
  }).filter((e) => e.stage === '0' && (e.mode === '120000' || e.mode === '100644' || e.mode === '100755'));
  const cat = annex.repo.catFile;
  const found = await mapPool(entries, 256, async (e): Promise<AnnexedFile | undefined> => {
    if (e.mode === '120000') {
      const target = await cat.text(e.sha);
      const key = target === undefined ? undefined : keyOfSymlinkTarget(target);
      return key ? { path: e.path, key, locked: true, mode: e.mode, sha: e.sha } : undefined;
    }
    const info = await cat.info(e.sha);
    if (!info || info.size > MAX_POINTER_SIZE) return undefined;
    const blob = await cat.get(e.sha);
    const key = blob ? parsePointer(blob.content) : undefined;
    return key ? { path: e.path, key, locked: false, mode: e.mode, sha: e.sha } : undefined;
  });
  return found.filter((f): f is AnnexedFile => f !== undefined);
}

/** Which of `paths` match nothing in the index (git-annex reports those as "did not match any file"). */
export async function unmatchedPaths(annex: Annex, paths: readonly string[]): Promise<string[]> {
  const results = await Promise.all(paths.map(async (p) => {
    const r = await runGit(annex.repo.git, ['ls-files', '-z', '--error-unmatch', '--', ...literalPathspecs([p])], { okCodes: [1] });
    return r.code === 0 ? undefined : p;
  }));
  return results.filter((p): p is string => p !== undefined);
}
