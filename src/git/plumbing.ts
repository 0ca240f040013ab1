// The git plumbing the rest of ferry builds on. Each function is one git process however many items it
// handles (batch in, batch out), so work grows with the number of commands, not with the number of files.
import { GitError, RefChangedError } from './errors.js';
import { committerIdent, fastImport } from './fast-import.js';
import { gitLinesZ, gitText, runGit } from './run.js';
import type { GitEnv } from './run.js';

export const NULL_SHA = '0000000000000000000000000000000000000000';

export interface IndexEntry {
  /** Octal mode as git prints it: '100644', '100755', '120000'; '0' removes the path. */
  readonly mode: string;
  readonly sha: string;
  /** Path relative to the top of the tree, '/'-separated. */
  readonly path: string;
}

/** Writes blobs with one `git fast-import` and returns their ids in order. */
export async function writeBlobs(ctx: GitEnv, blobs: readonly (string | Uint8Array)[]): Promise<string[]> {
  return (await fastImport(ctx, blobs)).blobs;
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
  const m = /^(.*) <(.*)> \d+ [+-]\d{4}$/.exec(await committerIdent(ctx));
  const env = m ? { GIT_AUTHOR_NAME: m[1]!, GIT_AUTHOR_EMAIL: m[2]!, GIT_COMMITTER_NAME: m[1]!, GIT_COMMITTER_EMAIL: m[2]! } : undefined;
  return gitText(ctx, args, { input: message, env });
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

export type RefUpdate =
  | { readonly ref: string; readonly sha: string; readonly expected: string }
  | { readonly ref: string; readonly delete: true };

/**
 * Applies ref updates in one transaction (`update-ref --stdin`): all or none. An update whose ref no longer
 * points at `expected` fails the whole transaction with RefChangedError.
 */
export async function updateRefs(ctx: GitEnv, updates: readonly RefUpdate[], reason = 'ferry'): Promise<void> {
  const lines = updates.map((u) => ('delete' in u ? `delete ${u.ref}\n` : `update ${u.ref} ${u.sha} ${u.expected}\n`));
  const args = ['update-ref', '-m', reason, '--stdin'];
  const result = await runGit(ctx, args, { input: lines.join(''), okCodes: [1, 128] });
  if (result.code === 0) return;
  const cas = updates.find((u) => !('delete' in u));
  if (cas && !('delete' in cas) && /but expected|already exists|unable to resolve reference|is at .* but/.test(result.stderr)) {
    throw new RefChangedError(cas.ref, cas.expected);
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
