// Fixture repositories built from inline file trees with real git, git-annex and ferry, in temp dirs.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { AfterHook } from './tmp.js';
import { tempDir } from './tmp.js';
import { ferry, git, gitAnnex } from './run.js';

export type Tree = Readonly<Record<string, string | Buffer>>;

export async function writeTree(root: string, tree: Tree): Promise<void> {
  for (const [path, content] of Object.entries(tree)) {
    const abs = join(root, path);
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
}

export interface RepoOptions {
  /** Which tool initialises the annex (default ferry); 'none' leaves a plain git repository. */
  readonly init?: 'ferry' | 'git-annex' | 'none';
  readonly description?: string;
  readonly files?: Tree;
}

/** A new git repository in a temp dir, initialised as asked, with `files` written (not added). */
export async function makeRepo(t: AfterHook, opts: RepoOptions = {}): Promise<string> {
  const dir = await tempDir(t);
  await git(dir, ['init', '-q']);
  const desc = opts.description ?? 'test repo';
  if (opts.init === 'git-annex') await gitAnnex(dir, ['init', '-q', desc]);
  else if (opts.init !== 'none') await ferry(dir, ['init', desc]);
  if (opts.files) await writeTree(dir, opts.files);
  return dir;
}

/** Deterministic pseudo-random bytes (no fixture files in the repository). */
export function bytes(seed: number, length: number): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
