// `ferry info`: what this repository holds and which repositories it knows, as git-annex reports it.
import { readdir, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { gitLinesZ } from '../../git/index.js';
import { isNotFound } from '../../util/index.js';
import type { Annex } from '../annex.js';
import { locationLogPath, presentIn } from '../branch/index.js';
import { fileKey, parseKey } from '../keys/index.js';
import { annexedFiles } from '../worktree/annexed-files.js';
import { Repositories } from './repositories.js';
import type { Repository } from './repositories.js';

export interface RepoInfo {
  readonly repositories: readonly Repository[];
  readonly localKeys: number;
  readonly localSize: number;
  readonly annexedFiles: number;
  readonly annexedSize: number;
  readonly backends: ReadonlyMap<string, number>;
  readonly availableDisk: number | undefined;
  readonly reservedDisk: number;
}

/** Keys with content in .git/annex/objects (both hash layouts). */
export async function localKeys(annex: Annex): Promise<string[]> {
  const keys: string[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch (err) {
      if (isNotFound(err)) return;
      throw err;
    }
    if (depth === 2) {
      for (const n of names) {
        const files = await readdir(join(dir, n)).catch(() => [] as string[]);
        if (files.includes(n)) keys.push(fileKey(n));
      }
      return;
    }
    await Promise.all(names.map((n) => walk(join(dir, n), depth + 1)));
  };
  await walk(annex.repo.layout.objectsDir, 0);
  return keys.sort();
}

export async function repoInfo(annex: Annex): Promise<RepoInfo> {
  await annex.branch.update();
  const [repos, keys, files] = await Promise.all([Repositories.load(annex), localKeys(annex), annexedFiles(annex, [])]);
  const size = (k: string) => parseKey(k)?.size ?? 0;
  const backends = new Map<string, number>();
  for (const f of files) {
    const b = parseKey(f.key)?.backend ?? '?';
    backends.set(b, (backends.get(b) ?? 0) + 1);
  }
  let availableDisk: number | undefined;
  try {
    const st = await statfs(annex.repo.layout.annexDir.replace(/annex$/, ''));
    availableDisk = st.bavail * st.bsize;
  } catch {
    availableDisk = undefined; // a file system that cannot say: left out, as git-annex leaves it out
  }
  return {
    repositories: repos.all(),
    localKeys: keys.length,
    localSize: keys.reduce((s, k) => s + size(k), 0),
    annexedFiles: files.length,
    annexedSize: files.reduce((s, f) => s + size(f.key), 0),
    backends,
    availableDisk,
    reservedDisk: 100_000_000,
  };
}

/** Every key with a location log in the git-annex branch (for fsck --all). */
export async function allBranchKeys(annex: Annex): Promise<string[]> {
  const head = await annex.branch.head();
  if (!head) return [];
  const names = await gitLinesZ(annex.repo.git, ['ls-tree', '-r', '-z', '--name-only', head]);
  const keys: string[] = [];
  for (const n of names) {
    const m = /^[0-9a-f]{3}\/[0-9a-f]{3}\/(.+)\.log$/.exec(n);
    if (m) keys.push(fileKey(m[1]!));
  }
  return keys;
}

/** How many keys, and their total size, the location logs say repository `uuid` has (git-annex's "remote annex keys"). */
export async function keysIn(annex: Annex, uuid: string): Promise<{ keys: number; size: number }> {
  const keys = await allBranchKeys(annex);
  const logs = await annex.branch.getMany(keys.map((k) => locationLogPath(k)));
  let count = 0;
  let size = 0;
  for (const k of keys) {
    if (!presentIn(logs.get(locationLogPath(k)) ?? '').includes(uuid)) continue;
    count++;
    size += parseKey(k)?.size ?? 0;
  }
  return { keys: count, size };
}
