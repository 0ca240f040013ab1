// The work tree's changes as coalesced batches (ARCHITECTURE "Assistant"; STYLE 11): native events from
// @parcel/watcher (inotify on Linux; the package stays inside this folder), a catch-up scan at start for
// what changed while the assistant was off, the ignore rules (ignore-filter.ts), then the aggregator's
// quiet delay and maximum wait. The watcher only requests work: each batch goes to `onBatch`, and it
// publishes `changes-seen`.
import { relative, sep } from 'node:path';
import parcel from '@parcel/watcher';
import type { GitEnv } from '../../git/index.js';
import { errorMessage } from '../../util/index.js';
import type { EventBus } from '../events.js';
import type { SelfWrites } from '../self-writes.js';
import { ChangeAggregator } from './aggregator.js';
import type { AggregatorOptions, ChangeBatch } from './aggregator.js';
import { catchUpScan } from './catch-up-scan.js';
import { watchError } from './errors.js';
import { ignoredOnArrival, withoutGitIgnored } from './ignore-filter.js';

export interface WatcherOptions extends AggregatorOptions {
  /** The top of the work tree, absolute. */
  readonly root: string;
  readonly git: GitEnv;
  readonly bus: EventBus;
  readonly selfWrites?: SelfWrites;
  /** Receives each batch, in order; it should only queue the work (the committer runs in the worker). */
  readonly onBatch: (batch: ChangeBatch) => void;
}

export class Watcher {
  readonly #opts: WatcherOptions;
  readonly #aggregator: ChangeAggregator;
  #subscription: parcel.AsyncSubscription | undefined;
  /** Batches are filtered (one git run) one after another, so they reach onBatch in order. */
  #filtering: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(opts: WatcherOptions) {
    this.#opts = opts;
    this.#aggregator = new ChangeAggregator((b) => this.#emit(b), opts);
  }

  /**
   * Starts watching, then scans for what changed while nobody watched (in that order, so no change falls
   * between the two). Throws WatchLimitError when the inotify limit is too low for the tree.
   */
  async start(signal?: AbortSignal): Promise<void> {
    const { root } = this.#opts;
    signal?.addEventListener('abort', () => void this.close(), { once: true });
    try {
      this.#subscription = await parcel.subscribe(root, (err, events) => this.#onEvents(err, events), {
        ignore: ['.git'],
      });
    } catch (err) {
      throw watchError(root, err);
    }
    const changed = await catchUpScan(this.#opts.git);
    this.#aggregator.add(changed.filter((p) => !this.#ignored(p)), true);
  }

  /** Puts paths back for another look after a quiet delay (a file the committer deferred). */
  requeue(paths: readonly string[]): void {
    this.#aggregator.add(paths);
  }

  /** Asks for a look at the whole tree. */
  rescan(): void {
    this.#aggregator.rescan();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#aggregator.close();
    const sub = this.#subscription;
    this.#subscription = undefined;
    // A watch the kernel already dropped (its directory deleted) cannot be removed: EINVAL. Closing is done either way.
    await sub?.unsubscribe().catch(() => undefined);
    await this.#filtering;
  }

  #onEvents(err: Error | null, events: parcel.Event[]): void {
    if (this.#closed) return;
    if (err) {
      // Events may have been lost (a queue overflow, a watch the kernel refused): say so, look at everything.
      this.#opts.bus.publish({ type: 'error', part: 'watcher', message: watchError(this.#opts.root, err).message });
      this.#aggregator.rescan();
      return;
    }
    const paths: string[] = [];
    for (const e of events) {
      const path = relative(this.#opts.root, e.path).split(sep).join('/');
      if (path === '' || path.startsWith('..') || this.#ignored(path)) continue;
      paths.push(path);
    }
    this.#aggregator.add(paths);
  }

  #ignored(path: string): boolean {
    return ignoredOnArrival(path, `${this.#opts.root}/${path}`, this.#opts.selfWrites);
  }

  #emit(batch: ChangeBatch): void {
    this.#filtering = this.#filtering.then(async () => {
      const paths = batch.rescan ? [] : await withoutGitIgnored(this.#opts.git, batch.paths);
      if (this.#closed || (!batch.rescan && paths.length === 0)) return;
      this.#opts.bus.publish({ type: 'changes-seen', paths: paths.length, scan: batch.scan });
      this.#opts.onBatch({ ...batch, paths });
    }).catch((err: unknown) => {
      this.#opts.bus.publish({ type: 'error', part: 'watcher', message: errorMessage(err) });
    });
  }
}
