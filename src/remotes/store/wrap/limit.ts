// At most N Store operations in flight, whatever the callers do (-J 32 over a backend that throttles at 16).
// A get holds its slot until its stream ends, errors or is destroyed, since the transfer is the costly part.
import type { Readable } from 'node:stream';
import { finished } from 'node:stream';
import type { GetOptions, PutOptions, PutSource, Store, StoreEntry, StoreStat } from '../store.js';

export class LimitStore implements Store {
  readonly description: string;
  readonly capabilities: Store['capabilities'];
  private readonly slots: Slots;

  constructor(private readonly inner: Store, limit = inner.capabilities.maxConcurrency) {
    this.description = inner.description;
    this.capabilities = inner.capabilities;
    this.slots = new Slots(Math.max(1, limit));
  }

  async put(name: string, source: PutSource, opts: PutOptions = {}): Promise<void> {
    const release = await this.slots.acquire(opts.signal);
    try {
      await this.inner.put(name, source, opts);
    } finally {
      release();
    }
  }

  async get(name: string, opts: GetOptions = {}): Promise<Readable> {
    const release = await this.slots.acquire(opts.signal);
    let stream: Readable;
    try {
      stream = await this.inner.get(name, opts);
    } catch (err) {
      release();
      throw err;
    }
    finished(stream, () => release());
    return stream;
  }

  async stat(name: string): Promise<StoreStat | undefined> {
    const release = await this.slots.acquire(undefined);
    try {
      return await this.inner.stat(name);
    } finally {
      release();
    }
  }

  async delete(name: string): Promise<void> {
    const release = await this.slots.acquire(undefined);
    try {
      await this.inner.delete(name);
    } finally {
      release();
    }
  }

  /**
   * A slot per step of the listing, not for the whole of it: a caller deleting what it lists (one slot
   * left) would otherwise wait on itself.
   */
  async *list(prefix: string): AsyncIterable<StoreEntry> {
    const it = this.inner.list(prefix)[Symbol.asyncIterator]();
    try {
      for (;;) {
        const release = await this.slots.acquire(undefined);
        let step: IteratorResult<StoreEntry>;
        try {
          step = await it.next();
        } finally {
          release();
        }
        if (step.done) return;
        yield step.value;
      }
    } finally {
      await it.return?.();
    }
  }

  /** Not limited: a barrier over puts already done, whose own fsyncs the backend bounds. */
  flush(): Promise<void> {
    return this.inner.flush();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A counting semaphore; a released slot passes straight to the longest waiter. */
class Slots {
  private active = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  async acquire(signal: AbortSignal | undefined): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.active < this.limit) {
      this.active++;
      return this.releaser();
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason as Error);
      };
      const waiter = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiters.push(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    return this.releaser();
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next();
      else this.active--;
    };
  }
}
