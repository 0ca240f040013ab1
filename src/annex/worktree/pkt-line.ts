// git's pkt-line framing (gitprotocol-common(5)): 4 hex digits of length (including themselves), then data;
// "0000" is a flush packet. Used by the long-running filter protocol (gitattributes(5), "Long Running
// Filter Process").
import type { Readable, Writable } from 'node:stream';

export const MAX_PKT_DATA = 65516;
export const FLUSH = Symbol('flush');
export type Packet = Buffer | typeof FLUSH;

/** Reads packets from a stream; `next()` resolves to undefined at end of input. */
export class PktReader {
  private buffer: Buffer = Buffer.alloc(0);
  private ended = false;
  private waiting: (() => void) | undefined;
  private error: Error | undefined;

  constructor(input: Readable) {
    input.on('data', (b: Buffer) => {
      this.buffer = this.buffer.length === 0 ? b : Buffer.concat([this.buffer, b]);
      this.wake();
    });
    input.on('end', () => { this.ended = true; this.wake(); });
    input.on('error', (e: Error) => { this.error = e; this.ended = true; this.wake(); });
  }

  private wake(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  async next(): Promise<Packet | undefined> {
    for (;;) {
      if (this.buffer.length >= 4) {
        const len = parseInt(this.buffer.subarray(0, 4).toString('latin1'), 16);
        if (Number.isNaN(len) || (len > 0 && len < 4)) throw new Error(`bad pkt-line length ${JSON.stringify(this.buffer.subarray(0, 4).toString('latin1'))}`);
        if (len === 0) {
          this.buffer = this.buffer.subarray(4);
          return FLUSH;
        }
        if (this.buffer.length >= len) {
          const data = this.buffer.subarray(4, len);
          this.buffer = this.buffer.subarray(len);
          return data;
        }
      }
      if (this.ended) {
        if (this.error) throw this.error;
        if (this.buffer.length > 0) throw new Error('input ended inside a pkt-line');
        return undefined;
      }
      await new Promise<void>((resolve) => { this.waiting = resolve; });
    }
  }

  /** Text packets up to the next flush, with their trailing LF removed (a key=value list). */
  async readList(): Promise<string[] | undefined> {
    const out: string[] = [];
    for (;;) {
      const p = await this.next();
      if (p === undefined) return out.length === 0 ? undefined : out;
      if (p === FLUSH) return out;
      out.push(p.toString('utf8').replace(/\n$/, ''));
    }
  }
}

/** Writes packets, waiting for the stream to drain so a large file never piles up in memory. */
export class PktWriter {
  constructor(private readonly out: Writable) {}

  private async raw(b: Buffer | string): Promise<void> {
    if (!this.out.write(b)) await new Promise<void>((resolve) => this.out.once('drain', resolve));
  }

  async text(line: string): Promise<void> {
    const data = Buffer.from(`${line}\n`, 'utf8');
    await this.raw(Buffer.concat([Buffer.from((data.length + 4).toString(16).padStart(4, '0'), 'latin1'), data]));
  }

  async data(bytes: Uint8Array): Promise<void> {
    for (let off = 0; off < bytes.length; off += MAX_PKT_DATA) {
      const part = bytes.subarray(off, Math.min(bytes.length, off + MAX_PKT_DATA));
      await this.raw(Buffer.from((part.length + 4).toString(16).padStart(4, '0'), 'latin1'));
      await this.raw(Buffer.from(part));
    }
  }

  async flush(): Promise<void> {
    await this.raw('0000');
  }

  async list(lines: readonly string[]): Promise<void> {
    for (const l of lines) await this.text(l);
    await this.flush();
  }
}
