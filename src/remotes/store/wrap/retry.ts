// Retries transient Store errors with exponential backoff and full jitter (a random wait in [0, base·2ⁿ],
// capped), so many clients hitting one throttled endpoint spread out instead of retrying in step. Permanent
// errors and NotFound pass through at once; retry reads only the backend's classification (STYLE 6).
import { Readable, addAbortSignal } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { isTransient } from '../store.js';
import type { GetOptions, PutOptions, PutSource, Store, StoreEntry, StoreStat } from '../store.js';

export interface RetryOptions {
  /** Tries per operation, the first included. */
  readonly attempts?: number;
  /** The first backoff's upper bound; each further one doubles it. */
  readonly baseDelayMs?: number;
  /** The cap on any one backoff. */
  readonly maxDelayMs?: number;
}

/** Operations in a row that must use up their retries before the store counts as down. */
const DOWN_AFTER = 2;

export class RetryStore implements Store {
  readonly description: string;
  readonly capabilities: Store['capabilities'];
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  /** Operations in a row that used up their retries on transient errors. */
  private exhausted = 0;

  constructor(private readonly inner: Store, opts: RetryOptions = {}) {
    this.description = inner.description;
    this.capabilities = inner.capabilities;
    this.attempts = Math.max(1, opts.attempts ?? 6);
    this.baseDelayMs = opts.baseDelayMs ?? 200;
    this.maxDelayMs = opts.maxDelayMs ?? 15_000;
  }

  /** Each try calls inner.put with the same source, which opens it afresh (STYLE 5). */
  put(name: string, source: PutSource, opts: PutOptions = {}): Promise<void> {
    return this.retrying(opts.signal, () => this.inner.put(name, source, opts));
  }

  /**
   * One seamless stream: a transient failure midway resumes with a ranged get from the bytes delivered.
   * The resumed range is read from whatever object then has the name: if it was replaced with other bytes
   * in between, the stream mixes the two (Store has no conditional get yet; docs/NOTES.md). ferry's objects
   * are named by their content or authenticated, so the layer above catches such a mix.
   */
  async get(name: string, opts: GetOptions = {}): Promise<Readable> {
    const first = await this.retrying(opts.signal, () => this.inner.get(name, opts));
    const stream = Readable.from(this.resume(first, name, opts), { objectMode: false });
    if (opts.signal) addAbortSignal(opts.signal, stream);
    return stream;
  }

  stat(name: string): Promise<StoreStat | undefined> {
    return this.retrying(undefined, () => this.inner.stat(name));
  }

  delete(name: string): Promise<void> {
    return this.retrying(undefined, () => this.inner.delete(name));
  }

  /** A listing that fails midway starts again, skipping the names already given. */
  async *list(prefix: string): AsyncIterable<StoreEntry> {
    const seen = new Set<string>();
    for (let failures = 0; ;) {
      try {
        for await (const entry of this.inner.list(prefix)) {
          if (seen.has(entry.name)) continue;
          seen.add(entry.name);
          failures = 0;
          yield entry;
        }
        return;
      } catch (err) {
        if (!isTransient(err) || ++failures >= this.attempts) throw err;
        await this.backoff(failures, undefined);
      }
    }
  }

  flush(): Promise<void> {
    return this.retrying(undefined, () => this.inner.flush());
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async *resume(stream: Readable, name: string, opts: GetOptions): AsyncGenerator<Uint8Array> {
    const offset = opts.offset ?? 0;
    let delivered = 0;
    for (let failures = 0; ;) {
      try {
        for await (const chunk of stream as AsyncIterable<Uint8Array>) {
          delivered += chunk.length;
          failures = 0;
          yield chunk;
        }
        return;
      } catch (err) {
        opts.signal?.throwIfAborted();
        if (!isTransient(err) || ++failures >= this.attempts) throw err;
        await this.backoff(failures, opts.signal);
        const length = opts.length === undefined ? undefined : opts.length - delivered;
        stream = await this.retrying(opts.signal, () => this.inner.get(name, { offset: offset + delivered, length, signal: opts.signal }));
      }
    }
  }

  /**
   * Tries `fn` until it succeeds, fails for good, or the attempts run out. Once operations have used up
   * their retries twice in a row with no success between, the store counts as down: later operations get
   * one try each, so a command over many files reports an unreachable remote in seconds, not minutes;
   * the first success restores retrying.
   */
  private async retrying<T>(signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
    const attempts = this.exhausted >= DOWN_AFTER ? 1 : this.attempts;
    for (let attempt = 1; ; attempt++) {
      signal?.throwIfAborted();
      try {
        const result = await fn();
        this.exhausted = 0;
        return result;
      } catch (err) {
        // An abort wins over the error it caused: the caller asked to stop, not about the store.
        signal?.throwIfAborted();
        if (!isTransient(err)) throw err;
        if (attempt >= attempts) {
          this.exhausted++;
          throw err;
        }
        await this.backoff(attempt, signal);
      }
    }
  }

  /** Full jitter: uniform in [0, min(max, base·2^(n-1))]; rejects with the abort reason if `signal` fires. */
  private async backoff(failures: number, signal: AbortSignal | undefined): Promise<void> {
    const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (failures - 1));
    await sleep(Math.random() * ceiling, undefined, { signal });
  }
}
