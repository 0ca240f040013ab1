// Unlocked files git has just checked out as pointers: the smudge filter notes them here and
// `ferry smudge --update` (run by the post-checkout and post-merge hooks) puts in the content of those
// whose object is present. ferry's own file, beside git-annex's .git/annex/smudge.log, never shared.
import { appendFile, mkdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isNotFound } from '../../util/index.js';

export class SmudgeLog {
  constructor(private readonly ferryDir: string) {}

  private get file(): string {
    return join(this.ferryDir, 'smudge.log');
  }

  async add(path: string, key: string): Promise<void> {
    await mkdir(this.ferryDir, { recursive: true });
    await appendFile(this.file, `${JSON.stringify([path, key])}\n`);
  }

  /** Takes every noted (path, key) out of the log; a crash after this loses nothing but the fill-in. */
  async take(): Promise<Map<string, string>> {
    const taken = `${this.file}.${process.pid}`;
    try {
      await rename(this.file, taken);
    } catch (err) {
      if (isNotFound(err)) return new Map();
      throw err;
    }
    const out = new Map<string, string>();
    for (const line of (await readFile(taken, 'utf8')).split('\n')) {
      if (line === '') continue;
      try {
        const [path, key] = JSON.parse(line) as [string, string];
        out.set(path, key);
      } catch {
        // a torn line from a crash mid-append: that file simply stays a pointer until the next get
      }
    }
    await rm(taken, { force: true });
    return out;
  }
}
