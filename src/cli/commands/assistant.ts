import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { AssistantRunningError, autostartRepos, describeEvent, installAutostart, readStatusFile, removeAutostart, runningAssistant, startAssistant, statusFilePath } from '../../assistant/index.js';
import type { AutostartResult } from '../../assistant/index.js';
import { AnnexRepo } from '../../annex/index.js';
import { ExitCode, FerryError, errorMessage } from '../../util/index.js';
import type { Command } from '../command.js';
import type { Output } from '../output/output.js';

export const command: Command = {
  name: 'assistant',
  summary: 'keep this repository in sync by itself: commit changes, upload, push, and pull what others push',
  usage: '[--foreground] [--stop] [--autostart|--no-autostart]',
  description: [
    'Starts the assistant for the repository you are in, in the background (one per repository), and returns.',
    'It watches the work tree and commits what changes (files are added as `ferry add` adds them, after they',
    'stop changing), uploads content to the cloud, pushes, and tells the other machines through the change',
    'notifiers; when another machine pushes it pulls, merges and downloads what this repository wants. A file',
    'both sides changed ends as two files (git-annex variants); nothing is lost.',
    '',
    "See what it does with 'ferry status' (or the live page: 'ferry status --open'). Its log is",
    '.git/ferry/assistant/log.',
    '',
    '--autostart in a repository makes its assistant start at login: a systemd user unit where a user manager',
    "runs, otherwise git-annex's autostart list (~/.config/git-annex/autostart) and an XDG autostart entry;",
    '--no-autostart undoes it. Outside any repository, --autostart starts the assistant of every repository',
    'ferry listed there (what the login entry runs). See docs/assistant.md.',
  ].join('\n'),
  options: [
    { name: 'foreground', kind: 'boolean', help: 'run in this terminal, printing what it does, until Ctrl-C' },
    { name: 'stop', kind: 'boolean', help: 'stop the running assistant of this repository' },
    { name: 'autostart', kind: 'boolean', help: 'start this assistant at login (outside a repository: start every listed one)' },
    { name: 'no-autostart', kind: 'boolean', help: 'no longer start this assistant at login' },
    { name: 'json', kind: 'boolean', help: 'with --foreground: every event as one JSON line (as /api/events gives them)' },
  ],
  async run({ options }, { out, cwd }) {
    const autostart = options.get('autostart') === true;
    const repo = await AnnexRepo.open(cwd).catch((err: unknown) => {
      if (autostart) return undefined;
      throw err;
    });
    if (repo === undefined) return startListed(out);
    repo.requireInitialised();
    const top = repo.absPath('');
    if (autostart) return reportAutostart(await installAutostart(top), 'starts at login', out);
    if (options.get('no-autostart') === true) return reportAutostart(await removeAutostart(top), 'no longer starts at login', out);
    if (options.get('stop') === true) return stop(repo.gitDir, out);
    if (options.get('foreground') === true) return foreground(cwd, out);
    return background(repo.gitDir, cwd, out);
  },
};

async function foreground(cwd: string, out: Output): Promise<number> {
  const assistant = await startAssistant({ cwd });
  const print = (e: Parameters<typeof describeEvent>[0]) => {
    if (out.json) out.record({ ...e });
    else {
      const text = describeEvent(e);
      if (text !== undefined) out.line(`${new Date(e.time).toISOString()} ${text}`);
    }
  };
  for (const e of assistant.bus.since(0).events) print(e);
  assistant.bus.subscribe(print);
  out.warn(`status page: ${assistant.status.url} (log in with 'ferry status --open')`);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  await assistant.stop(`${signal} received`);
  return ExitCode.ok;
}

/** Starts `ferry assistant --foreground` detached, its output in the log, and waits until it serves status. */
async function background(gitDir: string, cwd: string, out: Output): Promise<number> {
  const running = await runningAssistant(gitDir);
  if (running !== undefined) throw new AssistantRunningError(running);
  const dir = join(gitDir, 'ferry', 'assistant');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const log = join(dir, 'log');
  const fd = openSync(log, 'a', 0o600);
  const child = spawn(process.execPath, [process.argv[1]!, 'assistant', '--foreground'], { cwd, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let exited: number | null | undefined;
  child.once('exit', (code) => { exited = code; });
  const statusFile = statusFilePath(gitDir);
  for (const started = Date.now(); Date.now() - started < 30_000; await sleep(50)) {
    const info = await readStatusFile(statusFile).catch(() => undefined);
    if (info !== undefined && info.pid === child.pid) {
      child.unref();
      out.line(`assistant started (pid ${info.pid}); see it with 'ferry status' or 'ferry status --open'; log: ${log}`);
      out.record({ command: 'assistant', pid: info.pid, port: info.port, log, success: true });
      return ExitCode.ok;
    }
    if (exited !== undefined) break;
  }
  child.unref();
  throw new FerryError(exited !== undefined ? `the assistant exited at start (status ${exited})` : 'the assistant did not start within 30 s', { hint: `see ${log}` });
}

async function stop(gitDir: string, out: Output): Promise<number> {
  const pid = await runningAssistant(gitDir);
  if (pid === undefined) {
    out.line('no assistant is running for this repository');
    return ExitCode.ok;
  }
  process.kill(pid, 'SIGTERM');
  for (const started = Date.now(); Date.now() - started < 60_000; await sleep(50)) {
    if ((await runningAssistant(gitDir)) === undefined) {
      out.line(`assistant (pid ${pid}) stopped`);
      return ExitCode.ok;
    }
  }
  throw new FerryError(`the assistant (pid ${pid}) did not stop within 60 s`, { hint: `kill ${pid}` });
}

function reportAutostart(r: AutostartResult, what: string, out: Output): number {
  for (const w of r.warnings) out.warn(`ferry: ${w}`);
  out.line(`${r.changed ? '' : 'already so: '}this repository's assistant ${what} (${r.method === 'systemd' ? 'systemd user unit' : 'autostart list'} ${r.where})`);
  out.record({ command: 'assistant', autostart: what === 'starts at login', method: r.method, where: r.where, changed: r.changed, success: true });
  return ExitCode.ok;
}

/** `--autostart` outside a repository (the login entry): starts the assistant of every repository ferry listed. */
async function startListed(out: Output): Promise<number> {
  let failed = 0;
  for (const top of await autostartRepos()) {
    try {
      const repo = await AnnexRepo.open(top);
      if ((await runningAssistant(repo.gitDir)) === undefined) await background(repo.gitDir, top, out);
      repo.close();
    } catch (err) {
      failed++;
      out.warn(`ferry: ${top}: ${errorMessage(err)}`);
    }
  }
  return failed > 0 ? ExitCode.failed : ExitCode.ok;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
