// The one place that starts git. Arguments are arrays (never a shell); stderr is carried into errors; every
// command gets the repository's extra `-c` settings (ferry's filter and hooks, docs/NOTES.md "ferry and
// git-annex in one repository") so a git that ferry starts never starts git-annex.
import { spawn } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { GitError } from './errors.js';

export interface GitEnv {
  /** Directory git runs in (the work tree, or the git dir of a bare repository). */
  readonly cwd: string;
  /** `-c name=value` settings put before the subcommand on every command line. */
  readonly configArgs?: readonly string[];
  /** Extra environment for git (GIT_INDEX_FILE, ...); merged over process.env. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunOptions {
  /** Bytes written to git's stdin, then closed. */
  readonly input?: string | Uint8Array;
  readonly env?: Readonly<Record<string, string>>;
  /** Exit codes that are not errors (e.g. 1 for `git config --get` of an unset key). */
  readonly okCodes?: readonly number[];
}

export interface RunResult {
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly code: number;
}

export function gitArgs(ctx: GitEnv, args: readonly string[]): string[] {
  return [...(ctx.configArgs ?? []), ...args];
}

/**
 * zlib's deflate state (~270 KB) is malloc'd and freed once per object, and glibc gives it back to the
 * kernel each time (brk down, brk up, page faults): 4 brk calls per object made a 5,000-blob fast-import
 * take 240 ms instead of 29 ms (measured). A high trim threshold keeps that memory in the process.
 */
const GIT_MALLOC = { MALLOC_TRIM_THRESHOLD_: String(256 * 2 ** 20) };

function environment(ctx: GitEnv, extra?: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  return { ...GIT_MALLOC, ...process.env, ...ctx.env, ...extra };
}

/** Runs git to completion and returns its output; a non-zero exit (not in okCodes) throws GitError. */
export function runGit(ctx: GitEnv, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', gitArgs(ctx, args), {
      cwd: ctx.cwd, env: environment(ctx, opts.env), stdio: ['pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => reject(new GitError(args, -1, '', e)));
    child.stdin.on('error', () => undefined); // git may exit before reading all input; the exit code tells
    child.on('close', (code) => {
      const stderr = Buffer.concat(err).toString('utf8');
      const status = code ?? -1;
      if (status !== 0 && !(opts.okCodes ?? []).includes(status)) reject(new GitError(args, status, stderr));
      else resolve({ stdout: Buffer.concat(out), stderr, code: status });
    });
    child.stdin.end(opts.input);
  });
}

/** Runs git and returns stdout as text with the final newline removed. */
export async function gitText(ctx: GitEnv, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const { stdout } = await runGit(ctx, args, opts);
  return stdout.toString('utf8').replace(/\n$/, '');
}

/** Runs git and splits NUL-terminated output (for `-z` commands). */
export async function gitLinesZ(ctx: GitEnv, args: readonly string[], opts: RunOptions = {}): Promise<string[]> {
  const { stdout } = await runGit(ctx, args, opts);
  const text = stdout.toString('utf8');
  if (text === '') return [];
  const parts = text.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}

/** Starts a long-running git (cat-file --batch, fast-import, ...); the caller owns its streams. */
export function spawnGit(ctx: GitEnv, args: readonly string[], env?: Readonly<Record<string, string>>): ChildProcessWithoutNullStreams {
  return spawn('git', gitArgs(ctx, args), { cwd: ctx.cwd, env: environment(ctx, env), stdio: ['pipe', 'pipe', 'pipe'] });
}

/** Resolves when a spawned git exits; rejects with GitError (carrying its stderr) on a non-zero exit. */
export function waitForGit(child: ChildProcessWithoutNullStreams, args: readonly string[]): Promise<void> {
  const err: Buffer[] = [];
  child.stderr.on('data', (b: Buffer) => err.push(b));
  return new Promise((resolve, reject) => {
    child.on('error', (e) => reject(new GitError(args, -1, '', e)));
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new GitError(args, code ?? -1, Buffer.concat(err).toString('utf8')));
    });
  });
}
