// The MDC's SHA-1 (RFC 4880 §5.14) on another core. SHA-1 costs about as much as the AES work itself, and
// Node's crypto runs synchronously on the calling thread, so for large messages the hash runs on one shared
// worker thread while the main thread ciphers: each piece is copied once (cheap next to hashing it) into a
// slab that is transferred there and back and reused, so neither thread accumulates garbage buffers (a
// worker that allocates nothing else rarely collects, and transferred buffers would pile up in it). Small
// messages hash inline, where a round trip to the thread would cost more than the hash.
import { createHash } from 'node:crypto';
import type { Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { FerryError } from '../../util/index.js';
import type { HashReply, HashRequest } from './hash-worker.js';

/** A running SHA-1. update() returns a promise when the caller should wait for the thread to catch up. */
export interface MdcHash {
  update(data: Buffer): Promise<void> | undefined;
  digest(): Promise<Buffer>;
  /** Abandons the hash (the message failed). */
  drop(): void;
}

export class InlineSha1 implements MdcHash {
  readonly #hash: Hash = createHash('sha1');

  update(data: Buffer): undefined {
    this.#hash.update(data);
    return undefined;
  }

  digest(): Promise<Buffer> {
    return Promise.resolve(this.#hash.digest());
  }

  drop(): void {
    // nothing held outside this object
  }
}

/** Bytes a stream may have in flight to the thread before update() asks the caller to wait. */
const HIGH_WATER = 4 << 20;
const LOW_WATER = 2 << 20;
const SLAB = 1 << 20;
const SPARE_SLABS = 8;

interface Stream {
  inFlight: number;
  error: Error | undefined;
  /** Whoever awaits this stream (backpressure or digest); the thread is ref'd only while someone does. */
  waiter: { resolve(digest?: Buffer): void; reject(err: Error): void; digest: boolean } | undefined;
}

export class HashThread {
  #worker: Worker | undefined;
  readonly #streams = new Map<number, Stream>();
  readonly #slabs: ArrayBuffer[] = [];
  #nextId = 1;
  #waiting = 0;

  open(): MdcHash {
    const id = this.#nextId++;
    const stream: Stream = { inFlight: 0, error: undefined, waiter: undefined };
    this.#streams.set(id, stream);
    const worker = this.#start();
    return {
      update: (data) => {
        if (stream.error !== undefined) return undefined; // digest() reports it
        for (let at = 0; at < data.length; at += SLAB) {
          const slab = this.#slabs.pop() ?? new ArrayBuffer(SLAB);
          const length = Math.min(SLAB, data.length - at);
          new Uint8Array(slab).set(data.subarray(at, at + length));
          stream.inFlight += length;
          worker.postMessage({ id, op: 'update', slab, length } satisfies HashRequest, [slab]);
        }
        if (stream.inFlight <= HIGH_WATER || stream.waiter !== undefined) return undefined;
        return new Promise<void>((resolve, reject) => this.#wait(stream, { resolve: () => resolve(), reject, digest: false }));
      },
      digest: () => new Promise<Buffer>((resolve, reject) => {
        if (stream.error !== undefined) {
          reject(stream.error);
          return;
        }
        stream.waiter?.resolve(); // a pending backpressure wait is moot now
        this.#wait(stream, { resolve: (d) => resolve(d!), reject, digest: true });
        worker.postMessage({ id, op: 'digest' } satisfies HashRequest);
      }),
      drop: () => {
        if (!this.#streams.delete(id)) return;
        this.#settle(stream);
        worker.postMessage({ id, op: 'drop' } satisfies HashRequest);
      },
    };
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    await worker?.terminate();
  }

  #wait(stream: Stream, waiter: NonNullable<Stream['waiter']>): void {
    if (stream.waiter === undefined && this.#waiting++ === 0) this.#worker?.ref();
    stream.waiter = waiter;
  }

  /** Clears the stream's waiter and returns it. */
  #settle(stream: Stream): Stream['waiter'] {
    const w = stream.waiter;
    if (w === undefined) return undefined;
    stream.waiter = undefined;
    if (--this.#waiting === 0) this.#worker?.unref();
    return w;
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    // No node flags: the parent's (--input-type, --test, ...) can be invalid in a worker.
    const worker = new Worker(new URL('./hash-worker.js', import.meta.url), { execArgv: [] });
    worker.on('message', (reply: HashReply) => {
      if ('slab' in reply && this.#slabs.length < SPARE_SLABS) this.#slabs.push(reply.slab);
      const s = this.#streams.get(reply.id);
      if (s === undefined) return;
      if ('digest' in reply) {
        this.#streams.delete(reply.id);
        this.#settle(s)?.resolve(Buffer.from(reply.digest));
        return;
      }
      s.inFlight -= reply.hashed;
      if (s.waiter !== undefined && !s.waiter.digest && s.inFlight <= LOW_WATER) this.#settle(s)!.resolve();
    });
    const fail = (err: Error) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const s of this.#streams.values()) {
        s.error = new FerryError(`the hashing thread stopped: ${err.message}`, { cause: err });
        const w = this.#settle(s);
        if (w?.digest === true) w.reject(s.error);
        else w?.resolve();
      }
      this.#streams.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`exit code ${code}`)));
    worker.unref();
    this.#worker = worker;
    return worker;
  }
}

let shared: HashThread | undefined;

/** A SHA-1 for a message of about `size` bytes (Infinity when unknown): on the thread if large. */
export function mdcHash(size: number): MdcHash {
  if (size <= 1 << 20) return new InlineSha1();
  shared ??= new HashThread();
  return shared.open();
}

export async function closeHashThread(): Promise<void> {
  const t = shared;
  shared = undefined;
  await t?.close();
}
