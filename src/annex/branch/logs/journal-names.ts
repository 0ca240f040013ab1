// Names of files in `.git/annex/journal/` (annex-format §3.4): the branch path with `_` doubled to `__`
// and then `/` replaced by `_`, so the journal is one flat directory. Verified with 10.20230126:
// `d88/08e/WORM-s2-m1795617666--my__fi_le.txt.log` is journaled as
// `d88_08e_WORM-s2-m1795617666--my____fi__le.txt.log`.

/** The journal file name of a git-annex branch path such as `uuid.log` or `e7d/d01/KEY.log`. */
export function journalFileName(branchPath: string): string {
  return branchPath.replaceAll('_', '__').replaceAll('/', '_');
}

/**
 * The branch path of a journal file name, decoded as git-annex's fileJournal does: left to right, `__` is
 * `_`, a lone `_` is `/`, and a lone `_` at the very end is dropped. This inverts journalFileName for every
 * path whose components are non-empty and do not start with `_` (every path git-annex uses); `/_` would
 * come back as `_/` and `//` as `_`, in git-annex too.
 */
export function branchPathOfJournalFile(name: string): string {
  return name.replace(/__|_/g, (m: string, offset: number) => {
    if (m === '__') return '_';
    return offset === name.length - 1 ? '' : '/';
  });
}
