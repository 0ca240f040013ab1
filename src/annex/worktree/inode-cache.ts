// Which key an unlocked file's current bytes have, remembered by inode, size and mtime, so that the clean
// filter git runs on `git status` / `git add` answers an unchanged file with its pointer without hashing it
// again (git-annex keeps the same facts in its keys database). A cache only: a lost or stale record costs a
// rehash, never a wrong key, because a record is used only when all three facts still match.
// Stored as JSON lines in .git/ferry/inode-cache, appended to; the newest record for a path wins.
import type { BigIntStats, Stats } from 'node:fs';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isNotFound, writeFileAtomic } from '../../util/index.js';

interface Record {
  readonly ino: string;
  readonly size: string;
  readonly mtime: string;
  readonly key: string;
}

export interface StatLike {
  readonly ino: number | bigint;
  readonly size: number | bigint;
  readonly mtimeMs: number | bigint;
}

function facts(st: StatLike | Stats | BigIntStats): Omit<Record, 'key'> {
  return { ino: String(st.ino), size: String(st.size), mtime: String(st.mtimeMs) };
}

export class InodeCache {
  private records: Map<string, Record> | undefined;
  private lines = 0;

  constructor(private readonly ferryDir: string) {}

  private get file(): string {
    return join(this.ferryDir, 'inode-cache');
  }

  private async load(): Promise<Map<string, Record>> {
    if (this.records) return this.records;
    const records = new Map<string, Record>();
    let text = '';
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    for (const line of text.split('\n')) {
      if (line === '') continue;
      this.lines++;
      try {
        const [path, ino, size, mtime, key] = JSON.parse(line) as [string, string, string, string, string];
        if (typeof path === 'string' && typeof key === 'string') records.set(path, { ino, size, mtime, key });
      } catch {
        // a torn last line from a crash: the record is lost, which only costs a rehash
      }
    }
    this.records = records;
    return records;
  }

  /** The key of `path` if its stat still matches what was recorded. */
  async lookup(path: string, st: StatLike): Promise<string | undefined> {
    const r = (await this.load()).get(path);
    if (!r) return undefined;
    const f = facts(st);
    return r.ino === f.ino && r.size === f.size && r.mtime === f.mtime ? r.key : undefined;
  }

  /** Remembers that the files (path, stat) hold the content of their keys. */
  async record(entries: readonly { path: string; stat: StatLike; key: string }[]): Promise<void> {
    if (entries.length === 0) return;
    const records = await this.load();
    let text = '';
    for (const e of entries) {
      const f = facts(e.stat);
      records.set(e.path, { ...f, key: e.key });
      text += `${JSON.stringify([e.path, f.ino, f.size, f.mtime, e.key])}\n`;
    }
    this.lines += entries.length;
    await mkdir(dirname(this.file), { recursive: true });
    if (this.lines > 1000 && this.lines > 2 * records.size) await this.compact(records);
    else await appendFile(this.file, text);
  }

  private async compact(records: Map<string, Record>): Promise<void> {
    let text = '';
    for (const [path, r] of records) text += `${JSON.stringify([path, r.ino, r.size, r.mtime, r.key])}\n`;
    await writeFileAtomic(this.file, text);
    this.lines = records.size;
  }
}
