// A one-line progress bar on stderr for long work, drawn only on a terminal, at most ~10 times a second.
import type { Writable } from 'node:stream';

export class Progress {
  private last = 0;
  private shown = false;

  constructor(private readonly out: Writable, private readonly label: string, private readonly enabled: boolean) {}

  update(done: number, total: number, detail = ''): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (now - this.last < 100 && done < total) return;
    this.last = now;
    const width = 30;
    const frac = total > 0 ? Math.min(1, done / total) : 0;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    this.out.write(`\r${this.label} [${bar}] ${done}/${total}${detail ? ` ${detail}` : ''}\x1b[K`);
    this.shown = true;
  }

  done(): void {
    if (this.shown) this.out.write('\r\x1b[K');
    this.shown = false;
  }
}
