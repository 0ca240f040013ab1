// Pulls bytes from an async source of chunks for the packet parsers: exact reads for headers, zero-copy
// access to whatever is buffered for bodies. Reaching the end inside a structure is the caller's
// "truncated" error; the reader only reports how much it could give.
import { MalformedMessageError } from '../errors.js';

const EMPTY = Buffer.alloc(0);

/** Chunks of bytes: a Node Readable, an async generator, or an array of buffers. */
export type ByteSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export class ByteReader {
  readonly #it: AsyncIterator<Uint8Array> | Iterator<Uint8Array>;
  #buf: Buffer = EMPTY;
  #pos = 0;
  #eof = false;
  /** Bytes consumed so far (for error data). */
  consumed = 0;

  constructor(source: ByteSource) {
    this.#it = Symbol.asyncIterator in source ? source[Symbol.asyncIterator]() : source[Symbol.iterator]();
  }

  get buffered(): number {
    return this.#buf.length - this.#pos;
  }

  /** Makes at least one byte buffered; false at the end of the source. */
  async fill(): Promise<boolean> {
    while (this.buffered === 0) {
      if (this.#eof) return false;
      const next = await this.#it.next();
      if (next.done === true) {
        this.#eof = true;
        return false;
      }
      const v = next.value;
      this.#buf = Buffer.isBuffer(v) ? v : Buffer.from(v.buffer, v.byteOffset, v.byteLength);
      this.#pos = 0;
    }
    return true;
  }

  /** Up to `max` buffered bytes without copying (call fill() first). */
  take(max: number): Buffer {
    const n = Math.min(max, this.buffered);
    const out = this.#buf.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    this.consumed += n;
    return out;
  }

  /** The next byte if buffered, else undefined (no await on the hot path). */
  peekSync(offset = 0): number | undefined {
    return this.#pos + offset < this.#buf.length ? this.#buf[this.#pos + offset] : undefined;
  }

  async readByte(): Promise<number | undefined> {
    if (!(await this.fill())) return undefined;
    this.consumed++;
    return this.#buf[this.#pos++];
  }

  /** Exactly n bytes, or a MalformedMessageError naming `what` when the source ends first. */
  async readExact(n: number, what: string): Promise<Buffer> {
    if (this.buffered >= n) return this.take(n);
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      if (!(await this.fill())) {
        throw new MalformedMessageError(`the message ends inside ${what} (truncated)`, { data: { offset: this.consumed } });
      }
      const b = this.take(left);
      parts.push(Buffer.from(b));
      left -= b.length;
    }
    return Buffer.concat(parts);
  }

  /** The remaining bytes, buffered ones first, as chunks straight from the source. */
  async *rest(): AsyncGenerator<Buffer> {
    while (await this.fill()) yield this.take(Infinity);
  }

  /** Whether the source is exhausted. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill());
  }

  /** Stops the source (its generator's finally blocks run). */
  async close(): Promise<void> {
    if (this.#eof) return;
    this.#eof = true;
    await this.#it.return?.();
  }
}
