// Fault injection for tests (STYLE 4: error paths are tested over a real backend, not with a mocked SDK).
// From a seeded PRNG, at the given rates: operations fail with StoreTransientError (before reaching the store,
// or after it did the work, as a lost reply), are delayed (a slow or timing-out server), and a get's stream
// is cut short with a transient error or has one byte flipped silently, which only the key's hash above
// catches.
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { StoreTransientError } from '../store.js';
import type { GetOptions, PutOptions, PutSource, Store, StoreEntry, StoreStat } from '../store.js';

export interface FaultOptions {
  readonly seed: number;
  /** Chance an operation throws a transient error. */
  readonly errorRate?: number;
  /** Chance an operation waits a random time up to maxDelayMs first. */
  readonly delayRate?: number;
  readonly maxDelayMs?: number;
  /** Chance a get's stream stops early (or at its very end) with a transient error. */
  readonly truncateRate?: number;
  /** Chance a get's stream has one byte changed, with no error. */
  readonly corruptRate?: number;
}

/** What was injected, so a test can check that the faults it meant to survive really happened. */
export interface FaultCounts {
  errors: number;
  delays: number;
  truncations: number;
  corruptions: number;
}

export class FaultyStore implements Store {
  readonly description: string;
  readonly capabilities: Store['capabilities'];
  readonly injected: FaultCounts = { errors: 0, delays: 0, truncations: 0, corruptions: 0 };
  private state: number;

  constructor(private readonly inner: Store, private readonly opts: FaultOptions) {
    this.description = inner.description;
    this.capabilities = inner.capabilities;
    this.state = opts.seed >>> 0;
  }

  async put(name: string, source: PutSource, opts: PutOptions = {}): Promise<void> {
    const failAfter = await this.before('put', name, opts.signal);
    await this.inner.put(name, source, opts);
    if (failAfter) throw this.fault('put', name);
  }

  async get(name: string, opts: GetOptions = {}): Promise<Readable> {
    const failAfter = await this.before('get', name, opts.signal);
    const stream = await this.inner.get(name, opts);
    if (failAfter) {
      stream.destroy();
      throw this.fault('get', name);
    }
    const truncate = this.chance(this.opts.truncateRate);
    const corrupt = this.chance(this.opts.corruptRate);
    if (!truncate && !corrupt) return stream;
    const size = (await this.inner.stat(name))?.size ?? 0;
    const start = Math.min(opts.offset ?? 0, size);
    const length = Math.min(size - start, opts.length ?? Infinity);
    const cutAt = truncate ? Math.floor(this.random() * (length + 1)) : undefined;
    const flipAt = corrupt && length > 0 ? Math.floor(this.random() * length) : undefined;
    return Readable.from(this.spoil(stream, name, cutAt, flipAt), { objectMode: false });
  }

  async stat(name: string): Promise<StoreStat | undefined> {
    const failAfter = await this.before('stat', name, undefined);
    const st = await this.inner.stat(name);
    if (failAfter) throw this.fault('stat', name);
    return st;
  }

  async delete(name: string): Promise<void> {
    const failAfter = await this.before('delete', name, undefined);
    await this.inner.delete(name);
    if (failAfter) throw this.fault('delete', name);
  }

  /** A failing listing breaks off after a few entries, as a lost page would. */
  async *list(prefix: string): AsyncIterable<StoreEntry> {
    const fail = await this.before('list', prefix, undefined);
    let left = fail ? Math.floor(this.random() * 3) : Infinity;
    for await (const entry of this.inner.list(prefix)) {
      if (left-- === 0) throw this.fault('list', prefix);
      yield entry;
    }
    if (fail) throw this.fault('list', prefix);
  }

  async flush(): Promise<void> {
    const failAfter = await this.before('flush', '', undefined);
    await this.inner.flush();
    if (failAfter) throw this.fault('flush', '');
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async *spoil(stream: Readable, name: string, cutAt: number | undefined, flipAt: number | undefined): AsyncGenerator<Uint8Array> {
    let pos = 0;
    for await (const data of stream as AsyncIterable<Uint8Array>) {
      let chunk = data;
      if (flipAt !== undefined && flipAt >= pos && flipAt < pos + chunk.length && (cutAt === undefined || flipAt < cutAt)) {
        chunk = Buffer.from(chunk);
        chunk[flipAt - pos] = chunk[flipAt - pos]! ^ 0x5a;
        this.injected.corruptions++;
      }
      if (cutAt !== undefined && pos + chunk.length >= cutAt) {
        if (cutAt > pos) yield chunk.subarray(0, cutAt - pos);
        break;
      }
      pos += chunk.length;
      yield chunk;
    }
    if (cutAt !== undefined) {
      this.injected.truncations++;
      throw new StoreTransientError(this.description, `injected fault: body of ${name} cut at byte ${cutAt}`, { name });
    }
  }

  /** Delays and failures decided before the operation; true means "fail once it has been done". */
  private async before(op: string, name: string, signal: AbortSignal | undefined): Promise<boolean> {
    if (this.chance(this.opts.delayRate)) {
      this.injected.delays++;
      await sleep(this.random() * (this.opts.maxDelayMs ?? 50), undefined, { signal });
    }
    if (!this.chance(this.opts.errorRate)) return false;
    if (this.random() < 0.5) throw this.fault(op, name);
    return true;
  }

  private fault(op: string, name: string): StoreTransientError {
    this.injected.errors++;
    return new StoreTransientError(this.description, `injected fault: ${op} ${name}`, { name });
  }

  private chance(rate: number | undefined): boolean {
    return rate !== undefined && rate > 0 && this.random() < rate;
  }

  /** mulberry32: small, seeded, good enough to spread faults; not for anything secret. */
  private random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
