// The incumbent beside ferry's assistant: `git annex assistant` in A and B, syncing through a bare git
// repository (origin of both) and a directory special remote, the setting the issue measured. One sample:
// a small file written in A; the time until A's commit has it, until the bare repository has it (A's push),
// and whether B's work tree has its bytes within a bound. Polls git at 50 ms, B's file at 100 ms.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { run } from './lib.js';
import type { Workspace } from './lib.js';

export interface AnnexSample {
  /** ms from the write to A's HEAD holding the file, to the bare repository holding it; Infinity: never. */
  readonly commitMs: number;
  readonly pushMs: number;
  /** ms to B's work tree holding the bytes, Infinity if not within `boundMs`. */
  readonly arrivalMs: number;
  readonly boundMs: number;
  /** Whether B's HEAD had the file by the end (fetched and merged, even without the content). */
  readonly merged: boolean;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function git(cwd: string, env: NodeJS.ProcessEnv, args: readonly string[]): Promise<string> {
  return (await run(['git', ...args], { cwd, env, captureStdout: true, okCodes: [0, 1, 128] })).stdout;
}

/** Whether any branch of the repository at `cwd` (`--git-dir` for a bare one) has `path` in its tree. */
async function hasPath(cwd: string, env: NodeJS.ProcessEnv, path: string, refs: string): Promise<boolean> {
  const names = (await git(cwd, env, ['for-each-ref', '--format=%(refname)', refs])).split('\n').filter((r) => r !== '' && !r.endsWith('/git-annex'));
  for (const ref of names) if ((await git(cwd, env, ['ls-tree', '--name-only', ref, '--', path])).trim() === path) return true;
  return false;
}

async function daemonReady(dir: string, limitMs: number): Promise<void> {
  const start = Date.now();
  while (Date.now() - start < limitMs) {
    // daemon.status keeps scanComplete:False here; the log says "(started...)" once the start-up scan is done.
    const log = await readFile(join(dir, '.git', 'annex', 'daemon.log'), 'utf8').catch(() => '');
    if (log.includes('(started...)')) return;
    await sleep(200);
  }
  throw new Error(`git annex assistant in ${dir} did not finish its start-up scan within ${limitMs / 1000} s`);
}

/** Sets up A, B, origin and the directory remote, starts both assistants, takes one sample, stops them. */
export async function annexSample(ws: Workspace, label: string, bytes: Buffer, boundMs: number): Promise<AnnexSample> {
  const env = ws.env;
  const origin = await ws.dir(`${label}-origin`);
  const store = await ws.dir(`${label}-store`);
  const a = await ws.dir(`${label}-alice`);
  const b = await ws.dir(`${label}-bob`);
  const opts = (cwd: string) => ({ cwd, env });
  await run(['git', 'init', '-q', '--bare'], opts(origin));
  await run(['git', 'init', '-q'], opts(a));
  await run(['git', 'annex', 'init', 'alice'], opts(a));
  await run(['git', 'remote', 'add', 'origin', origin], opts(a));
  await run(['git', 'annex', 'initremote', 'store', 'type=directory', `directory=${store}`, 'encryption=none'], opts(a));
  await writeFile(join(a, 'start.txt'), 'start\n');
  await run(['git', 'annex', 'add', 'start.txt'], opts(a));
  await run(['git', 'commit', '-q', '-m', 'start'], opts(a));
  await run(['git', 'annex', 'sync', '--content'], opts(a));
  await run(['git', 'clone', '-q', origin, b], opts(ws.root));
  await run(['git', 'annex', 'init', 'bob'], opts(b));
  await run(['git', 'annex', 'enableremote', 'store', `directory=${store}`], opts(b));
  await run(['git', 'annex', 'sync', '--content'], opts(b));
  const stopBoth = async () => {
    for (const dir of [a, b]) await run(['git', 'annex', 'assistant', '--stop'], { ...opts(dir), okCodes: [0, 1] }).catch(() => undefined);
  };
  try {
    await run(['git', 'annex', 'assistant'], opts(a));
    await run(['git', 'annex', 'assistant'], opts(b));
    await daemonReady(a, 120_000);
    await daemonReady(b, 120_000);
    await sleep(3000); // let the start-up syncs finish, as ferry's pair waits until quiet
    const name = 'sample.txt';
    const start = performance.now();
    await writeFile(join(a, name), bytes);
    let commitMs = Infinity;
    let pushMs = Infinity;
    let arrivalMs = Infinity;
    let lastGit = 0;
    while (performance.now() - start < boundMs) {
      const now = performance.now();
      if (arrivalMs === Infinity && (await readFile(join(b, name)).catch(() => undefined))?.equals(bytes) === true) {
        arrivalMs = performance.now() - start;
        break;
      }
      // git is polled only until A's push is seen (then only B's file matters).
      if (pushMs === Infinity && now - lastGit >= 50) {
        lastGit = now;
        if (commitMs === Infinity && await hasPath(a, env, name, 'refs/heads')) commitMs = performance.now() - start;
        if (commitMs !== Infinity && await hasPath(origin, env, name, 'refs/heads')) pushMs = performance.now() - start;
      }
      await sleep(pushMs === Infinity ? 10 : 100);
    }
    const merged = await hasPath(b, env, name, 'refs/heads/main');
    return { commitMs, pushMs, arrivalMs, boundMs, merged };
  } finally {
    await stopBoth();
    for (const dir of [a, b, origin, store]) await ws.remove(dir);
  }
}
