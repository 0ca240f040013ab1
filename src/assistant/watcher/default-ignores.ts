// Files the watcher never commits, whatever .gitignore says: editors' swap, lock and backup files and
// other tools' partial downloads. They are written and removed around every save or download; committing
// them would put junk in the history and race their writers. The list is documented in docs/assistant.md
// ("Watching and committing"); keep the two in step.

/** One ignored kind of file: a test on the base name, and who leaves such files. */
interface IgnoreRule {
  readonly test: (name: string) => boolean;
  readonly what: string;
}

export const DEFAULT_IGNORES: readonly IgnoreRule[] = [
  { test: (n) => n.startsWith('.#'), what: 'Emacs lock files (.#name)' },
  { test: (n) => n.length > 1 && n.startsWith('#') && n.endsWith('#'), what: 'Emacs auto-save files (#name#)' },
  { test: (n) => n.length > 1 && n.endsWith('~'), what: 'backup files (name~: Emacs, Vim, gedit, nano)' },
  { test: (n) => /^\..+\.sw[a-z]$/.test(n), what: 'Vim swap files (.name.swp, .swo, .swx, …)' },
  { test: (n) => n === '4913', what: "Vim's write-permission probe (4913)" },
  { test: (n) => n.endsWith('.tmp') || n.endsWith('.TMP'), what: 'temporary files (*.tmp)' },
  { test: (n) => n.startsWith('.~lock.') && n.endsWith('#'), what: 'LibreOffice lock files (.~lock.name#)' },
  { test: (n) => n.startsWith('~$'), what: 'Microsoft Office owner files (~$name)' },
  { test: (n) => n.endsWith('.part') || n.endsWith('.partial'), what: 'partial downloads (*.part: Firefox, wget2; *.partial)' },
  { test: (n) => n.endsWith('.crdownload'), what: 'Chrome/Chromium partial downloads (*.crdownload)' },
  { test: (n) => n.endsWith('.download'), what: 'Safari partial downloads (*.download)' },
  { test: (n) => /^\.goutputstream-/.test(n), what: "GLib's atomic-save temp files (.goutputstream-XXXXXX)" },
];

/** Whether `path` (relative, '/'-separated) is in the default ignore list: by its base name. */
export function isDefaultIgnored(path: string): boolean {
  const name = path.slice(path.lastIndexOf('/') + 1);
  return DEFAULT_IGNORES.some((r) => r.test(name));
}
