// A long-lived `git check-attr --stdin -z` for callers that ask about one path at a time (the filter
// process), answered in order.
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { GitError } from './errors.js';
import { spawnGit } from './run.js';
import type { GitEnv } from './run.js';

export class CheckAttr {
  private child: ChildProcessWithoutNullStreams | undefined;
  private fields: string[] = [];
  private partial = '';
  private readonly queue: { resolve(v: Map<string, string>): void; reject(e: unknown): void }[] = [];

  constructor(private readonly ctx: GitEnv, private readonly attributes: readonly string[]) {}

  /** The set values of the attributes for `path` ('unspecified' and 'unset' are left out). */
  get(path: string): Promise<Map<string, string>> {
    const child = this.start();
    return new Promise((resolve, reject) => {
      this.queue.push({ resolve, reject });
      child.stdin.write(`${path}\0`);
    });
  }

  close(): void {
    this.child?.stdin.end();
    this.child = undefined;
  }

  private start(): ChildProcessWithoutNullStreams {
    if (this.child) return this.child;
    const args = ['check-attr', '--stdin', '-z', ...this.attributes];
    const child = spawnGit(this.ctx, args);
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString('utf8'); });
    child.stdout.on('data', (b: Buffer) => this.onData(b.toString('utf8')));
    child.on('close', (code) => {
      for (const p of this.queue.splice(0)) p.reject(new GitError(args, code ?? -1, stderr || 'check-attr exited early'));
    });
    child.stdin.on('error', () => undefined); // reported through 'close'
    this.child = child;
    return child;
  }

  private onData(text: string): void {
    const parts = (this.partial + text).split('\0');
    this.partial = parts.pop() ?? '';
    this.fields.push(...parts);
    const per = 3 * this.attributes.length;
    while (this.fields.length >= per && this.queue.length > 0) {
      const record = this.fields.splice(0, per);
      const values = new Map<string, string>();
      for (let i = 0; i < per; i += 3) {
        const v = record[i + 2]!;
        if (v !== 'unspecified' && v !== 'unset') values.set(record[i + 1]!, v);
      }
      this.queue.shift()!.resolve(values);
    }
  }
}
