// Coalesces file events into batches for the committer (STYLE 11, syncthing's watch aggregator): a batch
// goes out once the tree has been quiet for `quietMs`, or `maxWaitMs` after its first event even if the
// writes never stop; past `rescanThreshold` distinct paths the batch collapses to "rescan" (the committer
// then looks at the whole tree, which costs less than carrying a huge path list). Pure: time comes from an
// injectable clock, so the rules are tested without waiting.

export interface Timers {
  now(): number;
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  set: (fn, ms) => setTimeout(fn, ms),
  clear: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** What changed: paths relative to the work tree, or `rescan` (look at everything). */
export interface ChangeBatch {
  readonly paths: readonly string[];
  readonly rescan: boolean;
  /** Some of it came from a scan (the catch-up scan at start, or a rescan), not from live events. */
  readonly scan: boolean;
}

export interface AggregatorOptions {
  readonly quietMs?: number;
  readonly maxWaitMs?: number;
  readonly rescanThreshold?: number;
  readonly timers?: Timers;
}

export const QUIET_MS = 250;
export const MAX_WAIT_MS = 2000;
export const RESCAN_THRESHOLD = 10_000;

export class ChangeAggregator {
  readonly #flush: (batch: ChangeBatch) => void;
  readonly #quietMs: number;
  readonly #maxWaitMs: number;
  readonly #threshold: number;
  readonly #timers: Timers;
  #paths = new Set<string>();
  #rescan = false;
  #scan = false;
  /** When the pending batch must go out at the latest; undefined while nothing is pending. */
  #deadline: number | undefined;
  #timer: unknown;
  #closed = false;

  constructor(flush: (batch: ChangeBatch) => void, opts: AggregatorOptions = {}) {
    this.#flush = flush;
    this.#quietMs = opts.quietMs ?? QUIET_MS;
    this.#maxWaitMs = opts.maxWaitMs ?? MAX_WAIT_MS;
    this.#threshold = opts.rescanThreshold ?? RESCAN_THRESHOLD;
    this.#timers = opts.timers ?? realTimers;
  }

  /** Records changed paths; `scan` when they come from a scan rather than live events. */
  add(paths: Iterable<string>, scan = false): void {
    if (this.#closed) return;
    const before = this.#paths.size;
    if (!this.#rescan) {
      for (const p of paths) this.#paths.add(p);
      if (this.#paths.size === before && !this.pending) return; // nothing new, nothing waiting
      if (this.#paths.size > this.#threshold) this.rescan(scan);
    }
    this.#scan ||= scan;
    this.#arm();
  }

  /** Asks for a look at the whole tree (an event overflow, or a burst past the threshold). */
  rescan(scan = true): void {
    if (this.#closed) return;
    this.#rescan = true;
    this.#scan ||= scan;
    this.#paths = new Set();
    this.#arm();
  }

  /** Whether a batch is waiting to go out. */
  get pending(): boolean {
    return this.#deadline !== undefined;
  }

  /** Drops what is pending and stops the timer; later adds are ignored. */
  close(): void {
    this.#closed = true;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    this.#timer = undefined;
    this.#deadline = undefined;
  }

  /** (Re)starts the quiet timer, never past the batch's deadline. */
  #arm(): void {
    const now = this.#timers.now();
    this.#deadline ??= now + this.#maxWaitMs;
    if (this.#timer !== undefined) this.#timers.clear(this.#timer);
    const wait = Math.max(0, Math.min(now + this.#quietMs, this.#deadline) - now);
    this.#timer = this.#timers.set(() => this.#fire(), wait);
  }

  #fire(): void {
    this.#timer = undefined;
    const batch: ChangeBatch = { paths: this.#rescan ? [] : [...this.#paths].sort(), rescan: this.#rescan, scan: this.#scan };
    this.#paths = new Set();
    this.#rescan = false;
    this.#scan = false;
    this.#deadline = undefined;
    this.#flush(batch);
  }
}
