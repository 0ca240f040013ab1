// Repositories with a special remote for the special-remote benchmarks, made by each tool alike (untimed):
// `git init` + the tool's `init`, the files written and added with the tool's own `add`, committed (as
// annex-pairs.ts does), then the tool's own `initremote store …`. Plus the checks run after a ferry copy,
// outside the timed region: the location log records the remote's copy of every key, and for a plain
// directory remote each object file is there with the key's size.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { keysLoggedPresent, objectsOfWorkTree } from './annex-pairs.js';
import type { AnnexTool } from './annex-pairs.js';
import { run } from './lib.js';
import type { Command, RunOptions, Workspace } from './lib.js';

/** The special remote's name in every benchmark repository. */
export const REMOTE = 'store';

export interface SpecialRepo {
  readonly tool: AnnexTool;
  readonly dir: string;
  /** The directory remote's directory (made under the workspace), or undefined for other types. */
  readonly store: string | undefined;
  readonly opts: RunOptions;
}

export function annexCommand(tool: AnnexTool, ...args: string[]): Command {
  return tool === 'ferry' ? ['ferry', ...args] : ['git', 'annex', ...args];
}

/**
 * A repository filled by `fill`, added and committed by `tool`, with the special remote `store`: a directory
 * remote in a fresh directory under the workspace when `params` names no type, else `params` as given.
 */
export async function makeSpecialRepo(
  ws: Workspace, tool: AnnexTool, fill: (dir: string) => void, params: readonly string[], env: NodeJS.ProcessEnv = ws.env,
): Promise<SpecialRepo> {
  const dir = await ws.dir(tool);
  const opts: RunOptions = { cwd: dir, env };
  await run(['git', 'init', '-q'], opts);
  await run(annexCommand(tool, 'init', 'bench'), opts);
  fill(dir);
  await run(annexCommand(tool, 'add', '.'), opts);
  await run(['git', 'commit', '-q', '-m', 'add'], opts);
  const store = params.some((p) => p.startsWith('type=')) ? undefined : await ws.dir(`${tool}-store`);
  const typeParams = store === undefined ? [] : ['type=directory', `directory=${store}`];
  await run(annexCommand(tool, 'initremote', REMOTE, ...typeParams, ...params), opts);
  return { tool, dir, store, opts };
}

export async function removeSpecialRepo(ws: Workspace, repo: SpecialRepo): Promise<void> {
  await ws.remove(repo.dir);
  if (repo.store !== undefined) await ws.remove(repo.store);
}

async function remoteUuid(dir: string, env: NodeJS.ProcessEnv, remote: string): Promise<string> {
  return (await run(['git', 'config', `remote.${remote}.annex-uuid`], { cwd: dir, env, captureStdout: true })).stdout.trim();
}

/** Every file under a directory remote but its tmp/, by name, with its size. */
function storedFiles(store: string): Map<string, number> {
  const found = new Map<string, number>();
  const walk = (path: string) => {
    for (const d of readdirSync(path, { withFileTypes: true })) {
      const p = join(path, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.isFile()) found.set(d.name, statSync(p).size);
    }
  };
  for (const d of readdirSync(store, { withFileTypes: true })) if (d.isDirectory() && d.name !== 'tmp') walk(join(store, d.name));
  return found;
}

/**
 * What is wrong after copying the `expected` annexed files of `repo` to `remote` (nothing when all is well):
 * keys whose location log does not record the remote, and, for an unencrypted unchunked directory remote
 * (`plainStore`), object files missing or of the wrong size.
 */
export async function checkCopiedToSpecial(repo: SpecialRepo, expected: number, remote = REMOTE, plainStore?: string): Promise<string[]> {
  const problems: string[] = [];
  const keys = [...objectsOfWorkTree(repo.dir).keys()];
  if (keys.length !== expected) problems.push(`${keys.length} annexed files in the repository, expected ${expected}`);
  const logged = keysLoggedPresent(repo.dir, repo.opts.env, await remoteUuid(repo.dir, repo.opts.env, remote));
  const unlogged = keys.filter((k) => !logged.has(k));
  if (unlogged.length > 0) problems.push(`${unlogged.length} of ${keys.length} keys not logged as in '${remote}' (first: ${unlogged[0]})`);
  if (plainStore !== undefined) {
    const files = storedFiles(plainStore);
    const wrong = keys.filter((k) => files.get(k) !== Number(/-s(\d+)--/.exec(k)?.[1]));
    if (wrong.length > 0) problems.push(`${wrong.length} of ${keys.length} objects missing or of the wrong size in ${plainStore} (first: ${wrong[0]})`);
  }
  return problems;
}

/** The problems' lines printed as warnings by the caller; a failing check itself is one more problem. */
export async function problemsOf(check: () => Promise<string[]>): Promise<string[]> {
  return check().catch((err: unknown) => [`the check itself failed: ${err instanceof Error ? err.message : String(err)}`]);
}
