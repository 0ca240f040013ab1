// A repository that can hold content, seen from this one: another git-annex repository reachable as a path
// today, cloud special remotes later (issue 12), behind one interface so transfers and drop safety never
// branch on the kind. Contract comments say what tests check.
import type { Sink } from '../annex/index.js';
import type { Lock } from '../util/index.js';

/** How storeKeys works: keys at once (-J), and bytes stored so far of a key, for progress bars. */
export interface StoreOptions {
  readonly jobs?: number;
  progress?(key: string, bytes: number): void;
}

export interface RemoteCapabilities {
  /** Content locks that git-annex honours too (a copy counted for a drop can be locked against removal). */
  readonly contentLocks: boolean;
  /** The remote keeps its own location log (a git-annex repository), which store/remove update. */
  readonly ownLog: boolean;
  /**
   * A read may return other bytes than the last one did (a network store): content that failed verification
   * is worth fetching again. A local repository's disk gives the same bytes again.
   */
  readonly transientReads: boolean;
}

export interface StoreItem {
  readonly key: string;
  /** Our object file to send. */
  readonly src: string;
}

export interface Remote {
  readonly name: string;
  readonly uuid: string;
  /** Lower is tried first (git-annex's annex-cost: 100 for a local repository). */
  readonly cost: number;
  readonly capabilities: RemoteCapabilities;

  /** Whether the content of `key` is there now (its object, not its location log's claim). */
  checkPresent(key: string): Promise<boolean>;

  /**
   * Writes the bytes of `key` into `sink` from `sink.offset` on (a resumed transfer). Rejects with
   * ContentNotThereError when the remote does not have it; the caller verifies what arrives.
   */
  retrieve(key: string, sink: Sink): Promise<void>;

  /**
   * Stores keys: each verified on arrival, all made durable, then recorded (where the remote keeps its own
   * log) in one commit. `done` is called per key, with the error when that key failed; resolves when all
   * are settled.
   */
  storeKeys(items: readonly StoreItem[], done: (key: string, err?: Error) => void, opts?: StoreOptions): Promise<void>;

  /**
   * Removes the content of `key`. The caller took this remote's exclusive content lock (`lock`, which
   * remove releases once the content is gone; absent only without the lock addon, under --force) and has
   * proven enough other copies; where the remote keeps its own log, it says absent before the content goes.
   */
  remove(key: string, lock: Lock | undefined): Promise<void>;

  /** Locks the remote's copy of `key` (undefined: no copy, or it is locked the other way right now). */
  lockContent(key: string, mode: 'shared' | 'exclusive'): Promise<Lock | undefined>;

  close(): void;
}
