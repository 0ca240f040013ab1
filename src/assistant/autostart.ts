// Start at login (`ferry assistant --autostart` / `--no-autostart`): a systemd user unit where the user has
// a systemd user manager, else git-annex's autostart list plus an XDG autostart entry (autostart-file.ts).
// A repository in the shared list is marked `ferry.autostart=true` in its git config, so that ferry's
// login start runs only its own repositories and leaves the ones git-annex's assistant listed to git-annex.
import { execFile } from 'node:child_process';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ferryScript } from '../annex/index.js';
import { runGit } from '../git/index.js';
import { FerryError, writeFileAtomic } from '../util/index.js';
import {
  activeGitAnnexAutostart, autostartListPath, configHome, modifyAutostartList, readAutostartList, removeDesktopEntry,
  writeDesktopEntry,
} from './autostart-file.js';
import { UNIT_TEMPLATE, unitNameFor, unitText, userUnitDir } from './autostart-systemd.js';

export type AutostartMethod = 'systemd' | 'file';

export interface AutostartOptions {
  /** HOME, XDG_CONFIG_HOME, XDG_CONFIG_DIRS, XDG_RUNTIME_DIR, PATH; default this process's. */
  readonly env?: NodeJS.ProcessEnv;
  /** Use this method instead of detecting one. */
  readonly method?: AutostartMethod;
  /** systemd: start the unit now too (`enable --now`); otherwise it starts at the next login. */
  readonly startNow?: boolean;
  /** The command that runs ferry; default this build: node and dist/app/ferry.mjs, absolute. */
  readonly command?: readonly string[];
}

export interface AutostartResult {
  readonly method: AutostartMethod;
  /** The systemd unit, or the autostart list written. */
  readonly where: string;
  /** Whether anything changed (false: it was already so). */
  readonly changed: boolean;
  /** Things the user should know, such as git-annex's own login start sharing the list. */
  readonly warnings: readonly string[];
}

export interface AutostartState {
  /** Enabled as a systemd user unit (its link in default.target.wants exists). */
  readonly systemd: boolean;
  /** Listed in git-annex's autostart list and marked as ferry's. */
  readonly file: boolean;
}

/**
 * The method a `systemctl --user is-system-running` answer implies: any state of a reachable user manager
 * (running, degraded, starting, …) means systemd; "offline" (no manager: a container, no login session),
 * no answer (no systemctl, no bus) or an error means the list.
 */
export function methodFor(state: string | undefined): AutostartMethod {
  const s = state?.trim() ?? '';
  return /^(running|degraded|starting|initializing|maintenance|stopping)$/.test(s) ? 'systemd' : 'file';
}

export async function detectAutostartMethod(env: NodeJS.ProcessEnv = process.env): Promise<AutostartMethod> {
  return methodFor(await systemctlState(env));
}

async function systemctlState(env: NodeJS.ProcessEnv): Promise<string | undefined> {
  // is-system-running exits non-zero for "degraded" too: its output names the state either way.
  const r = await systemctl(env, ['is-system-running']);
  return r.stdout.trim() === '' ? undefined : r.stdout;
}

interface SystemctlResult {
  readonly error?: Error;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `systemctl --user ARGS`; a missing systemctl or a failure is in `error`, never thrown. */
function systemctl(env: NodeJS.ProcessEnv, args: readonly string[]): Promise<SystemctlResult> {
  return new Promise((res) => {
    execFile('systemctl', ['--user', ...args], { env, timeout: 30_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      res({ ...(err ? { error: err } : {}), stdout, stderr });
    });
  });
}

/** The repositories the list names for ferry: listed, still there, and marked ferry.autostart. */
export async function autostartRepos(env: NodeJS.ProcessEnv = process.env): Promise<string[]> {
  const out: string[] = [];
  for (const path of await readAutostartList(env)) if (await isMarked(path)) out.push(path);
  return out;
}

export async function installAutostart(repoTop: string, opts: AutostartOptions = {}): Promise<AutostartResult> {
  const env = opts.env ?? process.env;
  const top = resolve(repoTop);
  const method = opts.method ?? await detectAutostartMethod(env);
  const command = opts.command ?? [process.execPath, ferryScript];
  if (method === 'systemd') {
    const unit = requireUnitName(top);
    const wasEnabled = await systemdEnabled(env, unit);
    const dir = userUnitDir(configHome(env));
    await mkdir(dir, { recursive: true });
    await writeFileAtomic(join(dir, UNIT_TEMPLATE), unitText({ command, ...(env.PATH ? { path: env.PATH } : {}) }));
    // enable and disable work on the unit files alone; a running manager must also reread them.
    if (methodFor(await systemctlState(env)) === 'systemd') await systemctlOrThrow(env, ['daemon-reload']);
    await systemctlOrThrow(env, ['enable', ...(opts.startNow ? ['--now'] : []), unit]);
    // Installed by the list before (systemd was not running then): one way to start is enough.
    await unlist(env, top);
    return { method, where: unit, changed: !wasEnabled, warnings: [] };
  }
  await runGit({ cwd: top }, ['config', 'ferry.autostart', 'true']);
  const changed = await modifyAutostartList(env, (paths) => (paths.includes(top) ? paths : [top, ...paths]));
  await writeDesktopEntry(env, command);
  const gitAnnex = await activeGitAnnexAutostart(env);
  const warnings = gitAnnex === undefined ? [] : [
    `git-annex starts its own assistant at login in every folder of ${autostartListPath(env)} (${gitAnnex}), ` +
    'this one included, so two assistants would run here; use a systemd user session, or hide that entry ' +
    '(Hidden=true in ~/.config/autostart/git-annex.desktop) if git-annex\'s assistant is not wanted elsewhere',
  ];
  return { method, where: autostartListPath(env), changed, warnings };
}

/** Undoes installAutostart in both places (the method may have changed since); a running assistant keeps running. */
export async function removeAutostart(repoTop: string, opts: AutostartOptions = {}): Promise<AutostartResult> {
  const env = opts.env ?? process.env;
  const top = resolve(repoTop);
  const method = opts.method ?? await detectAutostartMethod(env);
  let changed = false;
  const unit = unitNameFor(top);
  if (unit !== undefined && await systemdEnabled(env, unit)) {
    await systemctlOrThrow(env, ['disable', unit]);
    changed = true;
  }
  if ((await enabledInstances(env)).length === 0) {
    await rm(join(userUnitDir(configHome(env)), UNIT_TEMPLATE), { force: true });
  }
  if (await unlist(env, top)) changed = true;
  const warnings = (await readAutostartList(env)).includes(top)
    ? [`${top} stays in ${autostartListPath(env)} for git-annex's assistant (its webapp listed it; delete that line to stop git-annex's assistant starting here)`]
    : [];
  return { method, where: method === 'systemd' ? unit ?? UNIT_TEMPLATE : autostartListPath(env), changed, warnings };
}

/**
 * Takes `top` out of the shared list if ferry put it there (marked): a path git-annex's assistant listed
 * stays, git-annex's to start. The XDG entry goes when no ferry repository is left in the list.
 */
async function unlist(env: NodeJS.ProcessEnv, top: string): Promise<boolean> {
  let changed = false;
  if (await isMarked(top)) {
    changed = await modifyAutostartList(env, (paths) => paths.filter((p) => p !== top));
    await runGit({ cwd: top }, ['config', '--unset', 'ferry.autostart'], { okCodes: [5] });
  }
  if ((await autostartRepos(env)).length === 0) await removeDesktopEntry(env);
  return changed;
}

export async function autostartState(repoTop: string, opts: Pick<AutostartOptions, 'env'> = {}): Promise<AutostartState> {
  const env = opts.env ?? process.env;
  const top = resolve(repoTop);
  const unit = unitNameFor(top);
  return {
    systemd: unit !== undefined && await systemdEnabled(env, unit),
    file: (await readAutostartList(env)).includes(top) && await isMarked(top),
  };
}

function requireUnitName(top: string): string {
  const unit = unitNameFor(top);
  if (unit === undefined) {
    throw new FerryError(`the path ${top} is too long for a systemd unit name`, {
      hint: 'move the repository to a shorter path, or use the autostart list (method file)',
    });
  }
  return unit;
}

/** `enable` links the instance into default.target.wants: the link is the state, read without systemd. */
async function systemdEnabled(env: NodeJS.ProcessEnv, unit: string): Promise<boolean> {
  return (await enabledInstances(env)).includes(unit);
}

async function enabledInstances(env: NodeJS.ProcessEnv): Promise<string[]> {
  const names = await readdir(join(userUnitDir(configHome(env)), 'default.target.wants')).catch(() => [] as string[]);
  return names.filter((n) => n.startsWith('ferry-assistant@') && n !== UNIT_TEMPLATE);
}

async function systemctlOrThrow(env: NodeJS.ProcessEnv, args: readonly string[]): Promise<void> {
  const r = await systemctl(env, args);
  if (r.error === undefined) return;
  const detail = r.stderr.trim() || r.error.message;
  throw new FerryError(`systemctl --user ${args.join(' ')} failed: ${detail}`, {
    hint: 'is a systemd user session running (loginctl enable-linger to have one without logging in)?',
    cause: r.error,
  });
}

async function isMarked(path: string): Promise<boolean> {
  try {
    const { stdout } = await runGit({ cwd: path }, ['config', '--bool', '--get', 'ferry.autostart'], { okCodes: [1] });
    return stdout.toString('utf8').trim() === 'true';
  } catch {
    // A listed folder that is gone or no longer a repository: not one to start.
    return false;
  }
}
