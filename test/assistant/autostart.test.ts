import assert from 'node:assert/strict';
import { copyFile, lstat, mkdir, readFile, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import type { AfterHook } from '../helpers/tmp.js';
import {
  autostartRepos, autostartState, detectAutostartMethod, installAutostart, methodFor, removeAutostart,
} from '../../src/assistant/index.js';
import { autostartListPath, desktopEntryPath, desktopWord, readAutostartList } from '../../src/assistant/autostart-file.js';
import { escapeSystemdPath, systemdWord, unitNameFor, unitText } from '../../src/assistant/autostart-systemd.js';
import { useTestEnv } from '../helpers/env.js';
import { makeRepo } from '../helpers/repo.js';
import { git, gitAnnex, run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

useTestEnv();
const command = [process.execPath, '/opt/ferry build/dist/app/ferry.mjs'];

/**
 * An environment whose config lives in a temp dir, and where no systemd user manager can be reached (an
 * empty XDG_RUNTIME_DIR, no session bus), so systemctl works on the unit files alone and never on the
 * user's real session.
 */
async function isolatedEnv(t: AfterHook): Promise<NodeJS.ProcessEnv & { XDG_CONFIG_HOME: string }> {
  const root = await tempDir(t);
  const env: NodeJS.ProcessEnv & { XDG_CONFIG_HOME: string } = {
    ...process.env,
    HOME: join(root, 'home'),
    XDG_CONFIG_HOME: join(root, 'config'),
    XDG_CONFIG_DIRS: join(root, 'xdg'),
    XDG_RUNTIME_DIR: join(root, 'runtime'),
  };
  delete env.DBUS_SESSION_BUS_ADDRESS;
  await mkdir(env.XDG_RUNTIME_DIR!, { recursive: true });
  return env;
}

test('unit names escape the path exactly as systemd-escape --path does', async () => {
  const paths = ['/home/me/Photos', '/home/me/My Photos/', '//srv//a-b/./c_d:e', '/home/me/.hidden/x.y', '/tmp/ü €', '/'];
  for (const p of paths) {
    const { stdout } = await run('/', 'systemd-escape', ['--path', p]);
    assert.equal(escapeSystemdPath(p), stdout.trim(), p);
  }
  assert.equal(unitNameFor('/home/me/Photos'), 'ferry-assistant@home-me-Photos.service');
  assert.equal(unitNameFor(`/${'x'.repeat(300)}`), undefined);
});

test('the unit template passes systemd-analyze verify for a repository with spaces in its path', async (t) => {
  const repo = join(await tempDir(t), 'my photos');
  await mkdir(repo);
  const text = unitText({ command: [process.execPath, '/opt/ferry build/100% $HOME/ferry.mjs'], path: '/usr/bin:/bin' });
  assert.match(text, /^ExecStart=\S+ "\/opt\/ferry build\/100%% \$\$HOME\/ferry\.mjs" assistant --foreground$/m);
  assert.match(text, /^WorkingDirectory=%f$/m);
  assert.match(text, /^Restart=on-failure$/m);
  assert.match(text, /^WantedBy=default\.target$/m);
  // verify reads an instance by its file name, so the template is checked as this repository's instance.
  const dir = await tempDir(t);
  const unit = join(dir, unitNameFor(repo)!);
  await writeFile(unit, text);
  const r = await run(dir, 'systemd-analyze', ['verify', unit], { expect: [] });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr.trim(), '');
});

test('systemd and desktop entry words are quoted only when needed', () => {
  assert.equal(systemdWord('/usr/bin/node'), '/usr/bin/node');
  assert.equal(systemdWord('a "b" \\c'), '"a \\"b\\" \\\\c"');
  assert.equal(systemdWord('$X'), '"$$X"');
  assert.equal(desktopWord('/usr/bin/node'), '/usr/bin/node');
  assert.equal(desktopWord('/a b/$x'), '"/a b/\\\\$x"');
  assert.equal(desktopWord('50%'), '50%%');
});

test('a reachable user manager means systemd; offline, no answer or no bus means the list', async (t) => {
  assert.equal(methodFor('running\n'), 'systemd');
  assert.equal(methodFor('degraded\n'), 'systemd');
  assert.equal(methodFor('starting'), 'systemd');
  assert.equal(methodFor('offline\n'), 'file');
  assert.equal(methodFor(undefined), 'file');
  assert.equal(methodFor('Failed to connect to bus'), 'file');
  assert.equal(await detectAutostartMethod(await isolatedEnv(t)), 'file');
  assert.equal(await detectAutostartMethod({ ...(await isolatedEnv(t)), PATH: '/nonexistent' }), 'file');
});

test('the list: install adds the repository once, marks it, and writes the login entry; remove undoes it', async (t) => {
  const env = await isolatedEnv(t);
  const a = await makeRepo(t);
  const b = await makeRepo(t);
  const first = await installAutostart(a, { env, method: 'file', command });
  assert.deepEqual({ method: first.method, where: first.where, changed: first.changed }, { method: 'file', where: autostartListPath(env), changed: true });
  assert.equal(autostartListPath(env), join(env.XDG_CONFIG_HOME, 'git-annex', 'autostart'));
  assert.equal(await readFile(autostartListPath(env), 'utf8'), `${a}\n`);
  assert.equal((await git(a, ['config', 'ferry.autostart'])).stdout.trim(), 'true');
  const entry = await readFile(desktopEntryPath(env), 'utf8');
  assert.match(entry, /^Exec=\S+ "\/opt\/ferry build\/dist\/app\/ferry\.mjs" assistant --autostart$/m);
  assert.match(entry, /^Path=\/$/m, 'runs outside any repository');
  assert.equal((await installAutostart(`${a}/`, { env, method: 'file', command })).changed, false);
  await installAutostart(b, { env, method: 'file', command });
  assert.equal(await readFile(autostartListPath(env), 'utf8'), `${b}\n${a}\n`);
  assert.deepEqual(await autostartRepos(env), [b, a]);
  assert.deepEqual(await autostartState(a, { env }), { systemd: false, file: true });

  assert.equal((await removeAutostart(a, { env, method: 'file' })).changed, true);
  assert.equal((await removeAutostart(a, { env, method: 'file' })).changed, false);
  assert.equal(await readFile(autostartListPath(env), 'utf8'), `${b}\n`);
  assert.equal((await git(a, ['config', 'ferry.autostart'], { expect: [] })).code, 1);
  assert.deepEqual(await autostartState(a, { env }), { systemd: false, file: false });
  assert.ok(await lstat(desktopEntryPath(env)), 'b still starts at login');
  await removeAutostart(b, { env, method: 'file' });
  assert.equal(await readFile(autostartListPath(env), 'utf8'), '');
  await assert.rejects(lstat(desktopEntryPath(env)), { code: 'ENOENT' });
});

test("git-annex's entries in the shared list are read as git-annex reads them, kept, and not started by ferry", async (t) => {
  const env = await isolatedEnv(t);
  const annexRepo = await makeRepo(t, { init: 'git-annex' });
  const ours = await makeRepo(t);
  await mkdir(join(env.XDG_CONFIG_HOME, 'git-annex'), { recursive: true });
  // What git-annex's webapp wrote, plus what old versions left: a relative path, a duplicate, a trailing slash.
  await writeFile(autostartListPath(env), `${annexRepo}/\n.\n${annexRepo}\n/gone/repo\n`);
  assert.deepEqual(await readAutostartList(env), [annexRepo, '/gone/repo']);
  await installAutostart(ours, { env, method: 'file', command });
  assert.deepEqual(await readAutostartList(env), [ours, annexRepo, '/gone/repo']);
  assert.deepEqual(await autostartRepos(env), [ours]);
  // git-annex itself lists the same repositories from the same file (autostop only runs --stop in each).
  const stop = await gitAnnex(ours, ['assistant', '--autostop'], { env: { XDG_CONFIG_HOME: env.XDG_CONFIG_HOME }, expect: [] });
  const listed = [...stop.stdout.matchAll(/^git-annex autostop in (.+)$/gm)].map((m) => m[1]);
  assert.deepEqual(listed, [ours, annexRepo, '/gone/repo'], stop.stdout + stop.stderr);
  // Removing ferry's start leaves git-annex's entry for this repository, and says so.
  await git(annexRepo, ['config', 'ferry.autostart', 'false']);
  const removed = await removeAutostart(annexRepo, { env, method: 'file' });
  assert.equal(removed.changed, false);
  assert.match(removed.warnings.join('\n'), /stays in .*git-annex's assistant/);
  assert.deepEqual(await readAutostartList(env), [ours, annexRepo, '/gone/repo']);
});

test('git-annex looks for its list where ferry writes it', async (t) => {
  const env = await isolatedEnv(t);
  const repo = await makeRepo(t);
  const r = await gitAnnex(repo, ['assistant', '--autostart'], { env: { XDG_CONFIG_HOME: env.XDG_CONFIG_HOME }, expect: [] });
  assert.notEqual(r.code, 0);
  assert.ok(r.stderr.includes(`Nothing listed in ${autostartListPath(env)}`), r.stderr);
});

test("install warns when git-annex's own login start would run its assistant in the repository too", async (t) => {
  const env = await isolatedEnv(t);
  const repo = await makeRepo(t);
  await mkdir(join(env.XDG_CONFIG_DIRS!, 'autostart'), { recursive: true });
  await copyFile('/etc/xdg/autostart/git-annex.desktop', join(env.XDG_CONFIG_DIRS!, 'autostart', 'git-annex.desktop'))
    .catch(() => writeFile(join(env.XDG_CONFIG_DIRS!, 'autostart', 'git-annex.desktop'), '[Desktop Entry]\nExec=git-annex assistant --autostart\n'));
  const warned = await installAutostart(repo, { env, method: 'file', command });
  assert.match(warned.warnings.join('\n'), /two assistants would run here/);
  await mkdir(join(env.XDG_CONFIG_HOME, 'autostart'), { recursive: true });
  await writeFile(join(env.XDG_CONFIG_HOME, 'autostart', 'git-annex.desktop'), '[Desktop Entry]\nHidden=true\n');
  assert.deepEqual((await installAutostart(repo, { env, method: 'file', command })).warnings, []);
});

test('systemd: install writes the template and enables this repository\'s instance; remove disables it', async (t) => {
  const env = await isolatedEnv(t);
  const a = await makeRepo(t);
  const b = await makeRepo(t);
  // Listed before, when there was no systemd: the unit replaces the list entry.
  await installAutostart(a, { env, method: 'file', command });
  const r = await installAutostart(a, { env, method: 'systemd', command });
  const unit = unitNameFor(a)!;
  assert.deepEqual({ method: r.method, where: r.where, changed: r.changed }, { method: 'systemd', where: unit, changed: true });
  const units = join(env.XDG_CONFIG_HOME, 'systemd', 'user');
  assert.equal(await readFile(join(units, 'ferry-assistant@.service'), 'utf8'), unitText({ command, path: env.PATH! }));
  assert.equal(await readlink(join(units, 'default.target.wants', unit)), join(units, 'ferry-assistant@.service'));
  const isolated = { XDG_CONFIG_HOME: env.XDG_CONFIG_HOME, XDG_RUNTIME_DIR: env.XDG_RUNTIME_DIR! };
  assert.equal((await run(a, 'systemctl', ['--user', 'is-enabled', unit], { env: isolated })).stdout.trim(), 'enabled');
  assert.deepEqual(await autostartState(a, { env }), { systemd: true, file: false });
  assert.deepEqual(await readAutostartList(env), []);
  await assert.rejects(lstat(desktopEntryPath(env)), { code: 'ENOENT' });
  assert.equal((await installAutostart(a, { env, method: 'systemd', command })).changed, false);

  await installAutostart(b, { env, method: 'systemd', command });
  assert.equal((await removeAutostart(a, { env, method: 'systemd' })).changed, true);
  assert.deepEqual(await autostartState(a, { env }), { systemd: false, file: false });
  assert.deepEqual(await autostartState(b, { env }), { systemd: true, file: false });
  assert.ok(await lstat(join(units, 'ferry-assistant@.service')), 'b still uses the template');
  await removeAutostart(b, { env, method: 'systemd' });
  await assert.rejects(lstat(join(units, 'ferry-assistant@.service')), { code: 'ENOENT' });
});

test('systemd: starting now without a user manager is a clear error', async (t) => {
  const env = await isolatedEnv(t);
  const repo = await makeRepo(t);
  await assert.rejects(installAutostart(repo, { env, method: 'systemd', command, startNow: true }),
    (err: Error & { hint?: string }) => /systemctl --user enable --now .* failed/.test(err.message) && /systemd user session/.test(err.hint ?? ''));
});
