// Key derivation off the main thread. A git-annex object's S2K hashes 130 MB (s2k.ts) and its salt is
// fresh per object, so nothing can be cached; what can be done is to derive the next objects' keys on other
// cores while the main thread decrypts this one. Workers start on first use, are unref'd while idle (an
// idle pool never keeps a process alive) and can be closed outright.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { FerryError } from '../../util/index.js';
import { hashAlgorithm } from './algorithms.js';
import { deriveKeySync, isCheapS2k } from './s2k.js';
import type { S2kSpec } from './s2k.js';
import type { S2kReply, S2kRequest } from './s2k-worker.js';

interface Task {
  readonly request: S2kRequest;
  resolve(key: Buffer): void;
  reject(err: Error): void;
}

interface Slot {
  readonly worker: Worker;
  task: Task | undefined;
}

export class S2kPool {
  readonly #size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  #nextId = 1;

  constructor(size = Math.max(1, Math.min(4, availableParallelism()))) {
    this.#size = size;
  }

  /** The key for `spec`; cheap specifiers (ferry's own objects) are derived inline. */
  derive(spec: S2kSpec, passphrase: Uint8Array, keyLength: number): Promise<Buffer> {
    hashAlgorithm(spec.hash); // unsupported hashes fail here, with the crypto layer's error
    if (isCheapS2k(spec, passphrase.length, keyLength)) return Promise.resolve(deriveKeySync(spec, passphrase, keyLength));
    return new Promise<Buffer>((resolve, reject) => {
      const request: S2kRequest = { id: this.#nextId++, spec: { ...spec }, passphrase: Uint8Array.from(passphrase), keyLength };
      this.#queue.push({ request, resolve, reject });
      this.#dispatch();
    });
  }

  /** Stops every worker; pending derivations fail. The pool can be used again afterwards. */
  async close(): Promise<void> {
    const slots = this.#slots.splice(0);
    for (const t of this.#queue.splice(0)) t.reject(new FerryError('key derivation cancelled: the worker pool was closed'));
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.task === undefined);
      if (slot === undefined && this.#slots.length < this.#size) slot = this.#spawn();
      if (slot === undefined) return;
      const task = this.#queue.shift()!;
      slot.task = task;
      slot.worker.ref();
      slot.worker.postMessage(task.request);
    }
  }

  #spawn(): Slot {
    // No node flags: the parent's (--input-type, --test, ...) can be invalid in a worker.
    const worker = new Worker(new URL('./s2k-worker.js', import.meta.url), { execArgv: [] });
    const slot: Slot = { worker, task: undefined };
    worker.on('message', (reply: S2kReply) => {
      const task = slot.task;
      slot.task = undefined;
      worker.unref();
      if (task !== undefined) {
        if ('key' in reply) task.resolve(Buffer.from(reply.key));
        else task.reject(new FerryError(`key derivation failed: ${reply.error}`));
      }
      this.#dispatch();
    });
    const fail = (err: Error) => {
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
      slot.task?.reject(new FerryError(`key derivation worker stopped: ${err.message}`, { cause: err }));
      slot.task = undefined;
      this.#dispatch();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (this.#slots.includes(slot)) fail(new Error(`exit code ${code}`));
    });
    worker.unref();
    this.#slots.push(slot);
    return slot;
  }
}

/** The process's pool, made on first use (STYLE 9's exception: a compute pool, not a connection). */
let shared: S2kPool | undefined;

export function sharedS2kPool(): S2kPool {
  shared ??= new S2kPool();
  return shared;
}

/** Stops the shared pool's workers (tests; a long-lived process that wants its threads back). */
export async function closeS2kPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
