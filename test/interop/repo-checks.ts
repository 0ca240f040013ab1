// What the repository interop tests share: reading either tool's --json output into comparable values, and a
// snapshot of the parts of a repository a failed command must leave alone.
import { readdir, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { ferry, git, gitAnnex, jsonLines } from '../helpers/run.js';
import type { RunResult } from '../helpers/run.js';

export type JsonRecord = Record<string, unknown>;

export interface Copy {
  readonly uuid: string;
  readonly description: string;
  readonly here: boolean;
}

export const tools = { ferry, 'git-annex': gitAnnex } as const;
export type Tool = keyof typeof tools;

export async function gitText(dir: string, args: readonly string[]): Promise<string> {
  return (await git(dir, args)).stdout.trim();
}

export async function uuidOf(dir: string): Promise<string> {
  return gitText(dir, ['config', 'annex.uuid']);
}

/** One tool's `whereis --json` records (exit status 1 is allowed: some file has no copy). */
export async function whereisJson(tool: Tool, dir: string, args: readonly string[] = []): Promise<JsonRecord[]> {
  return jsonLines((await tools[tool](dir, ['whereis', '--json', ...args], { expect: [0, 1] })).stdout);
}

/** Records by their "file" field. */
export function byFile(records: readonly JsonRecord[]): Map<string, JsonRecord> {
  return new Map(records.map((r) => [String(r.file), r]));
}

/** The repositories a whereis record lists, reduced to the fields both tools define, in uuid order. */
export function copiesOf(record: JsonRecord | undefined): Copy[] {
  const list = (record?.whereis ?? []) as JsonRecord[];
  return list
    .map((c) => ({ uuid: String(c.uuid), description: String(c.description), here: c.here === true }))
    .sort((a, b) => (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0));
}

/** file → key, for every annexed file ferry sees (whereis lists files whose content is absent too). */
export async function ferryKeys(dir: string): Promise<Map<string, string>> {
  return new Map((await whereisJson('ferry', dir)).map((r) => [String(r.file), String(r.key)]));
}

/**
 * An `info --json` record without the fields that are not about the repository: free disk space (changes
 * between two runs) and git-annex's bloom filter (ferry has none).
 */
export function infoFields(record: JsonRecord | undefined): JsonRecord {
  const { 'available local disk space': _disk, 'bloom filter size': _bloom, ...rest } = record ?? {};
  return rest;
}

export async function infoJson(tool: Tool, dir: string, args: readonly string[] = []): Promise<JsonRecord[]> {
  return jsonLines((await tools[tool](dir, ['info', '--json', ...args])).stdout);
}

export interface Snapshot {
  readonly status: string;
  readonly annexBranch: string;
  readonly objects: readonly string[];
  readonly annexDirExists: boolean;
}

/** `git status --porcelain`, the git-annex branch's commit, and every object file with its size. */
export async function snapshot(dir: string): Promise<Snapshot> {
  const status = (await git(dir, ['status', '--porcelain', '--untracked-files=all'])).stdout;
  const branch = await git(dir, ['rev-parse', '--verify', '-q', 'refs/heads/git-annex'], { expect: [0, 1] });
  const annexDir = join(dir, '.git', 'annex');
  return {
    status,
    annexBranch: branch.code === 0 ? branch.stdout.trim() : '(none)',
    objects: await listFiles(join(annexDir, 'objects')),
    annexDirExists: await stat(annexDir).then(() => true, () => false),
  };
}

async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = await Promise.all(entries.filter((e) => e.isFile()).map(async (e) => {
    const abs = join(e.parentPath, e.name);
    return `${relative(root, abs)} ${(await stat(abs)).size}`;
  }));
  return files.sort();
}

/**
 * Asserts a failed command's stderr is one error line (besides "hint:" lines and git-annex-style
 * "CMD: N failed" summaries) that matches `mention`, with no stack trace. Returns that line.
 */
export function errorLine(r: RunResult): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  const errors = lines.filter((l) => !l.startsWith('hint:') && !/^[a-z-]+: \d+ failed$/.test(l));
  if (errors.length !== 1 || /internal error|^\s+at /m.test(r.stderr)) {
    throw new Error(`expected one error line, got:\n${r.stderr}`);
  }
  return errors[0]!;
}
