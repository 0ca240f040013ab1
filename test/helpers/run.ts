// Running the real programs (ferry, git, git-annex) the way a user does, with the test environment.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { testEnv } from './env.js';

export interface RunResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly input?: string | Buffer;
  readonly env?: Record<string, string>;
  /** Throw unless the exit status is one of these (default [0]); [] accepts any. */
  readonly expect?: readonly number[];
}

export function run(cwd: string, program: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return start(cwd, program, args, opts).done;
}

export interface Started {
  readonly child: ChildProcess;
  readonly done: Promise<RunResult>;
}

/** Starts a program and returns it at once (for tests that stop, signal or race it). */
export function start(cwd: string, program: string, args: readonly string[], opts: RunOptions = {}): Started {
  const child = spawn(program, [...args], { cwd, env: testEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
  const done = new Promise<RunResult>((resolve, reject) => {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) => {
      const result = { code: code ?? (signal ? 128 : -1), stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
      const expect = opts.expect ?? [0];
      if (expect.length > 0 && !expect.includes(result.code)) {
        reject(new Error(`${program} ${args.join(' ')} exited ${result.code} in ${cwd}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`));
      } else resolve(result);
    });
    child.stdin.end(opts.input);
  });
  return { child, done };
}

export const ferry = (cwd: string, args: readonly string[], opts?: RunOptions) => run(cwd, 'ferry', args, opts);
export const git = (cwd: string, args: readonly string[], opts?: RunOptions) => run(cwd, 'git', args, opts);
export const gitAnnex = (cwd: string, args: readonly string[], opts?: RunOptions) => run(cwd, 'git', ['annex', ...args], opts);

/** JSON lines (ferry's and git-annex's --json output) parsed. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
}
