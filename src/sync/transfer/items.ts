// What a transfer command works on: the annexed files under the paths given (in argument order, as
// git-annex reports them), or with --all every key this repository has or the git-annex branch knows,
// or one --key.
import type { Annex, AnnexedFile } from '../../annex/index.js';
import { allBranchKeys, annexedFiles, localKeys, parseKey } from '../../annex/index.js';

export interface TransferItem {
  readonly key: string;
  /** The file, when working on files; absent with --all and --key. */
  readonly path?: string;
  /** Whether the file is unlocked (its work-tree file holds content rather than linking to it). */
  readonly unlocked?: boolean;
  readonly size: number | undefined;
}

export interface Selection {
  /** Paths from the top of the work tree (none: everything). */
  readonly paths: readonly string[];
  readonly all?: boolean;
  readonly key?: string;
}

export async function selectItems(annex: Annex, sel: Selection): Promise<TransferItem[]> {
  if (sel.key !== undefined) return [{ key: sel.key, size: parseKey(sel.key)?.size }];
  if (sel.all) {
    const keys = new Set([...await localKeys(annex), ...await allBranchKeys(annex)]);
    return [...keys].sort().map((key) => ({ key, size: parseKey(key)?.size }));
  }
  return (await annexedFiles(annex, sel.paths)).map(itemOf);
}

export function itemOf(f: AnnexedFile): TransferItem {
  return { key: f.key, path: f.path, unlocked: !f.locked, size: parseKey(f.key)?.size };
}
