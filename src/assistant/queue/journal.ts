// The queue on disk: an append-only journal of JSON lines under .git/ferry/assistant/, one `put` line per
// item queued (or changed: a path added) and one `del` line per item finished or cancelled. Every append is
// written and fdatasync'd before enqueue resolves, so once the caller is told "queued", neither kill -9 nor
// a power cut loses it. A line torn by a crash mid-append is the last one, and is skipped on load.
//
// Why a journal rather than a JSON file replaced with temp+rename: queueing 1,000 downloads after a merge is
// then one append and one fdatasync, and finishing an item is a 40-byte line, where a replaced file costs
// the whole queue plus two fsyncs (file, directory) per change. When finished lines outnumber live ones
// (past a floor), the journal is rewritten with the live items only, by temp+fsync+rename+fsync(dir), so a
// crash during compaction leaves the old journal or the new one, each complete.
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSystemError, fsyncPath, warn } from '../../util/index.js';
import type { QueuedTransfer } from './item.js';

type Line = { readonly op: 'put'; readonly item: QueuedTransfer } | { readonly op: 'del'; readonly id: string };

const FILE = 'queue.jsonl';
/** Compaction happens once more than this many lines are dead, and more than there are live items. */
const COMPACT_FLOOR = 1000;

export class QueueJournal {
  #fh: FileHandle | undefined;
  #dead = 0;
  #live = new Map<string, QueuedTransfer>();
  /** Appends and compactions run one after the other, in call order. */
  #chain: Promise<void> = Promise.resolve();

  private constructor(private readonly dir: string) {}

  /** Opens (creating) the journal in `dir` and returns it with the items it holds, in arrival order. */
  static async open(dir: string): Promise<{ journal: QueueJournal; items: QueuedTransfer[] }> {
    const journal = new QueueJournal(dir);
    await mkdir(dir, { recursive: true });
    await rm(join(dir, `${FILE}.tmp`), { force: true }); // a compaction killed before its rename
    const text = await readFile(join(dir, FILE), 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw fileSystemError(err, 'read', join(dir, FILE));
    });
    const lines = text.split('\n');
    lines.forEach((raw, i) => {
      if (raw === '') return;
      const line = parseLine(raw);
      if (line === undefined) {
        // The last line may be torn by a crash mid-append; anything else is damage worth a word.
        if (i < lines.length - 1) warn(`transfer queue: skipped a damaged line ${i + 1} of ${join(dir, FILE)}`);
        return;
      }
      if (line.op === 'put') {
        if (journal.#live.has(line.item.id)) journal.#dead++;
        journal.#live.set(line.item.id, line.item);
      } else if (journal.#live.delete(line.id)) journal.#dead += 2;
    });
    // A torn last line must not glue itself to the next append.
    journal.#fh = await open(join(dir, FILE), 'a');
    if (text !== '' && !text.endsWith('\n')) await journal.#fh.write('\n');
    return { journal, items: [...journal.#live.values()].sort((a, b) => a.seq - b.seq) };
  }

  /** Records items queued or changed; resolves once the lines are on disk. */
  put(items: readonly QueuedTransfer[]): Promise<void> {
    for (const item of items) {
      if (this.#live.has(item.id)) this.#dead++;
      this.#live.set(item.id, item);
    }
    return this.#append(items.map((item) => ({ op: 'put', item })));
  }

  /** Records items gone (done or cancelled); resolves once the line is on disk. */
  delete(id: string): Promise<void> {
    if (this.#live.delete(id)) this.#dead += 2;
    return this.#append([{ op: 'del', id }]);
  }

  async close(): Promise<void> {
    await this.#chain.catch(() => undefined);
    await this.#fh?.close();
    this.#fh = undefined;
  }

  #append(lines: readonly Line[]): Promise<void> {
    const run = this.#chain.then(async () => {
      const fh = this.#fh;
      if (!fh) throw new Error('transfer queue journal is closed');
      try {
        await fh.write(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
        await fh.datasync();
      } catch (err) {
        throw fileSystemError(err, 'write', join(this.dir, FILE));
      }
      if (this.#dead > COMPACT_FLOOR && this.#dead > this.#live.size) await this.#compact();
    });
    this.#chain = run.catch(() => undefined);
    return run;
  }

  async #compact(): Promise<void> {
    const path = join(this.dir, FILE);
    const tmp = `${path}.tmp`;
    const fh = await open(tmp, 'w');
    try {
      const live = [...this.#live.values()].sort((a, b) => a.seq - b.seq);
      await fh.write(live.map((item) => `${JSON.stringify({ op: 'put', item })}\n`).join(''));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    await fsyncPath(this.dir);
    await this.#fh?.close();
    this.#fh = await open(path, 'a');
    this.#dead = 0;
  }
}

function parseLine(raw: string): Line | undefined {
  try {
    const v = JSON.parse(raw) as Partial<Line> & { item?: Partial<QueuedTransfer> };
    if (v.op === 'del' && typeof (v as { id?: unknown }).id === 'string') return v as Line;
    const item = v.item;
    if (v.op === 'put' && item && typeof item.id === 'string' && typeof item.key === 'string' && typeof item.remote === 'string'
      && (item.direction === 'upload' || item.direction === 'download') && typeof item.seq === 'number' && Array.isArray(item.paths)) {
      return v as Line;
    }
  } catch {
    // torn or damaged: the caller decides what to say
  }
  return undefined;
}
