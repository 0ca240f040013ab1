// One assistant per repository: .git/ferry/assistant/pid is both the pid file and the lock. It is created
// exclusively (O_EXCL) holding the pid; a file whose process is gone (a kill -9, a crash, a reboot) is stale
// and taken over. A second start finds a live pid there and says one is running.
import { readFileSync } from 'node:fs';
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError, isNotFound } from '../util/index.js';

export class AssistantRunningError extends FerryError {
  constructor(readonly pid: number) {
    super(`an assistant is already running for this repository (pid ${pid})`, {
      hint: "see what it does with 'ferry status'; stop it with 'ferry assistant --stop'",
      data: { pid },
    });
  }
}

/**
 * Refuses `action` while an assistant runs for the repository: commands that replace its clouds (cloud
 * rotate, rejoin) would leave it pushing to a retired remote and blind to the new one until restarted.
 */
export async function refuseWhileAssistantRuns(gitDir: string, action: string): Promise<void> {
  const pid = await runningAssistant(gitDir);
  if (pid === undefined) return;
  throw new FerryError(`an assistant is running for this repository (pid ${pid}); ${action} changes the clouds it works with`, {
    hint: "stop it with 'ferry assistant --stop', run this again, then start it again with 'ferry assistant'",
    data: { pid },
  });
}

export function pidFilePath(gitDir: string): string {
  return join(gitDir, 'ferry', 'assistant', 'pid');
}

/** The pid of the assistant running for the repository, if one is. */
export async function runningAssistant(gitDir: string): Promise<number | undefined> {
  const pid = await readPid(pidFilePath(gitDir));
  return pid !== undefined && alive(pid) ? pid : undefined;
}

/** Takes the lock for this process; returns its release. */
export async function takePidLock(gitDir: string): Promise<() => Promise<void>> {
  const path = pidFilePath(gitDir);
  await mkdir(join(path, '..'), { recursive: true, mode: 0o700 });
  for (let attempt = 0; ; attempt++) {
    try {
      const file = await open(path, 'wx', 0o644);
      try {
        await file.writeFile(`${process.pid}\n`);
        await file.sync();
      } finally {
        await file.close();
      }
      return async () => {
        if ((await readPid(path)) === process.pid) await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) {
        if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new AssistantRunningError(await readPid(path) ?? 0);
        throw err;
      }
      const pid = await readPid(path);
      if (pid !== undefined && pid !== process.pid && alive(pid)) throw new AssistantRunningError(pid);
      await rm(path, { force: true }); // stale: its process is gone
    }
  }
}

async function readPid(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(path, 'utf8'), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Whether `pid` is a running ferry assistant. A pid alone is not enough: after a reboot, or once pids
 * wrap, the number in a stale file can be another program's, which `--stop` must never signal. Where
 * /proc tells, its command line must be ferry's `assistant` (or `demo`).
 */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let argv: string[];
  try {
    argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return true; // no /proc here: the pid is all there is to go on
  }
  // `ferry demo` runs its two assistants in its own process.
  return (argv.includes('assistant') || argv.includes('demo')) && argv.some((a) => /ferry/.test(a));
}
