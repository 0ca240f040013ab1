// The git plumbing the rest of ferry builds on. Each function is one git process however many items it
// handles (batch in, batch out), so work grows with the number of commands, not with the number of files.
import { GitError, RefChangedError } from './errors.js';
import { gitLinesZ, gitText, runGit, spawnGit, waitForGit } from './run.js';
import type { GitEnv } from './run.js';

export const NULL_SHA = '0000000000000000000000000000000000000000';

export interface IndexEntry {
  /** Octal mode as git prints it: '100644', '100755', '120000'; '0' removes the path. */
  readonly mode: string;
  readonly sha: string;
  /** Path relative to the top of the tree, '/'-separated. */
  readonly path: string;
}

/**
 * Writes blobs with one `git fast-import` and returns their ids in order. fast-import keeps small batches
 * as loose objects and packs large ones (fastimport.unpackLimit), so a 10,000-file add writes one pack.
 */
export async function writeBlobs(ctx: GitEnv, blobs: readonly (string | Uint8Array)[]): Promise<string[]> {
  if (blobs.length === 0) return [];
  const args = ['fast-import', '--quiet', '--done'];
  const child = spawnGit(ctx, args);
  const done = waitForGit(child, args);
  const out: Buffer[] = [];
  child.stdout.on('data', (b: Buffer) => out.push(b));
  const write = (data: string | Uint8Array) => child.stdin.write(data);
  for (let i = 0; i < blobs.length; i++) {
    const blob = blobs[i]!;
    const bytes = typeof blob === 'string' ? Buffer.from(blob, 'utf8') : blob;
    write(`blob\nmark :${i + 1}\ndata ${bytes.length}\n`);
    write(bytes);
    write('\n');
  }
  // get-mark answers on stdout (cat-blob-fd defaults to stdout), one id per line.
  for (let i = 0; i < blobs.length; i++) write(`get-mark :${i + 1}\n`);
  child.stdin.end('done\n');
  await done;
  const ids = Buffer.concat(out).toString('utf8').split('\n').filter(Boolean);
  if (ids.length !== blobs.length) throw new Error(`git fast-import returned ${ids.length} ids for ${blobs.length} blobs`);
  return ids;
}

/** `git hash-object -w` of files as they are on disk (no filters), in order. */
export async function hashFiles(ctx: GitEnv, paths: readonly string[]): Promise<string[]> {
  if (paths.length === 0) return [];
  const text = await gitText(ctx, ['hash-object', '-w', '--no-filters', '--stdin-paths'], { input: paths.join('\n') + '\n' });
  return text.split('\n');
}

function indexEnv(indexFile: string | undefined): Record<string, string> | undefined {
  return indexFile === undefined ? undefined : { GIT_INDEX_FILE: indexFile };
}

/** Stages entries with `update-index --index-info` into `indexFile` (default: the repository's index). */
export async function updateIndex(ctx: GitEnv, entries: readonly IndexEntry[], indexFile?: string): Promise<void> {
  if (entries.length === 0) return;
  const lines = entries.map((e) => (e.mode === '0' ? `0 ${NULL_SHA}\t${e.path}\0` : `${e.mode} ${e.sha}\t${e.path}\0`));
  await runGit(ctx, ['update-index', '-z', '--index-info'], { input: lines.join(''), env: indexEnv(indexFile) });
}

export async function writeTree(ctx: GitEnv, indexFile?: string): Promise<string> {
  return gitText(ctx, ['write-tree'], { env: indexEnv(indexFile) });
}

/** Fills `indexFile` with the tree of `treeish` (replacing what it held). */
export async function readTree(ctx: GitEnv, treeish: string, indexFile?: string): Promise<void> {
  await runGit(ctx, ['read-tree', treeish], { env: indexEnv(indexFile) });
}

/** A commit of `tree`; the message is stored exactly as given (git-annex's have no final newline). */
export async function commitTree(ctx: GitEnv, tree: string, parents: readonly string[], message: string): Promise<string> {
  const args = ['commit-tree', '--no-gpg-sign', tree];
  for (const p of parents) args.push('-p', p);
  return gitText(ctx, args, { input: message });
}

/**
 * Moves `ref` to `sha` only if it still points at `expected` (NULL_SHA: only if it does not exist yet),
 * so a concurrent writer is detected rather than overwritten (RefChangedError).
 */
export async function updateRef(ctx: GitEnv, ref: string, sha: string, expected: string, reason = 'ferry'): Promise<void> {
  const args = ['update-ref', '-m', reason, ref, sha, expected];
  const result = await runGit(ctx, args, { okCodes: [1, 128] });
  if (result.code === 0) return;
  if (/but expected|already exists|reference already exists|unable to resolve reference/.test(result.stderr)) {
    throw new RefChangedError(ref, expected);
  }
  throw new GitError(args, result.code, result.stderr);
}

/** The object id `rev` names, or undefined when it names nothing. */
export async function resolveRef(ctx: GitEnv, rev: string): Promise<string | undefined> {
  const result = await runGit(ctx, ['rev-parse', '-q', '--verify', `${rev}^{object}`], { okCodes: [1, 128] });
  const sha = result.stdout.toString('utf8').trim();
  return result.code === 0 && sha !== '' ? sha : undefined;
}

export interface RefInfo {
  readonly sha: string;
  readonly ref: string;
}

/** Refs whose full name matches one of `patterns` (for-each-ref patterns). */
export async function listRefs(ctx: GitEnv, patterns: readonly string[]): Promise<RefInfo[]> {
  const text = await gitText(ctx, ['for-each-ref', '--format=%(objectname) %(refname)', ...patterns]);
  if (text === '') return [];
  return text.split('\n').map((line) => {
    const space = line.indexOf(' ');
    return { sha: line.slice(0, space), ref: line.slice(space + 1) };
  });
}

/** True when `ancestor` is reachable from `descendant`. */
export async function isAncestor(ctx: GitEnv, ancestor: string, descendant: string): Promise<boolean> {
  const result = await runGit(ctx, ['merge-base', '--is-ancestor', ancestor, descendant], { okCodes: [1] });
  return result.code === 0;
}

export interface TreeEntry extends IndexEntry {
  readonly type: string;
}

/** Entries of `treeish` (recursively with `recursive`), optionally limited to `paths`. */
export async function lsTree(ctx: GitEnv, treeish: string, opts: { recursive?: boolean; paths?: readonly string[] } = {}): Promise<TreeEntry[]> {
  const args = ['ls-tree', '-z', '--full-tree'];
  if (opts.recursive) args.push('-r');
  args.push(treeish);
  if (opts.paths) args.push('--', ...opts.paths);
  const records = await gitLinesZ(ctx, args);
  return records.map(parseTreeRecord);
}

function parseTreeRecord(record: string): TreeEntry {
  const tab = record.indexOf('\t');
  const [mode, type, sha] = record.slice(0, tab).split(' ') as [string, string, string];
  return { mode, type, sha, path: record.slice(tab + 1) };
}

/** Paths changed between two trees (`diff-tree -r`), with their new entry; removed paths get mode '0'. */
export async function diffTrees(ctx: GitEnv, from: string, to: string): Promise<IndexEntry[]> {
  const records = await gitLinesZ(ctx, ['diff-tree', '-z', '-r', '--no-renames', from, to]);
  const entries: IndexEntry[] = [];
  for (let i = 0; i + 1 < records.length; i += 2) {
    const [, dstMode, , dstSha, status] = records[i]!.slice(1).split(' ') as [string, string, string, string, string];
    const path = records[i + 1]!;
    entries.push(status === 'D' ? { mode: '0', sha: NULL_SHA, path } : { mode: dstMode, sha: dstSha, path });
  }
  return entries;
}

export const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
