// The systemd user unit that starts an assistant at login: one template, `ferry-assistant@.service`, whose
// instance is the repository's path escaped as `systemd-escape --path` does (systemd.unit(5) "String
// Escaping for Inclusion in Unit Names"), so `systemctl --user status ferry-assistant@home-me-Photos` works
// and each repository is enabled or disabled on its own. Pure text here; autostart.ts runs systemctl.
import { join } from 'node:path';

export const UNIT_TEMPLATE = 'ferry-assistant@.service';

/** systemd's unit name length limit (UNIT_NAME_MAX). */
const UNIT_NAME_MAX = 255;

/**
 * `systemd-escape --path`: the path simplified (repeated and trailing slashes, `.` components), its outer
 * slashes removed, inner ones made `-`; bytes other than ASCII letters, digits, `:`, `_` and `.` (and a
 * leading `.`) become `\xNN`; the root is `-`.
 */
export function escapeSystemdPath(path: string): string {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.length === 0) return '-';
  const bytes = Buffer.from(parts.join('/'), 'utf8');
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const c = String.fromCharCode(b);
    if (c === '/') out += '-';
    else if (/[A-Za-z0-9:_]/.test(c) || (c === '.' && i > 0)) out += c;
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out;
}

/** The unit of the repository at `repoTop` (absolute); undefined when the name would exceed systemd's limit. */
export function unitNameFor(repoTop: string): string | undefined {
  const name = `ferry-assistant@${escapeSystemdPath(repoTop)}.service`;
  return name.length <= UNIT_NAME_MAX ? name : undefined;
}

/**
 * One word of an Exec line (systemd.service(5) "Command lines"): quoted when it has anything but plain
 * characters; `%` is a specifier and `$` a variable in either form, so they are doubled (Environment=
 * expands no variables: `variables` false).
 */
export function systemdWord(word: string, variables = true): string {
  const specifiers = word.replace(/%/g, '%%');
  const escaped = variables ? specifiers.replace(/\$/g, '$$$$') : specifiers;
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(escaped)) return escaped;
  return `"${escaped.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export interface UnitOptions {
  /** The command that runs ferry, absolute: node and the bundled script of the build that installed it. */
  readonly command: readonly string[];
  /** PATH at install time: a user manager's own PATH is minimal and git or git-annex may live elsewhere. */
  readonly path?: string;
}

/**
 * The template's text. %f is the instance unescaped as a path (with its leading slash, which %I lacks),
 * the repository; a repository that is not there
 * (an unmounted disk) is skipped rather than failed. Restart=on-failure: a crash restarts it, `ferry
 * assistant --stop` (SIGTERM, a clean exit for systemd) does not.
 */
export function unitText(opts: UnitOptions): string {
  const exec = [...opts.command, 'assistant', '--foreground'].map((w) => systemdWord(w)).join(' ');
  return [
    '# Written by `ferry assistant --autostart`; `ferry assistant --no-autostart` disables an instance.',
    '[Unit]',
    'Description=ferry assistant in %f',
    'ConditionPathIsDirectory=%f',
    '',
    '[Service]',
    'Type=simple',
    'WorkingDirectory=%f',
    ...(opts.path ? [`Environment=${systemdWord(`PATH=${opts.path}`, false)}`] : []),
    `ExecStart=${exec}`,
    'Restart=on-failure',
    'RestartSec=10s',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** Where a user's own units live: $XDG_CONFIG_HOME/systemd/user (systemd.unit(5) "Unit File Load Path"). */
export function userUnitDir(configHome: string): string {
  return join(configHome, 'systemd', 'user');
}
