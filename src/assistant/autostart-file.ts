// Start at login without systemd: git-annex's autostart list, `$XDG_CONFIG_HOME/git-annex/autostart`
// (git-annex Config/Files/AutoStart.hs): one absolute repository path a line. Read as git-annex reads it —
// a trailing slash dropped, relative paths ignored (old git-annex versions wrote "."), duplicates once —
// and rewritten whole by temp file and rename, only when it changes. What runs the list at login is an XDG
// autostart entry (the Desktop Application Autostart Specification), as git-annex's own is.
import { mkdir, readFile, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { isNotFound, writeFileAtomic } from '../util/index.js';

/** The user's config directory: $XDG_CONFIG_HOME, else ~/.config (XDG Base Directory Specification). */
export function configHome(env: NodeJS.ProcessEnv): string {
  const xdg = env.XDG_CONFIG_HOME;
  if (xdg && isAbsolute(xdg)) return xdg;
  return join(env.HOME ?? '/', '.config');
}

export function autostartListPath(env: NodeJS.ProcessEnv): string {
  return join(configHome(env), 'git-annex', 'autostart');
}

/** The paths listed, in order. A missing file lists nothing. */
export async function readAutostartList(env: NodeJS.ProcessEnv): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(autostartListPath(env), 'utf8');
  } catch (err) {
    if (isNotFound(err)) return [];
    throw err;
  }
  const paths = text.split('\n').map((l) => (l.length > 1 ? l.replace(/\/+$/, '') : l)).filter((l) => isAbsolute(l));
  return [...new Set(paths)];
}

/** Applies `change` to the list and writes it when the result differs. Returns whether it wrote. */
export async function modifyAutostartList(env: NodeJS.ProcessEnv, change: (paths: string[]) => string[]): Promise<boolean> {
  const before = await readAutostartList(env);
  const after = [...new Set(change([...before]))];
  if (after.length === before.length && after.every((p, i) => p === before[i])) return false;
  const file = autostartListPath(env);
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, after.map((p) => `${p}\n`).join(''));
  return true;
}

export const DESKTOP_ENTRY = 'ferry-assistant.desktop';

export function desktopEntryPath(env: NodeJS.ProcessEnv): string {
  return join(configHome(env), 'autostart', DESKTOP_ENTRY);
}

/**
 * One argument of a desktop entry's Exec key: quoted when it holds a reserved character, with `"`, `` ` ``,
 * `$` and `\` escaped inside; `%` is a field code, so a literal one is `%%` (Desktop Entry Specification
 * "The Exec key").
 */
export function desktopWord(word: string): string {
  const w = word.replace(/%/g, '%%');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(w)) return w;
  // The spec's quoting, then the general string escaping every value gets (a backslash doubles again).
  return `"${w.replace(/(["`$\\])/g, '\\$1')}"`.replace(/\\/g, '\\\\');
}

/**
 * The entry that runs `ferry assistant --autostart` at login, which starts every ferry repository listed.
 * It runs in `/` (Path): outside any repository, the option means that and not "install here".
 */
export function desktopEntryText(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Version=1.0',
    'Name=ferry assistant',
    'Comment=Starts the ferry assistant in the repositories listed for autostart',
    'Terminal=false',
    `Exec=${[...command, 'assistant', '--autostart'].map(desktopWord).join(' ')}`,
    'Path=/',
    '',
  ].join('\n');
}

export async function writeDesktopEntry(env: NodeJS.ProcessEnv, command: readonly string[]): Promise<void> {
  const file = desktopEntryPath(env);
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(file, desktopEntryText(command));
}

export async function removeDesktopEntry(env: NodeJS.ProcessEnv): Promise<void> {
  await rm(desktopEntryPath(env), { force: true });
}

/**
 * The git-annex autostart entry that is active for this user, if any: the user's own one unless it says
 * Hidden=true, else the first in $XDG_CONFIG_DIRS (Debian's git-annex installs /etc/xdg/autostart/). With
 * one active, git-annex starts its own assistant at login in every path of the shared list.
 */
export async function activeGitAnnexAutostart(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const user = join(configHome(env), 'autostart', 'git-annex.desktop');
  const dirs = (env.XDG_CONFIG_DIRS || '/etc/xdg').split(':').filter((d) => isAbsolute(d));
  for (const file of [user, ...dirs.map((d) => join(d, 'autostart', 'git-annex.desktop'))]) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      if (isNotFound(err)) continue;
      throw err;
    }
    // The first one found overrides the rest, Hidden=true included (the spec's "Hidden" key).
    return /^Hidden\s*=\s*true\s*$/m.test(text) ? undefined : file;
  }
  return undefined;
}
