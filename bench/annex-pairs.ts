// Pairs of repositories for the transfer benchmarks: a repository with annexed files and a `git clone` of it,
// both initialised by the same tool, the clone a git remote named `other` of the first, and a first sync made
// (all untimed). Plus the checks run after a copy, outside the timed region: the objects are in the clone,
// and the location logs on both sides record the clone's copy.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './lib.js';
import type { Command, RunOptions, Workspace } from './lib.js';

export type AnnexTool = 'ferry' | 'git-annex';

export interface AnnexPair {
  readonly tool: AnnexTool;
  /** The repository holding the content (the copy runs here). */
  readonly a: string;
  /** Its clone, `other` in a's remotes. */
  readonly b: string;
  readonly opts: RunOptions;
}

const notes = new Set<string>();

/**
 * Makes a pair: `fill(dir)` writes the files into the first repository, which the tool adds and commits;
 * then `git clone`, init of the clone, `git remote add other`, and the tool's sync in the first. If
 * `ferry sync` fails, `git fetch other` stands in (ferry's copy reads the remote's uuid from the remote
 * itself) and `note` is told once.
 */
export async function makeAnnexPair(ws: Workspace, tool: AnnexTool, fill: (dir: string) => void, note: (line: string) => void): Promise<AnnexPair> {
  const a = await ws.dir(`${tool}-a`);
  const b = await ws.dir(`${tool}-b`);
  const inA: RunOptions = { cwd: a, env: ws.env };
  const inB: RunOptions = { cwd: b, env: ws.env };
  const annex = (...args: string[]): Command => (tool === 'ferry' ? ['ferry', ...args] : ['git', 'annex', ...args]);
  await run(['git', 'init', '-q'], inA);
  await run(annex('init', 'bench-a'), inA);
  fill(a);
  await run(annex('add', '.'), inA);
  await run(['git', 'commit', '-q', '-m', 'add'], inA);
  await run(['git', 'clone', '-q', a, b], inA);
  await run(annex('init', 'bench-b'), inB);
  await run(['git', 'remote', 'add', 'other', b], inA);
  try {
    await run(annex('sync', '--no-content'), inA);
  } catch (err) {
    if (tool !== 'ferry') throw err;
    await run(['git', 'fetch', '-q', 'other'], inA);
    const line = `  note: ferry sync failed in the set-up (${err instanceof Error ? err.message.split('\n')[0] : String(err)}); git fetch stood in`;
    if (!notes.has(line)) note(line);
    notes.add(line);
  }
  return { tool, a, b, opts: inA };
}

/**
 * The object path (from the top of the repository) of every annexed file in `dir`'s work tree, by key.
 * Both repositories of a pair are non-bare with the same hash layout, so the same path applies to the clone.
 */
export function objectsOfWorkTree(dir: string): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (rel: string) => {
    for (const d of readdirSync(join(dir, rel), { withFileTypes: true })) {
      if (d.name === '.git') continue;
      const path = join(rel, d.name);
      if (d.isDirectory()) walk(path);
      else if (d.isSymbolicLink()) {
        const target = readlinkSync(join(dir, path));
        const at = target.indexOf('.git/annex/objects/');
        if (at >= 0) found.set(target.slice(target.lastIndexOf('/') + 1), target.slice(at));
      }
    }
  };
  walk('');
  return found;
}

/**
 * The keys whose location log on `dir`'s git-annex branch (or `ref`, such as synced/git-annex in a bare
 * repository sync pushed to) says `uuid` has them (newest line per uuid).
 */
export function keysLoggedPresent(dir: string, env: NodeJS.ProcessEnv, uuid: string, ref = 'git-annex'): Set<string> {
  const git = (args: string[], input?: string) => execFileSync('git', args, { cwd: dir, env, input, maxBuffer: 1 << 30 });
  const tree = git(['ls-tree', '-r', '-z', ref]).toString('utf8').split('\0');
  const logs: { key: string; blob: string }[] = [];
  for (const entry of tree) {
    const m = /^\d+ blob ([0-9a-f]+)\t(?:[^/]+\/){2}([^/]+)\.log$/.exec(entry);
    if (m) logs.push({ blob: m[1]!, key: m[2]! });
  }
  const present = new Set<string>();
  if (logs.length === 0) return present;
  const out = git(['cat-file', '--batch'], logs.map((l) => l.blob).join('\n') + '\n');
  let pos = 0;
  for (const { key } of logs) {
    const header = out.toString('utf8', pos, out.indexOf(10, pos));
    const size = Number(header.split(' ')[2]);
    const start = out.indexOf(10, pos) + 1;
    const text = out.toString('utf8', start, start + size);
    pos = start + size + 1;
    let newest = -1;
    let status = '0';
    for (const line of text.split('\n')) {
      const [stamp, s, who] = line.split(' ');
      if (who !== uuid || stamp === undefined || s === undefined) continue;
      const t = Number.parseFloat(stamp);
      if (t >= newest) {
        newest = t;
        status = s;
      }
    }
    if (status === '1') present.add(key);
  }
  return present;
}

export async function annexUuid(dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  return (await run(['git', 'config', 'annex.uuid'], { cwd: dir, env, captureStdout: true })).stdout.trim();
}

/**
 * What is wrong after a copy of `expected` keys from a to b (nothing when all is well): objects missing in
 * b, and location logs in a and in b that do not record b's copy. With `askGitAnnex`, git-annex itself is
 * asked too (`git annex find` in b lists the files whose content b has).
 */
export async function checkCopied(pair: AnnexPair, expected: number, askGitAnnex: boolean): Promise<string[]> {
  const problems: string[] = [];
  const objects = objectsOfWorkTree(pair.a);
  if (objects.size !== expected) problems.push(`${objects.size} annexed files in the source, expected ${expected}`);
  const missing = [...objects.values()].filter((p) => !existsSync(join(pair.b, p)));
  if (missing.length > 0) problems.push(`${missing.length} of ${objects.size} objects missing in the clone (first: ${missing[0]})`);
  const uuid = await annexUuid(pair.b, pair.opts.env);
  for (const [side, dir] of [['source', pair.a], ['clone', pair.b]] as const) {
    const logged = keysLoggedPresent(dir, pair.opts.env, uuid);
    const unlogged = [...objects.keys()].filter((k) => !logged.has(k));
    if (unlogged.length > 0) problems.push(`${unlogged.length} keys not logged as in the clone on the ${side}'s git-annex branch (first: ${unlogged[0]})`);
  }
  if (askGitAnnex) {
    const found = (await run(['git', 'annex', 'find'], { cwd: pair.b, env: pair.opts.env, captureStdout: true })).stdout.split('\n').filter((l) => l !== '').length;
    if (found !== expected) problems.push(`git annex find in the clone lists ${found} files, expected ${expected}`);
  }
  return problems;
}
