// Where commands write: results on stdout (text or JSON lines), warnings and progress on stderr.
// JSON objects are written with sorted keys, as git-annex's aeson output has them.
import type { Writable } from 'node:stream';

export class Output {
  constructor(
    readonly json: boolean,
    private readonly stdout: Writable = process.stdout,
    private readonly stderr: Writable = process.stderr,
  ) {}

  /** A line of human output (suppressed in --json mode). */
  line(text: string): void {
    if (!this.json) this.stdout.write(`${text}\n`);
  }

  /** Raw text on stdout in either mode (for commands whose output is data, like calckey). */
  write(text: string): void {
    this.stdout.write(text);
  }

  /** One JSON record (only in --json mode). */
  record(value: Record<string, unknown>): void {
    if (this.json) this.stdout.write(`${JSON.stringify(sortKeys(value))}\n`);
  }

  warn(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  get isTerminal(): boolean {
    return (this.stderr as { isTTY?: boolean }).isTTY === true;
  }

  progressStream(): Writable {
    return this.stderr;
  }
}

export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}
