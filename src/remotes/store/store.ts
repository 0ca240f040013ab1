// The raw blob interface every cloud backend implements (ARCHITECTURE "Store"). Names are '/'-separated
// relative paths chosen by the layer above (special remotes, cloudgit); a Store never interprets them beyond
// mapping them to its medium. Each contract comment names a behaviour that test/remotes/store-conformance.ts
// checks against every backend and wrapper.
import type { Readable } from 'node:stream';
import { FerryError } from '../../util/index.js';

/**
 * What put sends, re-openable so a retry can send it again (STYLE 5): a file (its bytes from `offset`, `size`
 * of them, default to the end), small bytes in memory, or a function returning a fresh stream each call.
 */
export type PutSource =
  | { readonly path: string; readonly offset?: number; readonly size?: number }
  | { readonly bytes: Uint8Array }
  | { readonly open: () => Readable; readonly size?: number };

export interface PutOptions {
  /** Bytes sent so far of this put, called as they go (for progress bars); may restart from 0 on a retry. */
  progress?(bytes: number): void;
  readonly signal?: AbortSignal;
}

export interface GetOptions {
  /** First byte to return (a resumed download). An offset equal to the size returns an empty stream. */
  readonly offset?: number;
  /** At most this many bytes from offset; a range past the end is cut at the end, never an error. */
  readonly length?: number;
  readonly signal?: AbortSignal;
}

export interface StoreStat {
  readonly size: number;
  /** Changes whenever the object is replaced (S3 ETag; mtime+size+inode for a directory); cheap change detection. */
  readonly etag: string;
}

export interface StoreEntry extends StoreStat {
  readonly name: string;
}

export interface StoreCapabilities {
  /** Puts are durable when they resolve (S3); otherwise flush() makes them durable, per batch. */
  readonly durableOnPut: boolean;
  /** put replaces an existing object atomically: a reader sees the old or the new bytes, never a mix. */
  readonly atomicReplace: boolean;
  /** Requests that may run at once without the backend throttling (a hint for the concurrency limiter). */
  readonly maxConcurrency: number;
}

export interface Store {
  /** For messages: the type and where it is ("directory /mnt/usb/annex", "S3 http://127.0.0.1:9000/bucket"). */
  readonly description: string;
  readonly capabilities: StoreCapabilities;

  /**
   * Writes `name`. Atomic: until it resolves a reader sees the previous object or NotFound, never part of the
   * new one; after a failure or abort nothing partial is visible. Replaces an existing object.
   */
  put(name: string, source: PutSource, opts?: PutOptions): Promise<void>;

  /**
   * Streams the bytes of `name` (the whole object, or the range of opts). Rejects with StoreNotFoundError
   * when absent; errors during the stream surface as the stream's error, classified like the others.
   */
  get(name: string, opts?: GetOptions): Promise<Readable>;

  /** Size and etag of `name`, or undefined when absent (never throws StoreNotFoundError). */
  stat(name: string): Promise<StoreStat | undefined>;

  /** Removes `name`. Idempotent: deleting an absent object resolves. */
  delete(name: string): Promise<void>;

  /** Every object whose name starts with `prefix` (a plain string prefix, not a directory), in no set order. */
  list(prefix: string): AsyncIterable<StoreEntry>;

  /** Makes every put that has resolved durable (the foundation's per-batch order); a no-op when durableOnPut. */
  flush(): Promise<void>;

  /** Releases connections and handles; the store is not used afterwards. */
  close(): Promise<void>;
}

/** The object is not in the store. */
export class StoreNotFoundError extends FerryError {
  constructor(store: string, name: string, cause?: unknown) {
    super(`${store}: ${name} is not there`, { data: { store, name }, cause });
  }
}

/** Worth retrying: a timeout, a reset connection, throttling, a 5xx, a truncated body. */
export class StoreTransientError extends FerryError {
  constructor(store: string, message: string, opts: { name?: string; cause?: unknown } = {}) {
    super(`${store}: ${message}`, { data: { store, name: opts.name }, cause: opts.cause });
  }
}

/** Retrying will not help: access denied, no such bucket, a full disk, a name the medium cannot hold. */
export class StorePermanentError extends FerryError {
  constructor(store: string, message: string, opts: { name?: string; cause?: unknown; hint?: string } = {}) {
    super(`${store}: ${message}`, { data: { store, name: opts.name }, cause: opts.cause, hint: opts.hint });
  }
}

/** Whether `err` is worth retrying; anything a backend did not classify is not. */
export function isTransient(err: unknown): boolean {
  return err instanceof StoreTransientError;
}
