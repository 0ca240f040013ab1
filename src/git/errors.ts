import { FerryError } from '../util/index.js';

/** git exited with an error; carries the command and git's own message. */
export class GitError extends FerryError {
  readonly exitStatus: number;
  readonly stderr: string;

  constructor(args: readonly string[], exitStatus: number, stderr: string, cause?: unknown) {
    const what = `git ${args.filter((a) => !a.startsWith('-')).slice(0, 2).join(' ')}`;
    const detail = stderr.trim().split('\n').filter(Boolean).slice(-3).join('; ');
    const message = exitStatus === -1
      ? `could not run ${what}: ${cause instanceof Error ? cause.message : String(cause)}`
      : `${what} failed${detail ? `: ${detail}` : ` with exit status ${exitStatus}`}`;
    super(message, {
      data: { args: [...args], exitStatus, stderr },
      cause,
      hint: exitStatus === -1 ? 'is git installed and on PATH?' : undefined,
    });
    this.exitStatus = exitStatus;
    this.stderr = stderr;
  }
}

export class NotAGitRepositoryError extends FerryError {
  constructor(path: string) {
    super(`not a git repository: ${path}`, {
      data: { path },
      hint: "run 'git init' there first, or cd into a repository",
    });
  }
}

/** update-ref's expected old value did not match: someone else moved the ref first. */
export class RefChangedError extends FerryError {
  constructor(ref: string, expected: string) {
    super(`${ref} changed while ferry was updating it`, { data: { ref, expected }, hint: 'run the command again' });
  }
}
