// The work tree after content moved: unlocked files get their content once it is here, and go back to
// pointer files once it is dropped. Locked files need nothing: their symlinks resolve or dangle by themselves.
import type { Annex } from '../../annex/index.js';
import { emptyUnlockedFiles, fillPointerFiles } from '../../annex/index.js';
import type { TransferItem } from './items.js';

function unlockedFiles(items: readonly TransferItem[]): { path: string; key: string }[] {
  return items.filter((i) => i.unlocked && i.path !== undefined).map((i) => ({ path: i.path!, key: i.key }));
}

export async function fillUnlockedFiles(annex: Annex, items: readonly TransferItem[]): Promise<void> {
  const files = unlockedFiles(items);
  if (files.length > 0) await fillPointerFiles(annex, files);
}

export async function emptyDroppedFiles(annex: Annex, items: readonly TransferItem[]): Promise<void> {
  const files = unlockedFiles(items);
  if (files.length > 0) await emptyUnlockedFiles(annex, files);
}
