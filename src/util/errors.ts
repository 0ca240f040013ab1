// The error base every layer builds on (STYLE 6): a stable code equal to the class name, the facts in
// `data`, the cause, and for errors a user sees, a hint saying what to do next and an exit code.
// Only cli/main.ts turns these into a message and an exit status.

/** Exit statuses ferry uses; scripts may rely on them. */
export const ExitCode = {
  ok: 0,
  /** The command ran but something it checked or did failed (fsck found problems, a file could not be added). */
  failed: 1,
  /** The command line was wrong. */
  usage: 2,
  /** A bug in ferry: an error that is not a FerryError. */
  internal: 70,
} as const;

export interface FerryErrorOptions {
  data?: Record<string, unknown>;
  hint?: string;
  cause?: unknown;
  exitCode?: number;
}

export class FerryError extends Error {
  /** Stable, equal to the class name; scripts and tests match on it. */
  readonly code: string;
  readonly data: Record<string, unknown>;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(message: string, opts: FerryErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.code = new.target.name;
    this.data = opts.data ?? {};
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? ExitCode.failed;
  }
}

/** A wrong command line: unknown option, missing argument. */
export class UsageError extends FerryError {
  constructor(message: string, hint?: string) {
    super(message, { hint: hint ?? "run 'ferry help' for usage", exitCode: ExitCode.usage });
  }
}

/** An operating-system error on a named path, translated so the message says what to do. */
export class FileSystemError extends FerryError {
  constructor(message: string, opts: FerryErrorOptions) {
    super(message, opts);
  }
}

/** Wraps a Node system error (ENOSPC, EACCES, ...) into a FileSystemError naming `path` and the action. */
export function fileSystemError(err: unknown, action: string, path: string): FerryError {
  if (err instanceof FerryError) return err;
  const code = systemErrorCode(err);
  const data = { path, errno: code };
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new FileSystemError(`disk full while trying to ${action} ${path}`, {
        data, cause: err, hint: 'free some space on that disk and run the command again; nothing was recorded for the file',
      });
    case 'EACCES':
    case 'EPERM':
      return new FileSystemError(`permission denied: cannot ${action} ${path}`, {
        data, cause: err, hint: 'check the ownership and mode of that path',
      });
    case 'ENOENT':
      return new FileSystemError(`no such file: cannot ${action} ${path}`, { data, cause: err });
    case 'EROFS':
      return new FileSystemError(`read-only file system: cannot ${action} ${path}`, { data, cause: err });
    default:
      return new FileSystemError(`cannot ${action} ${path}: ${errorMessage(err)}`, { data, cause: err });
  }
}

/** The errno code of a Node system error (`'ENOENT'`, ...), or undefined. */
export function systemErrorCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

export function isNotFound(err: unknown): boolean {
  return systemErrorCode(err) === 'ENOENT';
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
