// How get, copy, move and drop report, in git-annex's shapes: "get FILE (from origin...) ok" lines, a
// progress bar for long transfers on a terminal, --json records, --json-progress lines, and a closing
// "get: N failed" on stderr.
import type { Annex } from '../../annex/index.js';
import type { TransferEvents, TransferItem, TransferResult } from '../../sync/index.js';
import { inputOf } from '../open.js';
import type { Output } from './output.js';
import { Progress } from './progress.js';

export interface ReportOptions {
  /** The JSON "command" field and the first word of each line ("get", "drop origin", ...). */
  readonly command: string;
  readonly args: readonly string[];
  readonly paths: readonly string[];
  readonly jsonProgress: boolean;
}

export class TransferReport implements TransferEvents {
  failed = 0;
  private readonly bar: Progress;

  constructor(private readonly out: Output, private readonly annex: Annex, private readonly opts: ReportOptions) {
    this.bar = new Progress(out.progressStream(), opts.command, out.isTerminal && !out.json);
  }

  private file(item: TransferItem): string | null {
    return item.path === undefined ? null : this.annex.repo.displayPath(item.path);
  }

  private action(item: TransferItem, note?: string): Record<string, unknown> {
    const file = this.file(item);
    const input = item.path === undefined ? [] : this.opts.args.length === 0 ? [file] : inputOf(this.opts.args, this.opts.paths, item.path);
    return { command: this.opts.command, file, input, key: item.key, ...(note ? { note } : {}) };
  }

  start(item: TransferItem, note: string): void {
    if (this.opts.jsonProgress) this.out.record({ action: this.action(item, note), 'byte-progress': 0, 'percent-progress': '0%', ...(item.size !== undefined ? { 'total-size': item.size } : {}) });
  }

  progress(item: TransferItem, bytes: number, total: number | undefined): void {
    if (total !== undefined && total >= 1 << 20) this.bar.update(Math.round(bytes / 1024), Math.round(total / 1024), 'KiB');
    if (this.opts.jsonProgress) {
      const percent = total ? `${(Math.floor((bytes / total) * 10000) / 100).toString()}%` : undefined;
      this.out.record({ action: this.action(item), 'byte-progress': bytes, ...(percent ? { 'percent-progress': percent } : {}), ...(total !== undefined ? { 'total-size': total } : {}) });
    }
  }

  done(r: TransferResult): void {
    this.bar.done();
    if (!r.ok) this.failed++;
    const name = this.file(r.item) ?? r.item.key;
    const { suffix, lines, long, unsafe } = noteLayout(r);
    this.out.line(`${this.opts.command} ${name}${suffix} ${r.ok ? 'ok' : ''}`.trimEnd());
    if (!r.ok) {
      for (const l of lines) this.out.line(l === '' ? '' : `  ${l}`);
      this.out.line('failed');
    }
    // git-annex's JSON note of a refused drop keeps its lines but not the blank ones or the advice to move.
    const jsonNote = long ? r.note!.split('\n').filter((l) => l !== '' && !l.startsWith('Rather than dropping')).join('\n') : r.note;
    this.out.record({
      ...this.action(r.item, jsonNote), success: r.ok, 'error-messages': r.ok || long ? [] : [r.error ?? 'failed'],
      ...(unsafe ? { wanted: [] } : {}),
    });
  }

  /** git-annex's closing line on stderr when something failed. */
  finish(): number {
    if (this.failed > 0) this.out.warn(`${this.opts.command.split(' ')[0]}: ${this.failed} failed`);
    return this.failed > 0 ? 1 : 0;
  }
}

/**
 * How git-annex shows a result: a one-line note in parentheses after the name; a long note (a refused drop,
 * several lines) as indented lines after it, but its first line in parentheses when that is "unsafe".
 * `lines` are what a failure prints before "failed".
 */
export function noteLayout(r: TransferResult): { suffix: string; lines: string[]; long: boolean; unsafe: boolean } {
  const all = r.note?.split('\n') ?? [];
  const long = all.length > 1;
  const unsafe = long && all[0] === 'unsafe';
  const suffix = !r.note ? '' : !long ? ` (${r.note})` : unsafe ? ' (unsafe)' : '';
  const lines = long ? all.slice(unsafe ? 1 : 0) : [r.error ?? 'failed', ...(r.hint ? [`hint: ${r.hint}`] : [])];
  return { suffix, lines, long, unsafe };
}

export type { TransferResult };
